"""`NlrdInbound`: SAQA NLRD load files (21, 24, 25 + 29) to canonical events, streamed.

The runtime calls `decode_many(sources, ctx)` with every file of one load (a directory or the
files given together) because `multi_file` is true; `decode(source, ctx)` treats the source and
its `related` files as one load. Files are processed in the specification's step order:
21 (providers: InstitutionPublished), 24 (accreditations: AccreditationChanged), 25 (persons:
indexed on disk, no event), 29 (qualification enrolments/achievements: CredentialIssued for
status 15 'Achieved', joined with the File 25 person by National_Id or alternate id + type).
Every bad line yields a located DecodeError (file, line, field) and the file continues.
Memory stays flat: lines are read one at a time and persons live in `PersonIndex` (SQLite in a
private temporary directory) rather than in a dict.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePath

from connectors.saqa_nlrd import _events as ev
from connectors.saqa_nlrd._files import HEADER_PREFIX, iter_lines, sniff_type
from connectors.saqa_nlrd._layouts import LAYOUT_VERSION, LAYOUTS
from connectors.saqa_nlrd._lookups import ACHIEVED, LEARNER_ACHIEVEMENT_STATUS
from connectors.saqa_nlrd._person_index import PersonIndex
from connectors.saqa_nlrd._progress import Progress
from connectors.saqa_nlrd._records import LineError, RecordParser
from hub.errors import DecodeError
from hub.sdk.events import millis
from hub.sdk.inbound import DecodeContext, Decoded, MultiFileInbound, Source, SourceDefaults

STEP_ORDER = {"21": 0, "24": 1, "25": 2, "29": 3}
MAX_PROVIDER_NAMES = 100_000      # names of File 21 providers kept to label issuers in 24/29


class NlrdInbound(MultiFileInbound):
    name = "saqa-nlrd"
    format_version = LAYOUT_VERSION
    event_types = ("InstitutionPublished", "AccreditationChanged", "CredentialIssued")
    defaults = SourceDefaults(authority="za-saqa", authority_type="public_body", jurisdiction="ZA")

    def decode_many(self, sources: list[Source], ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        return _Load(self, sources, ctx).run()


class _Load:
    """State of one load: the person index, provider names, counters, progress."""

    def __init__(self, conn: NlrdInbound, sources: list[Source], ctx: DecodeContext):
        # Avro keeps timestamp-millis: truncate `now` once so events equal their round-trip.
        self.conn, self.sources, self.ctx = conn, sources, replace(ctx, now=millis(ctx.now))
        self.max_line = ctx.limits.max_line_bytes
        self.progress = Progress(ctx.options)
        self.provider_names: dict[str, str] = {}
        self.index: PersonIndex | None = None
        self.counts = {"persons": 0, "credentials": 0, "rejected": 0}
        self.enrolments: dict[str, int] = {}
        self.files: list[dict] = []

    def run(self) -> Iterator[Decoded | DecodeError]:
        typed = []
        for i, s in enumerate(self.sources):
            t = sniff_type(s, self.max_line)
            if t is None:
                self.counts["rejected"] += 1
                yield DecodeError("not an NLRD load file: the name does not follow "
                                  "{supplier}{file no}{YYMMDD}.dat and the first line has no known "
                                  "record length", file=s.name, line=1, field="(file type)")
            elif t not in LAYOUTS:
                self.counts["rejected"] += 1
                yield DecodeError(f"NLRD File {t} is not converted by this connector "
                                  f"(Files 21, 24, 25 and 29 are)", file=s.name, line=1,
                                  field="(file type)")
            else:
                typed.append((STEP_ORDER[t], i, t, s))
        typed.sort(key=lambda x: (x[0], x[1]))
        needs_index = any(t == "29" for _, _, t, _ in typed)
        try:
            if needs_index:
                self.index = PersonIndex()
            for _, _, t, s in typed:
                yield from self._file(s, t)
        finally:
            if self.index is not None:
                self.index.close()
                self.index = None
        summary = {**self.counts, "enrolments_not_achieved": dict(sorted(self.enrolments.items())),
                   "files": self.files}
        self.conn.last_summary = summary
        self.progress.summary(summary, self.ctx.options)

    # ---- one file ------------------------------------------------------------------------
    def _file(self, source: Source, file_no: str) -> Iterator[Decoded | DecodeError]:
        parser = RecordParser(LAYOUTS[file_no])
        handle = getattr(self, f"_record_{file_no}")
        name, total, done = source.name, source.size, 0
        doc = PurePath(name).name         # document id: the load file name, not where it sits
        stats = {"file": name, "nlrd_file": file_no, "lines": 0, "rejected": 0}
        self.files.append(stats)
        with source.open() as fh:
            for ln in iter_lines(fh, self.max_line):
                done += ln.size
                self.progress.tick(name, ln.number, done, total, self.counts)
                if ln.text is None:
                    err = DecodeError(f"line is longer than the limit of {self.max_line} bytes",
                                      file=name, line=ln.number, raw=ln.raw)
                elif not ln.text.strip() or (ln.number == 1 and ln.text.startswith(HEADER_PREFIX)):
                    continue
                else:
                    stats["lines"] += 1
                    try:
                        out = handle(parser(ln.text), doc, ln.number)
                    except LineError as e:
                        err = DecodeError(e.reason, file=name, line=ln.number, field=e.field, raw=ln.raw)
                    else:
                        if out is not None:
                            yield Decoded(out, raw=ln.raw, line=ln.number)
                        continue
                stats["rejected"] += 1
                self.counts["rejected"] += 1
                yield err
        if self.index is not None:
            self.index.flush()

    # ---- per record type (raise LineError to reject) ----------------------------------------
    def _record_21(self, r: dict, doc: str, line: int) -> dict:
        start, end = r["Provider_Accredit_Start_Date"], r["Provider_Accredit_End_Date"]
        if start and end and end < start:
            raise LineError("Provider_Accredit_End_Date", "is before Provider_Accredit_Start_Date")
        if len(self.provider_names) < MAX_PROVIDER_NAMES:
            self.provider_names[r["Provider_Code"]] = r["Provider_Name"]
        return ev.institution_published(r, self.ctx, doc, line)

    def _record_24(self, r: dict, doc: str, line: int) -> dict:
        given = [f for f in ("Learnership_Id", "Qualification_Id", "Unit_Standard_Id") if r[f]]
        if len(given) != 1:
            raise LineError("Qualification_Id", "exactly one of Learnership_Id, Qualification_Id and "
                                                f"Unit_Standard_Id must be given ({len(given)} are)")
        if r["Provider_Accred_End_Date"] < r["Provider_Accred_Start_Date"]:
            raise LineError("Provider_Accred_End_Date", "is before Provider_Accred_Start_Date")
        return ev.accreditation_changed(r, self.ctx, doc, line, self.provider_names)

    def _person_keys(self, r: dict) -> list[str]:
        nid = r["National_Id"]
        if nid and len(nid) != 13:
            raise LineError("National_Id", "is not a 13-digit South African ID number")
        keys = ev.person_keys(r)
        if not keys:
            raise LineError("National_Id", "neither National_Id nor Person_Alternate_Id (with an id "
                                           "type other than None/Unknown) is given")
        return keys

    def _record_25(self, r: dict, doc: str, line: int) -> None:
        keys = self._person_keys(r)
        fields = ev.person_fields(r)
        if self.index is not None:
            self.index.add(keys, fields)
        self.counts["persons"] += 1
        return None

    def _record_29(self, r: dict, doc: str, line: int) -> dict | None:
        keys = self._person_keys(r)
        status = r["Learner_Achievement_Status_Id"]
        if status != ACHIEVED:
            label = f"{status} {LEARNER_ACHIEVEMENT_STATUS[status]}"
            self.enrolments[label] = self.enrolments.get(label, 0) + 1
            return None
        if not r["Learner_Achievement_Date"]:
            raise LineError("Learner_Achievement_Date", "is required when the status is 15 (Achieved)")
        person = None
        for k in keys:
            person = self.index.get(k)
            if person is not None:
                break
        if person is None:
            field = "National_Id" if r["National_Id"] else "Person_Alternate_Id"
            raise LineError(field, "achievement without a person: no File 25 record of this load "
                                   "has this id")
        self.counts["credentials"] += 1
        return ev.credential_issued(r, ev.learner_from_fields(person), self.ctx, doc, line,
                                    self.provider_names)

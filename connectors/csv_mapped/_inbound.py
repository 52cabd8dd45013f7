"""`CsvInbound`: any CSV export + a reviewed field mapping -> one canonical event per row.

Which mapping: the decode option `mapping` (a name in mappings/fields/ or a path) when the
runtime passes one; otherwise the first YAML file among the paths of the load, e.g.
`nqf-hub convert csv mappings/fields/in-nad-award-upload.yaml awards.csv` (the connector is
`multi_file`, so it sees the mapping file and the data files together). A load without a mapping
fails with exit 1 and the list of known mappings.

Rows are streamed with the `csv` module; a physical line longer than `max_line_bytes` is
rejected without being held. Each bad row yields one DecodeError naming file, row number, line
and column; the file continues. Rows that the mapping's `filter` leaves out (e.g. RESULT not
PASS) are counted, not errors.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePath

from connectors.csv_mapped._loader import Const, Mapping, load_mapping
from connectors.csv_mapped._shape import compile_body
from connectors.csv_mapped._transforms import CellError
from hub.errors import DecodeError, MappingFileError
from hub.sdk.events import millis
from hub.sdk.inbound import DecodeContext, Decoded, MultiFileInbound, Source, SourceDefaults
from hub.sdk.limits import bounded_lines

YAML_SUFFIXES = (".yaml", ".yml")
SUBJECT = {"CredentialIssued": "credential_id", "QualificationPublished": "qualification.id",
           "InstitutionPublished": "institution.id", "AccreditationChanged": "accreditation_id"}
DEFAULT_TIME = {"CredentialIssued": "awarded_on", "QualificationPublished": "valid_from",
                "AccreditationChanged": "decided_on"}


class CsvInbound(MultiFileInbound):
    name = "csv"
    format_version = "CSV (RFC 4180) with a declarative field mapping (mappings/fields/*.yaml)"
    event_types = ("CredentialIssued", "QualificationPublished", "InstitutionPublished",
                   "AccreditationChanged")
    #: placeholders: the mapping's `defaults` replace whichever of these the caller left as is
    defaults = SourceDefaults(authority="csv-unspecified", authority_type="private", jurisdiction="ZZ")

    def decode_many(self, sources: list[Source], ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        return self._run(sources, ctx)

    def _run(self, sources, ctx):
        # only files given on the command line can be mappings: an uploaded document (bytes, no
        # path) is data, whatever its name, so an HTTP `?name=x.yaml` never opens a file
        yaml_sources = [s for s in sources if s.path is not None and s.name.lower().endswith(YAML_SUFFIXES)]
        data = [s for s in sources if s not in yaml_sources]
        chosen = ctx.options.get("mapping")
        if chosen is None:
            if len(yaml_sources) > 1:
                raise MappingFileError("more than one mapping file given; give exactly one",
                                       [s.name for s in yaml_sources])
            if not yaml_sources:
                from connectors.csv_mapped._loader import available
                raise MappingFileError(
                    "no CSV mapping selected: give a mapping file before the data files "
                    "(nqf-hub convert csv MAPPING.yaml DATA.csv) or the option 'mapping'",
                    [f"known mappings: {', '.join(available()) or 'none'}"])
            chosen = yaml_sources[0].path
        mapping = load_mapping(chosen)
        ctx = _context(ctx, mapping, type(self).defaults)
        summary = {"mapping": mapping.name, "rows": 0, "events": 0, "rejected": 0, "filtered_out": 0}
        for s in data:
            yield from _File(mapping, ctx, s, summary).rows()
        self.last_summary = summary
        report = ctx.options.get("report")
        if callable(report):
            report(summary)


def _context(ctx: DecodeContext, m: Mapping, placeholders: SourceDefaults) -> DecodeContext:
    src = ctx.source
    d = m.defaults
    merged = SourceDefaults(
        d["authority"] if src.authority == placeholders.authority else src.authority,
        d["authority_type"] if src.authority_type == placeholders.authority_type else src.authority_type,
        d["jurisdiction"] if src.jurisdiction == placeholders.jurisdiction else src.jurisdiction)
    return replace(ctx, source=merged, now=millis(ctx.now))


class _File:
    def __init__(self, m: Mapping, ctx: DecodeContext, source: Source, summary: dict):
        self.m, self.ctx, self.source, self.summary = m, ctx, source, summary
        self.doc = PurePath(source.name).name
        self.shape = compile_body(m.event_type)
        self.labels = {f.target: f.label for f in m.fields}
        self.too_long: list[int] = []

    def err(self, reason, **loc) -> DecodeError:
        self.summary["rejected"] += 1
        return DecodeError(reason, file=self.source.name, **loc)

    # ---- reading --------------------------------------------------------------------------
    def _lines(self, fh) -> Iterator[str]:
        """Physical lines, decoded; an over-long line is replaced by an empty one and noted."""
        decoder = codecs.getincrementaldecoder(self.m.encoding)(errors="strict")
        for ln in bounded_lines(fh, self.ctx.limits.max_line_bytes):
            if ln.too_long:
                self.too_long.append(ln.number)
                yield "\n"
                continue
            try:
                yield decoder.decode(ln.data)
            except UnicodeDecodeError:
                self.too_long.append(-ln.number)               # negative: not decodable
                decoder.reset()
                yield "\n"

    def rows(self) -> Iterator[Decoded | DecodeError]:
        m = self.m
        with self.source.open() as fh:
            reader = csv.reader(self._lines(fh), delimiter=m.delimiter, quotechar=m.quotechar, strict=False)
            try:
                header = next(reader)
            except StopIteration:
                yield self.err("the file is empty: no header row", line=1, field="(header)")
                return
            except csv.Error:
                yield self.err("the header row is not valid CSV", line=1, field="(header)")
                return
            header = [h.strip() for h in header]
            missing = [c for c in m.required_columns if c not in header]
            if missing:
                yield self.err(f"the header lacks required column(s) {', '.join(missing)} "
                               f"of mapping {m.name}", line=1, field=missing[0])
                return
            row_no = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error:
                    row_no += 1
                    yield self.err("not valid CSV (field too large or bad quoting)", record=row_no,
                                   line=reader.line_num, field="(row)")
                    continue
                if self.too_long:
                    n = self.too_long.pop(0)
                    row_no += 1
                    yield self.err(f"line is longer than the limit of {self.ctx.limits.max_line_bytes} bytes"
                                   if n > 0 else f"line is not {m.encoding} text", record=row_no,
                                   line=abs(n), field="(row)")
                    continue
                if not cells or all(not c.strip() for c in cells):
                    continue
                row_no += 1
                self.summary["rows"] += 1
                line = reader.line_num
                if len(cells) != len(header):
                    yield self.err(f"row has {len(cells)} cells, the header has {len(header)}",
                                   record=row_no, line=line, field="(row)")
                    continue
                row = {h: c.strip() for h, c in zip(header, cells)}
                if m.filter and not _passes(m.filter, row):
                    self.summary["filtered_out"] += 1
                    continue
                try:
                    event = self.event(row, row_no)
                except DecodeError as e:
                    self.summary["rejected"] += 1
                    yield e.located(file=self.source.name, record=row_no, line=line)
                    continue
                self.summary["events"] += 1
                yield Decoded(event, raw=m.delimiter.join(cells).encode("utf-8"), record=row_no, line=line)

    # ---- one row --------------------------------------------------------------------------
    def event(self, row: dict, row_no: int) -> dict:
        body: dict = {}
        occurred = None
        for f in self.m.fields:
            v = _value(f, row)
            if f.parts == ("occurred_at",):
                occurred = v
                continue
            if v is not None:
                _put(body, f.parts, Const(v) if f.is_const else v)
        for g in self.m.groups:
            items = []
            for present, fields in g.instances:
                if not row.get(present):
                    continue
                item: dict = {}
                for f in fields:
                    v = _value(f, row)
                    if v is not None:
                        _put(item, f.parts, Const(v) if f.is_const else v)
                items.append(_finish(item))
            if items:
                body.setdefault(g.target[:-2], []).extend(items)
        body = _finish(body)
        try:
            ev = self.shape(body)
        except DecodeError as e:
            col = self.labels.get(e.location.field or "", None)
            raise DecodeError(e.reason, field=col or e.location.field) from None
        subject = ev
        for p in SUBJECT[self.m.event_type].split("."):
            subject = subject[p]
        when = occurred or ev.get(DEFAULT_TIME.get(self.m.event_type, ""), None)
        if isinstance(when, str):
            when = dt.date.fromisoformat(when[:10])
        header = self.ctx.header(self.m.event_type, subject=subject, document_id=self.doc,
                                 record_ref=f"row {row_no}", occurred_at=when,
                                 subject_jurisdiction=self.m.subject_jurisdiction)
        return {"header": header, **ev}   # canonical JSON keeps schema order: header first


def _passes(flt: dict, row: dict) -> bool:
    v = row.get(flt["column"], "")
    if flt.get("ignore_case", True):
        return v.casefold() in {x.casefold() for x in flt["in"]}
    return v in flt["in"]


def _value(f, row: dict):
    v = f.read(row)
    for fn in f.transforms:
        if isinstance(fn, tuple):                         # ('default', value)
            if v is None:
                v = fn[1]
            continue
        if v is None:
            continue
        try:
            v = fn(v)
        except CellError as e:
            raise DecodeError(str(e), field=f.label) from None
    if v is None and f.required:
        empty = next((c for c in f.columns if not row.get(c)), None)
        raise DecodeError("is required but empty", field=empty or f.label)
    return v


def _put(d: dict, parts: tuple[str, ...], v) -> None:
    for p in parts[:-1]:
        if p.endswith("[]"):
            raise DecodeError("nested arrays are written with a group", field=".".join(parts))
        d = d.setdefault(p, {})
    last = parts[-1]
    if last.endswith("[]"):
        d.setdefault(last[:-2], []).append(v)
    else:
        d[last] = v


def _finish(d):
    """Drop objects that hold only constants (e.g. credits.system without a value), unwrap the rest."""
    if isinstance(d, Const):
        return d.value
    if isinstance(d, list):
        return [_finish(x) for x in d if not _only_const(x)]
    if isinstance(d, dict):
        return {k: _finish(v) for k, v in d.items() if not (isinstance(v, dict) and _only_const(v))}
    return d


def _only_const(v) -> bool:
    if isinstance(v, Const):
        return True
    if isinstance(v, dict):
        return all(_only_const(x) for x in v.values())
    return False


__all__ = ["CsvInbound"]

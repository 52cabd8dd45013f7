"""`OfqualRegisterInbound`: Ofqual Register API JSON -> QualificationPublished,
InstitutionPublished and AccreditationChanged (awarding-organisation recognition).

The runtime calls `decode(source, ctx)` once per file or HTTP body. Accepted shapes, as the
register API returns them (see README):
  - one qualification (`api/Qualifications/{number}`) or one organisation (`api/Organisations/{rn}`);
  - a list page `{"count"/"Count", "results"/"Results": [...]}` or a bare JSON array of either;
  - JSON Lines (file name ending .jsonl or .ndjson): one qualification or organisation per line,
    for register dumps larger than one document may be; streamed line by line.
A record is a qualification when it has QualificationNumber, an organisation when it has
RecognitionNumber. Keys are matched case-insensitively (the API uses camelCase for single
records and PascalCase in list pages). A bad record yields a located DecodeError (record number,
field) and the rest continues.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePath

from connectors.ofqual_register._mapping import FieldError, organisation_events, qualification_published
from hub.errors import DecodeError, InputTooLarge
from hub.sdk.events import millis
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.limits import bounded_lines, check_json_limits, load_json_document, read_bounded

JSONL_SUFFIXES = (".jsonl", ".ndjson")


class OfqualRegisterInbound(Inbound):
    name = "ofqual-register"
    format_version = ("Ofqual Register of Regulated Qualifications API (register-api.ofqual.gov.uk): "
                      "Qualification and Organisation models")
    event_types = ("QualificationPublished", "InstitutionPublished", "AccreditationChanged")
    defaults = SourceDefaults(authority="gb-ofqual", authority_type="public_authority", jurisdiction="GB")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        ctx = replace(ctx, now=millis(ctx.now))
        if source.name.lower().endswith(JSONL_SUFFIXES):
            return self._lines(source, ctx)
        return self._document(source, ctx)

    # ---- shapes ----------------------------------------------------------------------------
    def _document(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        name = source.name
        try:
            with source.open() as fh:
                data = read_bounded(fh, ctx.limits.max_document_bytes, file=name)
            doc = load_json_document(data, ctx.limits, file=name)
        except DecodeError as e:
            yield e.located(file=name)
            return
        if isinstance(doc, dict):
            low = {k.lower(): v for k, v in doc.items()}
            if "results" in low and "qualificationnumber" not in low and "recognitionnumber" not in low:
                records = low["results"]
                if not isinstance(records, list):
                    yield DecodeError("results must be an array", file=name, field="results")
                    return
            else:
                records = [doc]
        elif isinstance(doc, list):
            records = doc
        else:
            yield DecodeError("not a qualification, an organisation or a list page", file=name, record=1)
            return
        if len(records) > ctx.limits.max_records_per_document:
            yield InputTooLarge(f"more than {ctx.limits.max_records_per_document} records in one document",
                                file=name)
            return
        doc_id = PurePath(name).name
        for i, rec in enumerate(records, 1):
            yield from self._record(rec, ctx, name, doc_id, i, None)

    def _lines(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        import json
        name, doc_id, limit = source.name, PurePath(source.name).name, ctx.limits.max_line_bytes
        with source.open() as fh:
            for ln in bounded_lines(fh, limit):
                number, raw = ln.number, ln.data
                if ln.too_long:
                    yield InputTooLarge(f"line is longer than the limit of {limit} bytes",
                                        file=name, line=number, record=number)
                    continue
                if not raw.strip():
                    continue
                try:
                    rec = json.loads(raw)
                    check_json_limits(rec, ctx.limits, file=name, record=number)
                except DecodeError as e:
                    yield e.located(line=number)
                    continue
                except (ValueError, RecursionError):
                    yield DecodeError("not valid JSON", file=name, line=number, record=number, raw=raw[:4096])
                    continue
                yield from self._record(rec, ctx, name, doc_id, number, number, raw)

    # ---- one record ------------------------------------------------------------------------
    def _record(self, rec, ctx, name, doc_id, number, line, raw: bytes = b""):
        if not isinstance(rec, dict):
            yield DecodeError("must be a JSON object", file=name, record=number, line=line)
            return
        low = {k.lower(): v for k, v in rec.items() if isinstance(k, str)}
        ref = f"record {number}"
        try:
            if "qualificationnumber" in low:
                events = [qualification_published(low, ctx, doc_id, ref)]
            elif "recognitionnumber" in low:
                events = organisation_events(low, ctx, doc_id, ref)
            else:
                raise FieldError("QualificationNumber", "neither QualificationNumber (a qualification) "
                                                        "nor RecognitionNumber (an organisation) is given")
        except FieldError as e:
            yield DecodeError(e.reason, file=name, record=number, line=line, field=e.field, raw=raw or None)
            return
        for ev in events:
            yield Decoded(ev, raw=raw, record=number, line=line)

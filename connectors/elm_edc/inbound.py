"""`ElmEdcInbound`: European Digital Credentials (ELM v3 JSON-LD, incl. EBSI EDC) -> events.

The runtime calls `decode(source, ctx)` per file or HTTP body (a credential, a JSON array of
credentials or JSON Lines with one credential per line; a line may be a whole document, so its
limit is `max_document_bytes`). Each credential is checked against elm_credential.schema.json and
mapped by `mapping.to_events`; a credential that fails yields one located `DecodeError` and
decoding goes on. JSON-LD is read as plain JSON in the compacted EDC form (no remote context is
fetched, ever).

European Digital Credentials are issued sealed: a JAdES / JWS JSON serialisation
(`{"payload", "signatures"}`) whose payload is the credential, or a credential with a Data
Integrity proof. Each record is unwrapped and verified first (`connectors._vc.signed`,
hub.verify); the outcome goes to every event's `header.verification`, and a seal that does not
verify is a `SignatureInvalid` error carrying the original bytes (dead-lettered).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from connectors._vc.documents import RawRecord, iter_records
from connectors._vc.signed import mark, open_credential
from connectors._vc.validation import SchemaCheck
from connectors.elm_edc.mapping import to_events
from connectors.openbadges3.mapping import FieldProblem
from hub.errors import DecodeError
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults

ELM_SCHEMA = SchemaCheck(Path(__file__).with_name("elm_credential.schema.json"))


class ElmEdcInbound(Inbound):
    name: ClassVar[str] = "elm-edc"
    format_version: ClassVar[str] = ("European Learning Model v3 / European Digital Credentials JSON-LD "
                                     "(EDC application profile, EBSI VCDM 2.0 EDC schema); JAdES / JWS JSON seals "
                                     "and Data Integrity proofs verified")
    event_types: ClassVar[tuple[str, ...]] = ("CredentialIssued", "QualificationPublished")
    defaults: ClassVar[SourceDefaults] = SourceDefaults("edc-issuer", "public_body", "ZZ")
    guarantee: ClassVar[str] = ("at-least-once into hub.ingress; event ids derive from the credential "
                                "id and claim, so re-ingestion is idempotent")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        head = b""
        try:
            with source.open() as f:
                head = f.read(64).lstrip()
        except OSError:
            pass
        if head.startswith(b"<"):
            yield DecodeError("is XML (ELM v2 / Europass XML is not read by elm-edc; it reads ELM v3 "
                              "JSON-LD)", file=source.name, record=1)
            return
        for rec in iter_records(source, ctx.limits, line_limit=ctx.limits.max_document_bytes):
            if isinstance(rec, DecodeError):
                yield rec
                continue
            yield from self.decode_record(rec, source.name, ctx)

    def decode_record(self, rec: RawRecord, name: str, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        opened = open_credential(rec.value, rec.raw, ctx)
        if isinstance(opened, DecodeError):
            yield opened.located(file=name, record=rec.record, line=rec.line)
            return
        doc, verification = opened
        problem = ELM_SCHEMA.problem(doc)
        if problem:
            yield rec.error(name, *problem)
            return
        try:
            events = to_events(doc, ctx)
        except FieldProblem as e:
            yield rec.error(name, e.field, e.reason)
            return
        raw = rec.raw if len(events) == 1 or verification["proof"] else \
            json.dumps(doc, ensure_ascii=False).encode()
        for ev in events:
            yield Decoded(event=mark(ev, verification), raw=raw, record=rec.record, line=rec.line)

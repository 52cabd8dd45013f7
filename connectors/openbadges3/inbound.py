"""`OpenBadges3Inbound`: Open Badges 3.0 credentials (JSON, JSON array or JSON Lines) -> events.

The runtime calls `decode(source, ctx)` once per file or HTTP body and pulls events lazily. Each
record is checked against the project's own schema (ob3_credential.schema.json) and mapped by
`mapping.to_credential_issued`; a record that fails yields one located `DecodeError` (file,
record, line for JSON Lines, JSON path of the field; never the value) and decoding goes on.

Signed credentials are unwrapped and verified first (`connectors._vc.signed`, hub.verify): a plain
credential with a Data Integrity proof, a JWS JSON / JAdES envelope, or a compact VC-JWT (a
`.jwt` file or JSON Lines of tokens). The outcome goes to `header.verification`; a signature
that does not verify is a `SignatureInvalid` error carrying the original bytes (dead-lettered).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from connectors._vc.documents import RawRecord, iter_records
from connectors._vc.signed import as_vc2, mark, open_credential
from connectors._vc.validation import SchemaCheck
from connectors.openbadges3.mapping import FieldProblem, to_credential_issued
from hub.errors import DecodeError
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults

SCHEMA_PATH = Path(__file__).with_name("ob3_credential.schema.json")
CREDENTIAL_SCHEMA = SchemaCheck(SCHEMA_PATH)

class OpenBadges3Inbound(Inbound):
    name: ClassVar[str] = "openbadges3"
    format_version: ClassVar[str] = ("Open Badges 3.0 (1EdTech, VC Data Model 2.0; pre-final VC 1.1 drafts "
                                     "accepted), Data Integrity proofs / VC-JWT / JWS verified")
    event_types: ClassVar[tuple[str, ...]] = ("CredentialIssued",)
    #: Issuers are mostly private bodies; ZZ (CLDR 'unknown region') when the issuer gives no
    #: country and the caller names none: privacy rules then match nothing and block, never guess.
    defaults: ClassVar[SourceDefaults] = SourceDefaults("ob3-issuer", "private", "ZZ")
    guarantee: ClassVar[str] = ("at-least-once into hub.ingress; event ids derive from the credential "
                                "id, so re-ingesting a credential from any file is idempotent")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        for rec in iter_records(source, ctx.limits):
            if isinstance(rec, DecodeError):
                yield rec
                continue
            yield self.decode_record(rec, source.name, ctx)

    def decode_record(self, rec: RawRecord, name: str, ctx: DecodeContext) -> Decoded | DecodeError:
        opened = open_credential(rec.value, rec.raw, ctx)
        if isinstance(opened, DecodeError):
            return opened.located(file=name, record=rec.record, line=rec.line)
        doc, verification = opened
        doc = as_vc2(doc)
        problem = CREDENTIAL_SCHEMA.problem(doc)
        if problem:
            return rec.error(name, *problem)
        try:
            event = to_credential_issued(doc, ctx)
        except FieldProblem as e:
            return rec.error(name, e.field, e.reason)
        return Decoded(event=mark(event, verification), raw=rec.raw, record=rec.record, line=rec.line)

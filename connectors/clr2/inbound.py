"""`Clr2Inbound`: 1EdTech CLR 2.0 ClrCredentials -> one CredentialIssued per asserted achievement.

The runtime calls `decode(source, ctx)` per file or HTTP body (single JSON, JSON array or JSON
Lines, bounded as in openbadges3). A ClrCredential's envelope is checked against
clr_credential.schema.json; then every embedded AchievementCredential
(`credentialSubject.verifiableCredential[i]`, a JSON object, possibly with a Data Integrity proof,
or a compact VC-JWT) is checked with the openbadges3 schema and mapped with the openbadges3
mapping, `bundle_id` = the CLR id. An embedded credential that fails yields one located error
(field path inside the CLR) and its siblings still become events.

Signatures (hub.verify, via `connectors._vc.signed`): the CLR itself may be a VC-JWT / JWS envelope
or carry a proof; each embedded credential may too. An event's `header.verification` is the
embedded credential's own outcome when it is signed, else the CLR's (whose signature covers it).
A signature that does not verify dead-letters the CLR (its own) or that one embedded credential
(with the credential's bytes). VC 1.1-context drafts are accepted and recorded as 'VC 1.1'.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from connectors._vc.documents import RawRecord, iter_records
from connectors._vc.signed import as_vc2, mark, open_credential
from connectors._vc.validation import SchemaCheck
from connectors.openbadges3.inbound import CREDENTIAL_SCHEMA
from connectors.openbadges3.mapping import FieldProblem, issuer_org, learner_of, to_credential_issued
from hub.errors import DecodeError
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.limits import check_json_limits

CLR_SCHEMA = SchemaCheck(Path(__file__).with_name("clr_credential.schema.json"))


def jwt_payload(token: str) -> dict:
    """The JSON payload of a compact JWS (signature NOT verified); VC-JWT 1.1 keeps it under 'vc'."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS")
    body = parts[1] + "=" * (-len(parts[1]) % 4)
    payload = json.loads(base64.urlsafe_b64decode(body.encode("ascii")))
    if not isinstance(payload, dict):
        raise ValueError("payload is not an object")
    return payload.get("vc", payload) if isinstance(payload.get("vc"), dict) else payload


class Clr2Inbound(Inbound):
    name: ClassVar[str] = "clr2"
    format_version: ClassVar[str] = ("1EdTech Comprehensive Learner Record 2.0 (VC Data Model 2.0; VC 1.1 "
                                     "drafts accepted), proofs / VC-JWT / JWS verified")
    event_types: ClassVar[tuple[str, ...]] = ("CredentialIssued",)
    defaults: ClassVar[SourceDefaults] = SourceDefaults("clr-issuer", "private", "ZZ")
    guarantee: ClassVar[str] = ("at-least-once into hub.ingress; event ids derive from the CLR id and "
                                "the embedded credential id, so re-ingestion is idempotent")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        for rec in iter_records(source, ctx.limits, line_limit=ctx.limits.max_document_bytes):
            if isinstance(rec, DecodeError):
                yield rec
                continue
            yield from self.decode_clr(rec, source.name, ctx)

    def decode_clr(self, rec: RawRecord, name: str, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        opened = open_credential(rec.value, rec.raw, ctx)
        if isinstance(opened, DecodeError):
            yield opened.located(file=name, record=rec.record, line=rec.line)
            return
        clr, clr_verification = opened
        clr = as_vc2(clr)
        problem = CLR_SCHEMA.problem(clr)
        if problem:
            yield rec.error(name, *problem)
            return
        try:
            clr_issuer = issuer_org(clr["issuer"])
            clr_learner = learner_of(clr["credentialSubject"])
        except FieldProblem as e:
            yield rec.error(name, e.field, e.reason)
            return
        for i, vc in enumerate(clr["credentialSubject"]["verifiableCredential"]):
            prefix = f"credentialSubject.verifiableCredential[{i}]"
            vc_raw = vc.encode() if isinstance(vc, str) else \
                json.dumps(vc, ensure_ascii=False, separators=(",", ":")).encode()
            if isinstance(vc, str):
                try:
                    check_json_limits(jwt_payload(vc), ctx.limits, file=name, record=rec.record)
                except DecodeError as e:
                    yield e.located(line=rec.line, field=prefix)
                    continue
                except (ValueError, UnicodeDecodeError, RecursionError):
                    yield rec.error(name, prefix, "is a string but not a readable compact VC-JWT")
                    continue
            opened = open_credential(vc, vc_raw, ctx)
            if isinstance(opened, DecodeError):
                field = opened.location.field
                opened.location.field = prefix if field in (None, "(root)") else f"{prefix}.{field}"
                yield opened.located(file=name, record=rec.record, line=rec.line)
                continue
            vc, verification = opened
            if verification["proof"] is None:
                verification = clr_verification      # unsigned inside a CLR: the CLR's signature covers it
            vc = as_vc2(vc)
            problem = CREDENTIAL_SCHEMA.problem(vc)
            if problem:
                field, reason = problem
                yield rec.error(name, prefix if field == "(root)" else f"{prefix}.{field}", reason)
                continue
            try:
                ev = to_credential_issued(vc, ctx, document_id=clr["id"], bundle_id=clr["id"],
                                          prefix=prefix)
            except FieldProblem as e:
                yield rec.error(name, e.field, e.reason)
                continue
            self._complete_from_clr(ev, clr_learner, clr_issuer)
            yield Decoded(event=mark(ev, verification), raw=vc_raw, record=rec.record, line=rec.line)

    @staticmethod
    def _complete_from_clr(ev: dict, clr_learner: dict, clr_issuer: dict) -> None:
        """The CLR is about one learner: identifiers given only on the ClrSubject are added to each
        event's learner; the CLR issuer's country stands in when the embedded issuer has none."""
        learner = ev["learner"]
        for nid in clr_learner["national_ids"]:
            if nid not in learner["national_ids"]:
                learner["national_ids"].append(nid)
        for k in ("given_names", "family_name", "birth_date", "email"):
            if learner[k] is None and clr_learner[k] is not None:
                learner[k] = clr_learner[k]
        if ev["issuer"]["jurisdiction"] is None and clr_issuer["jurisdiction"]:
            src = ev["header"]["source"]
            src["jurisdiction"] = ev["header"]["subject_jurisdiction"] = clr_issuer["jurisdiction"]


__all__ = ["Clr2Inbound", "jwt_payload"]

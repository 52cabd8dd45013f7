"""Signed credentials in the VC connectors: unwrap, verify, and note the outcome on the events.

`open_credential(value, raw, ctx)` is called by openbadges3, clr2 and elm-edc for every record
(and every credential embedded in a CLR) before the schema check. It accepts a plain JSON
credential (with or without a Data Integrity `proof`), a JWS JSON serialisation / JAdES envelope
(`{"payload", "signatures"}`) or a compact VC-JWT string, and returns the credential to map with
the `header.verification` record (hub.verify). A signature or proof that does not verify comes
back as `SignatureInvalid` carrying `raw`, so the runtime dead-letters the original bytes.
Credentials on the VC 1.1 context (pre-final Open Badges 3.0 / CLR 2.0, still widely issued) are
read through `as_vc2` (issuanceDate -> validFrom, expirationDate -> validUntil) and keep
`data_model: "VC 1.1"` in the outcome.
"""
from __future__ import annotations

from hub.errors import DecodeError
from hub.verify import verifier_for
from hub.verify.verifier import VC11, VC20


def open_credential(value, raw: bytes, ctx) -> tuple[dict, dict] | DecodeError:
    """(credential, header.verification) or a DecodeError (not yet located by file/record)."""
    try:
        checked = verifier_for(ctx).check_json(value)
    except DecodeError as e:
        if e.raw is None:
            e.raw = raw
        return e
    return checked.credential, checked.outcome.header()


def as_vc2(doc: dict) -> dict:
    """A VC 1.1 credential re-expressed with VC 2.0 property names for the mappings (a copy; the
    signed original is untouched). Other documents are returned as they are."""
    ctx = doc.get("@context")
    if not (isinstance(ctx, list) and ctx and ctx[0] == VC11):
        return doc
    out = dict(doc)
    out["@context"] = [VC20, *ctx[1:]]
    if "validFrom" not in out and "issuanceDate" in out:
        out["validFrom"] = out.pop("issuanceDate")
    if "validUntil" not in out and "expirationDate" in out:
        out["validUntil"] = out.pop("expirationDate")
    return out


def mark(event: dict, verification: dict | None) -> dict:
    event["header"]["verification"] = verification
    return event

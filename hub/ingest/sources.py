"""Who supplied an event: the authenticated authority, never the document.

`nqf-hub serve` (bearer token) and `nqf-hub ingest --authority ID` (an entry of the same
authorities file) decode with an `AuthenticatedSource`. `decode_sources` then calls
`authenticate(event, source, connector)` for every decoded event, before it is encoded:

- a document that disagrees with its authority is rejected with a located DecodeError (field
  path, never the values): its source jurisdiction (the issuer country the connector read, or
  the header a canonical-json line carries) must be the authority's jurisdiction or a
  subdivision of it (ZA, or GB-SCT under GB), or one of the entry's `document_jurisdictions`
  (for networks such as an EU-level node);
- a consent (ConsentRecorded / ConsentWithdrawn) may only concern learners of the authority's
  own jurisdiction (header.subject_jurisdiction within it; `document_jurisdictions` do not
  widen this);
- then header.source.authority, authority_type and jurisdiction are set from the authority;
- connectors that keep the sender's header (`Inbound.keeps_sender_header`, i.e. canonical-json)
  get their event id namespaced by the authority (UUIDv5 of authority and the given id) and a
  trace id derived from it, so one authority cannot reuse another's event ids (partners
  de-duplicate by them); a replay by the same authority keeps the same ids.
"""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from hub.sdk.inbound import EVENT_ID_NAMESPACE

CONSENT_EVENTS = ("ConsentRecorded", "ConsentWithdrawn")


def within(code: str | None, area: str) -> bool:
    """True when jurisdiction `code` is `area` or a subdivision of it (GB-SCT within GB)."""
    return bool(code) and (code == area or code.startswith(area + "-"))


@dataclass(frozen=True)
class AuthenticatedSource:
    """The authority an ingest runs for, as its entry in the authorities file states it."""

    authority: str
    authority_type: str
    jurisdiction: str
    document_jurisdictions: tuple[str, ...] = ()

    def accepts_document(self, code: str | None) -> bool:
        return within(code, self.jurisdiction) or any(within(code, d) for d in self.document_jurisdictions)


def authenticate(event: dict, source: AuthenticatedSource, *, keeps_sender_header: bool = False
                 ) -> tuple[str, str] | None:
    """Check `event` against `source` and stamp its header (in place).

    Returns None when the event was accepted and stamped, else (field path, reason) and leaves
    the event unchanged. Reasons never quote a value."""
    h = event.get("header") or {}
    src = h.get("source") or {}
    if not source.accepts_document(src.get("jurisdiction")):
        return ("header.source.jurisdiction",
                "the document's jurisdiction (issuer country) is not the authenticated authority's")
    if h.get("event_type") in CONSENT_EVENTS and not within(h.get("subject_jurisdiction"), source.jurisdiction):
        return ("header.subject_jurisdiction",
                "a consent may only be recorded for learners of the authority's own jurisdiction")
    src.update(authority=source.authority, authority_type=source.authority_type,
               jurisdiction=source.jurisdiction)
    h["source"] = src
    if keeps_sender_header and h.get("event_id"):
        eid = str(uuid.uuid5(EVENT_ID_NAMESPACE, f"sender-header|{source.authority}|{h['event_id']}"))
        h["event_id"] = eid
        h["trace_id"] = hashlib.sha256(eid.encode()).hexdigest()[:32]
    return None


__all__ = ["AuthenticatedSource", "CONSENT_EVENTS", "authenticate", "within"]

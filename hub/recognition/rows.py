"""Canonical events -> the table rows recognition decides from.

The recognition processor keeps five tables fed from hub.ingress (qualifications, institutions,
accreditation history, issued credentials, revocations). Each function here turns one canonical
event (fastavro dict) into `(key, row)`; rows are plain JSON values (dates as 'YYYY-MM-DD',
timestamps ISO-8601) so they fit a faust table with the JSON serializer as well as a dict.

Rows keep what a decision needs and nothing more: a credential row has no learner data, so the
tables hold no names, ids or birth dates.

Merging (called for every event, in any order, any number of times; the result depends only on
the set of events seen):
  - qualifications / institutions: the row with the latest (occurred_at, event_id) wins;
  - credentials: the latest (occurred_at, event_id) wins (a re-issue replaces the first);
  - revocations: the earliest revoked_on wins;
  - accreditation: one list per subject, deduplicated by event_id and kept sorted.
"""
from __future__ import annotations

import datetime as dt

from hub.jsonview import to_jsonable


def _d(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)[:10]


def _ts(v) -> str:
    return to_jsonable(v) if isinstance(v, (dt.date, dt.datetime)) else str(v)


def _newer(old: dict | None, new: dict) -> bool:
    return old is None or (new["occurred_at"], new["event_id"]) >= (old["occurred_at"], old["event_id"])


def qualification_row(ev: dict) -> tuple[str, dict]:
    q = ev["qualification"]
    return q["id"], {
        "event_id": ev["header"]["event_id"], "occurred_at": _ts(ev["header"]["occurred_at"]),
        "qualification": to_jsonable(q), "status": ev.get("status"),
        "valid_from": _d(ev.get("valid_from")), "valid_until": _d(ev.get("valid_until")),
    }


def institution_row(ev: dict) -> tuple[str, dict]:
    inst = ev["institution"]
    return inst["id"], {
        "event_id": ev["header"]["event_id"], "occurred_at": _ts(ev["header"]["occurred_at"]),
        "institution": to_jsonable(inst), "status": ev.get("status"),
        "legal_nature": ev.get("legal_nature"),
    }


def credential_row(ev: dict) -> tuple[str, dict]:
    h = ev["header"]
    return ev["credential_id"], {
        "event_id": h["event_id"], "occurred_at": _ts(h["occurred_at"]),
        "credential_id": ev["credential_id"], "qualification": to_jsonable(ev["qualification"]),
        "issuer": to_jsonable(ev["issuer"]), "awarded_on": _d(ev["awarded_on"]),
        "valid_until": _d(ev.get("valid_until")), "subject_jurisdiction": h["subject_jurisdiction"],
    }


def revocation_row(ev: dict) -> tuple[str, dict]:
    return ev["credential_id"], {
        "event_id": ev["header"]["event_id"], "occurred_at": _ts(ev["header"]["occurred_at"]),
        "revoked_on": _d(ev["revoked_on"]), "reason": ev.get("reason"),
    }


def accreditation_key(subject_type: str, subject_id: str) -> str:
    return f"{subject_type.strip().lower()}:{subject_id}"


def accreditation_row(ev: dict) -> tuple[str, dict]:
    h = ev["header"]
    inst, qual = ev.get("institution"), ev.get("qualification")
    return accreditation_key(ev["subject_type"], ev["subject_id"]), {
        "event_id": h["event_id"], "occurred_at": _ts(h["occurred_at"]),
        "accreditation_id": ev["accreditation_id"], "accreditor_id": ev["accreditor"]["id"],
        "subject_type": ev["subject_type"].strip().lower(), "subject_id": ev["subject_id"],
        "institution_id": inst["id"] if inst else None, "qualification_id": qual["id"] if qual else None,
        "status": str(ev["status"]).strip().upper(), "valid_from": _d(ev.get("valid_from")),
        "valid_until": _d(ev.get("valid_until")), "decided_on": _d(ev.get("decided_on")),
    }


# ---- merging ------------------------------------------------------------------------------
def merge_latest(old: dict | None, new: dict) -> dict:
    """Qualifications and institutions: the most recent fact wins."""
    return new if _newer(old, new) else old


def merge_credential(old: dict | None, new: dict) -> dict:
    return new if _newer(old, new) else old


def merge_revocation(old: dict | None, new: dict) -> dict:
    if old is None:
        return new
    return min(old, new, key=lambda r: (r["revoked_on"] or "9999", r["event_id"]))


def merge_accreditation(history: list | None, new: dict) -> list:
    """The subject's accreditation history with `new` added once, sorted deterministically."""
    rows = [r for r in (history or []) if r["event_id"] != new["event_id"]]
    rows.append(new)
    rows.sort(key=lambda r: (r["valid_from"] or "", r["decided_on"] or "", r["occurred_at"], r["event_id"]))
    return rows


#: event_type -> (table name, row function, merge function)
TABLES = {
    "QualificationPublished": ("qualifications", qualification_row, merge_latest),
    "InstitutionPublished": ("institutions", institution_row, merge_latest),
    "CredentialIssued": ("credentials", credential_row, merge_credential),
    "CredentialRevoked": ("revocations", revocation_row, merge_revocation),
    "AccreditationChanged": ("accreditation", accreditation_row, merge_accreditation),
}

"""Accreditation history as status intervals: was the issuer accredited for a qualification on a date?

Each AccreditationChanged row is a status over [start, valid_until] (both inclusive), where
start = valid_from, else decided_on, else the date the event occurred. For a date, the status
is that of the covering row that started last (later decisions override earlier ones for their
own interval: a SUSPENDED from March to September inside an ACCREDITED 2015-2025 means
suspended in between and accredited again after). Ties: later decided_on, later occurred_at,
then the more restrictive status, then event_id, so the answer never depends on arrival order.

Three scopes are read for a credential (issuer I, qualification Q):
  institution            subject institution:I with no qualification named
  issuer+qualification   subject institution:I naming Q, or subject qualification|programme:Q
                         naming institution I
  qualification          subject qualification|programme:Q naming no institution
Every scope that has rows must say accredited on the award date. No rows in any scope means
the hub does not know.
"""
from __future__ import annotations

from dataclasses import dataclass

ACCREDITED = ("ACCREDITED", "CONDITIONAL")
NOT_ACCREDITED = ("SUSPENDED", "WITHDRAWN", "EXPIRED", "PENDING")
_SEVERITY = {"ACCREDITED": 0, "CONDITIONAL": 1, "PENDING": 2, "EXPIRED": 3, "SUSPENDED": 4, "WITHDRAWN": 5}

# check results
OK, NOT_OK, UNKNOWN, UNRECOGNISED = "accredited", "not_accredited", "unknown", "unrecognised_status"


@dataclass(frozen=True)
class ScopeResult:
    scope: str                 # institution | issuer+qualification | qualification
    status: str | None         # status on the date, None when no interval covers it
    accreditation_id: str | None = None


@dataclass(frozen=True)
class AccreditationCheck:
    result: str                # accredited | not_accredited | unknown | unrecognised_status
    scopes: tuple[ScopeResult, ...] = ()

    @property
    def conditional(self) -> bool:
        return any(s.status == "CONDITIONAL" for s in self.scopes)


def _start(row: dict) -> str:
    return row["valid_from"] or row["decided_on"] or (row["occurred_at"] or "")[:10] or "0000-00-00"


def status_on(history: list[dict], day: str) -> dict | None:
    """The row that governs `day` ('YYYY-MM-DD'), or None when no interval covers it."""
    covering = [r for r in history if _start(r) <= day and (r["valid_until"] is None or day <= r["valid_until"])]
    if not covering:
        return None
    return max(covering, key=lambda r: (_start(r), r["decided_on"] or "", r["occurred_at"],
                                        _SEVERITY.get(r["status"], 9), r["event_id"]))


def scopes_for(state, issuer_id: str, qualification_id: str | None) -> dict[str, list[dict]]:
    inst_rows = state.accreditation_history("institution", issuer_id)
    qual_rows = []
    if qualification_id:
        qual_rows = (state.accreditation_history("qualification", qualification_id)
                     + state.accreditation_history("programme", qualification_id))
    scopes = {
        "institution": [r for r in inst_rows if r["qualification_id"] is None],
        "issuer+qualification": (
            [r for r in inst_rows if qualification_id and r["qualification_id"] == qualification_id]
            + [r for r in qual_rows if r["institution_id"] == issuer_id]),
        "qualification": [r for r in qual_rows if r["institution_id"] is None],
    }
    return {k: v for k, v in scopes.items() if v}


def check(state, issuer_id: str, qualification_id: str | None, award_date: str) -> AccreditationCheck:
    """Accreditation of the issuer for the qualification on `award_date`, over every scope with data."""
    scopes = scopes_for(state, issuer_id, qualification_id)
    if not scopes:
        return AccreditationCheck(UNKNOWN)
    results = []
    for name in ("institution", "issuer+qualification", "qualification"):
        if name in scopes:
            row = status_on(scopes[name], award_date)
            results.append(ScopeResult(name, row["status"] if row else None,
                                       row["accreditation_id"] if row else None))
    if any(s.status is None or s.status in NOT_ACCREDITED for s in results):
        return AccreditationCheck(NOT_OK, tuple(results))
    if any(s.status not in ACCREDITED for s in results):
        return AccreditationCheck(UNRECOGNISED, tuple(results))
    return AccreditationCheck(OK, tuple(results))

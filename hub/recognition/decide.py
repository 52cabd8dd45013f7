"""`decide(request, state, levels, now)`: one RecognitionRequested -> one RecognitionDecided.

Pure: the answer depends only on the arguments (no clock, no I/O), so the faust processor and
the offline command give the same decision for the same tables, and a decision can be explained
later by re-running it. Every check adds reasons; the outcome is the most severe effect among
them (see README.md in this folder for the table of reason codes):

    NOT_RECOGNISED      revoked / expired credential, issuer not accredited on the award date,
                        a source says there is no comparable level
    CANNOT_DETERMINE    unknown credential (or it did not arrive in time), unknown qualification,
                        no level, unknown target framework, no accreditation data, no level data
    PARTIALLY_RECOGNISED comparable only through inferred rows, or as a range of levels
    RECOGNISED          everything checked and one comparable level on a non-inferred route
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from hub.levels import COMPARABLE, NONE, CONFIDENCE_RANK, Comparison, LevelCatalog
from hub.recognition import accreditation as acc
from hub.sdk.inbound import EVENT_ID_NAMESPACE

UTC = dt.timezone.utc
RECOGNISED, PARTIALLY_RECOGNISED = "RECOGNISED", "PARTIALLY_RECOGNISED"
NOT_RECOGNISED, CANNOT_DETERMINE = "NOT_RECOGNISED", "CANNOT_DETERMINE"
OUTCOMES = (RECOGNISED, PARTIALLY_RECOGNISED, NOT_RECOGNISED, CANNOT_DETERMINE)

# effect of a reason on the outcome: higher wins
INFO, PARTIAL, CANNOT, NOT = 0, 1, 2, 3
_OUTCOME_OF = {INFO: RECOGNISED, PARTIAL: PARTIALLY_RECOGNISED, CANNOT: CANNOT_DETERMINE, NOT: NOT_RECOGNISED}

#: reason code -> effect. Messages never contain learner data (no names, ids or dates of a person).
REASONS = {
    "CREDENTIAL_UNKNOWN": CANNOT,
    "CREDENTIAL_NOT_RECEIVED": CANNOT,
    "CREDENTIAL_REVOKED": NOT,
    "CREDENTIAL_REVOCATION_SCHEDULED": INFO,
    "CREDENTIAL_EXPIRED": NOT,
    "ISSUER_NOT_ACCREDITED": NOT,
    "ACCREDITATION_UNKNOWN": CANNOT,
    "ACCREDITATION_STATUS_UNRECOGNISED": CANNOT,
    "ACCREDITATION_CONDITIONAL": INFO,
    "ISSUER_ACCREDITED": INFO,
    "QUALIFICATION_UNKNOWN": CANNOT,
    "QUALIFICATION_LEVEL_UNKNOWN": CANNOT,
    "TARGET_FRAMEWORK_UNKNOWN": CANNOT,
    "NO_COMPARABLE_LEVEL": NOT,
    "NO_COMPARABLE_LEVEL_INFERRED": CANNOT,
    "LEVEL_COMPARISON_UNKNOWN": CANNOT,
    "INFERRED_LEVEL_LINK": PARTIAL,
    "LEVEL_RANGE": PARTIAL,
    "PARTIAL_LEVEL_MATCH": PARTIAL,
    "LEGACY_LINK": INFO,
    "COMPARABLE_LEVEL": INFO,
}


@dataclass(frozen=True)
class HubIdentity:
    """Who signs and emits decisions (the header's source)."""

    authority: str = "nqf-hub"
    authority_type: str = "private"
    connector: str = "recognition"


def decision_event_id(request_event_id: str) -> str:
    """Deterministic: the same request always yields the same decision event id."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"RecognitionDecided|{request_event_id}"))


def _ms(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    t = t.astimezone(UTC)
    return t.replace(microsecond=(t.microsecond // 1000) * 1000)


class _Reasons:
    def __init__(self):
        self.items: list[tuple[int, int, str, str]] = []

    def add(self, code: str, message: str) -> None:
        self.items.append((REASONS[code], len(self.items), code, message))

    @property
    def outcome(self) -> str:
        return _OUTCOME_OF[max((e for e, *_ in self.items), default=INFO)]

    def as_list(self) -> list[dict]:
        return [{"code": c, "message": m} for _, _, c, m in sorted(self.items, key=lambda x: (-x[0], x[1]))]


def _target_frameworks(request: dict, levels: LevelCatalog, reasons: _Reasons) -> list[str]:
    tf = request.get("target_framework")
    if tf:
        code = levels.resolve(tf)
        if code is None:
            reasons.add("TARGET_FRAMEWORK_UNKNOWN", f"target framework {tf} has no level data in the hub")
            return []
        return [code]
    juris = request["target_jurisdiction"]
    codes = sorted(f.code for f in levels.for_jurisdiction(juris))
    if not codes:
        reasons.add("TARGET_FRAMEWORK_UNKNOWN", f"no qualification framework is known for jurisdiction {juris}")
    return codes


def _rank(c: Comparison) -> tuple:
    """Sort key: the best comparison first (comparable, firmer, narrower, shorter, then by name)."""
    status = {COMPARABLE: 0, NONE: 1}.get(c.status, 2)
    return (status, c.inferred, -CONFIDENCE_RANK.get(c.confidence or "", -1), c.partial,
            len(c.levels), len(c.path), c.target, c.source)


def best_comparison(level_refs: list[dict], targets: list[str], levels: LevelCatalog) -> Comparison | None:
    """The best comparison of any of the qualification's levels into any candidate framework."""
    found = [levels.compare(ref["framework"], ref["code"], t) for ref in level_refs for t in targets]
    return min(found, key=_rank) if found else None


def _check_levels(qual_ref: dict, targets: list[str], levels: LevelCatalog, reasons: _Reasons) -> Comparison | None:
    refs = qual_ref.get("levels") or []
    if not refs:
        reasons.add("QUALIFICATION_LEVEL_UNKNOWN",
                    f"qualification {qual_ref['id']} carries no framework level")
        return None
    if not targets:
        return None
    c = best_comparison(refs, targets, levels)
    route = " -> ".join(c.path) if c.path else "no route"
    if c.status == NONE:
        if c.inferred:
            reasons.add("NO_COMPARABLE_LEVEL_INFERRED",
                        f"no comparable level in {c.target}, but only by inference ({route})")
        else:
            reasons.add("NO_COMPARABLE_LEVEL",
                        f"a source says {c.source} has no comparable level in {c.target} ({route})")
    elif c.status != COMPARABLE:
        why = "; ".join(c.notes) or "no level data"
        reasons.add("LEVEL_COMPARISON_UNKNOWN", f"cannot compare {c.source} with {c.target}: {why}")
    else:
        reasons.add("COMPARABLE_LEVEL", f"{c.source} is comparable with {c.target} "
                    f"{' | '.join(c.levels)} ({route}; confidence {c.confidence})")
        if c.inferred:
            reasons.add("INFERRED_LEVEL_LINK", f"the route uses rows that are only inferred (confidence {c.confidence})")
        if len(c.levels) > 1:
            reasons.add("LEVEL_RANGE", f"comparable with a range of {len(c.levels)} levels in {c.target}")
        if c.partial:
            reasons.add("PARTIAL_LEVEL_MATCH", "some levels on the route have no counterpart")
    for i, s in enumerate(c.link_statuses):
        if s == "legacy" and i + 1 < len(c.path):
            a, b = c.path[i].split(":", 1)[0], c.path[i + 1].split(":", 1)[0]
            reasons.add("LEGACY_LINK", f"the {a} - {b} link is legacy and may no longer be maintained")
    return c


def _check_accreditation(cred: dict, state, reasons: _Reasons) -> None:
    issuer = cred["issuer"]["id"]
    qid = cred["qualification"]["id"]
    res = acc.check(state, issuer, qid, cred["awarded_on"])
    if res.result == acc.UNKNOWN:
        reasons.add("ACCREDITATION_UNKNOWN", f"no accreditation record for issuer {issuer} or qualification {qid}")
        return
    for s in res.scopes:
        what = {"institution": f"issuer {issuer}", "issuer+qualification": f"issuer {issuer} for qualification {qid}",
                "qualification": f"qualification {qid}"}[s.scope]
        if s.status is None:
            reasons.add("ISSUER_NOT_ACCREDITED", f"{what}: no accreditation interval covers the award date")
        elif s.status in acc.NOT_ACCREDITED:
            reasons.add("ISSUER_NOT_ACCREDITED", f"{what}: {s.status} on the award date ({s.accreditation_id})")
        elif s.status not in acc.ACCREDITED:
            reasons.add("ACCREDITATION_STATUS_UNRECOGNISED", f"{what}: status {s.status} is not one the hub knows")
        elif s.status == "CONDITIONAL":
            reasons.add("ACCREDITATION_CONDITIONAL", f"{what}: CONDITIONAL on the award date ({s.accreditation_id})")
        else:
            reasons.add("ISSUER_ACCREDITED", f"{what}: ACCREDITED on the award date ({s.accreditation_id})")


def decide(request: dict, state, levels: LevelCatalog, now: dt.datetime, *,
           timed_out: bool = False, hub: HubIdentity = HubIdentity()) -> dict:
    """The RecognitionDecided event (fastavro dict, unsigned) for `request` over `state`.

    `now` is the decision time (header timestamps, revocation and expiry cut-off). `timed_out`
    says the processor stopped waiting for the credential (reason CREDENTIAL_NOT_RECEIVED).
    """
    now = _ms(now)
    today = now.date().isoformat()
    reasons = _Reasons()
    cred = state.credential(request["credential_id"])
    comparison = None
    qual_ref = None
    targets = _target_frameworks(request, levels, reasons)
    if cred is None:
        if timed_out:
            reasons.add("CREDENTIAL_NOT_RECEIVED", "the credential did not arrive within the wait window")
        else:
            reasons.add("CREDENTIAL_UNKNOWN", "the hub has no issued credential with this id")
    else:
        rev = state.revocation(request["credential_id"])
        if rev is not None:
            if rev["revoked_on"] and rev["revoked_on"] > today:
                reasons.add("CREDENTIAL_REVOCATION_SCHEDULED", "the credential is revoked from a later date")
            else:
                reasons.add("CREDENTIAL_REVOKED", "the issuer revoked the credential")
        if cred["valid_until"] and cred["valid_until"] < today:
            reasons.add("CREDENTIAL_EXPIRED", "the credential's validity has ended")
        _check_accreditation(cred, state, reasons)
        qid = cred["qualification"]["id"]
        registered = state.qualification(qid)
        if registered is None:
            reasons.add("QUALIFICATION_UNKNOWN", f"qualification {qid} is not in any register the hub receives")
            qual_ref = cred["qualification"]
        else:
            qual_ref = dict(registered["qualification"])
            if not qual_ref.get("levels"):
                qual_ref["levels"] = cred["qualification"].get("levels") or []
        comparison = _check_levels(qual_ref, targets, levels, reasons)

    outcome = reasons.outcome
    positive = outcome in (RECOGNISED, PARTIALLY_RECOGNISED)
    rh = request["header"]
    header = {
        "event_id": decision_event_id(rh["event_id"]),
        "event_type": "RecognitionDecided",
        "occurred_at": now,
        "recorded_at": now,
        "source": {"connector": hub.connector, "authority": hub.authority,
                   "authority_type": hub.authority_type, "jurisdiction": rh["source"]["jurisdiction"],
                   "document_id": request["request_id"], "record_ref": None},
        "subject_jurisdiction": cred["subject_jurisdiction"] if cred else rh["subject_jurisdiction"],
        "trace_id": rh["trace_id"],
        "verification": None,
    }
    return {
        "header": header,
        "decision_id": header["event_id"],
        "request_id": request["request_id"],
        "credential_id": request["credential_id"],
        "outcome": outcome,
        "target_framework": comparison.target if comparison else (targets[0] if len(targets) == 1 else None),
        "comparable_levels": comparison.level_refs if (positive and comparison) else [],
        "path": list(comparison.path) if comparison else [],
        "reasons": reasons.as_list(),
        "requesting_partner": request["requesting_partner"],
        "learner": None,
        "qualification": _qualification_ref(qual_ref) if qual_ref else None,
        "signature": None,
    }


_QREF_FIELDS = ("id", "title", "levels", "credits", "field_of_study", "awarding_body", "qualification_type")


def _qualification_ref(q: dict) -> dict:
    """A complete QualificationRef (every field present) from a stored row."""
    out = {k: q.get(k) for k in _QREF_FIELDS}
    out["levels"] = [{"framework": x["framework"], "code": x["code"]} for x in (q.get("levels") or [])]
    if out["credits"] is not None:
        out["credits"] = {"value": float(out["credits"]["value"]), "system": out["credits"]["system"]}
    if out["awarding_body"] is not None:
        b = out["awarding_body"]
        out["awarding_body"] = {"id": b["id"], "name": b.get("name"), "jurisdiction": b.get("jurisdiction")}
    return out

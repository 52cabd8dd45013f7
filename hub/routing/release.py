"""Asking the router to release or expire a held record (operators, tools).

The audit chain has one writer per partition, the router, so nothing else writes hub.audit or a
released partner copy. `request_release` / `request_expire` produce a ReleaseRequest to
<prefix>.release keyed by the held record's subject key (the credential id, as on hub.held);
the router, which consumes <prefix>.release, re-decides a release with the named evidence plus
the partner's own instruments and, if the policy now forwards, writes the partner copy and an
AuditRecord with action "release" — or, for an expiry, an AuditRecord with action "expire".
A request for a hold that is already released or expired changes nothing (the router keeps
the closed holds in a table). Both functions return after Kafka acknowledged the request.
"""
from __future__ import annotations

import datetime as dt
import uuid

from hub.config import Settings
from hub.routing.consent import request
from hub.routing.trust_gate import gate as trust_gate

UTC = dt.timezone.utc
RELEASE = "nqfhub.internal.ReleaseRequest"
EVIDENCE_KINDS = ("consent", "instrument", "authorisation")


def _send(settings: Settings, key: bytes | None, req: dict, producer=None, serde=None) -> dict:
    from hub.observability.producing import OperatorProducer
    from hub.serde import Serde
    from hub.schemas import catalog

    serde = serde or Serde(catalog(settings.schemas_dir), settings.schema_registry_url)
    out = OperatorProducer(settings, producer)
    out.send(settings.topic("release"), key or req["event_id"].encode(), serde.encode(req, RELEASE),
             [("nqfhub.event_id", req["event_id"].encode()), ("nqfhub.partner", req["partner_id"].encode()),
              ("nqfhub.release.kind", req["kind"].encode()), ("nqfhub.operator", req["requested_by"].encode())])
    out.flush()
    return req


def check_evidence(evidence_ids) -> list[str]:
    """Typed evidence ids '<kind>:<ref>'; raises HubError naming every malformed one."""
    from hub.errors import HubError
    bad = [e for e in evidence_ids if e.partition(":")[0] not in EVIDENCE_KINDS or not e.partition(":")[2]]
    if bad:
        raise HubError("evidence must be KIND:ID with KIND one of " + ", ".join(EVIDENCE_KINDS)
                       + f"; not understood: {', '.join(bad)}")
    return sorted(set(evidence_ids))


def request_release(settings: Settings, held_record: dict, evidence_ids, reason: str, by: str, *,
                    key: bytes | None = None, producer=None, serde=None) -> dict:
    """Produce a release request for a decoded HeldRecord; returns the request (acknowledged)."""
    r = held_record
    now = dt.datetime.now(UTC)
    req = request("release", held_id=r["held_id"], event_id=r["event_id"], event_type=r["event_type"],
                  partner_id=r["partner_id"], evidence_ids=check_evidence(evidence_ids), reason=reason,
                  by=by, now=now, purpose=r.get("purpose"), rule_ids=r.get("rule_ids") or (), event=r["event"])
    return _send(settings, key, req, producer, serde)


def request_expire(settings: Settings, held_record: dict, reason: str, by: str, *,
                   key: bytes | None = None, producer=None, serde=None) -> dict:
    """Produce an expiry request for a decoded HeldRecord; returns the request (acknowledged)."""
    r = held_record
    now = dt.datetime.now(UTC)
    req = request("expire", held_id=r["held_id"], event_id=r["event_id"], event_type=r["event_type"],
                  partner_id=r["partner_id"], reason=reason, by=by, now=now, purpose=r.get("purpose"),
                  rule_ids=r.get("rule_ids") or (), event=r["event"])
    return _send(settings, key, req, producer, serde)


__all__ = ["check_evidence", "request_release", "request_expire"]


# ---- the router's side --------------------------------------------------------------------
def _evidence(partner_evidence, evidence_ids):
    from hub.routing.policy import Evidence
    sets: dict[str, set] = {"consent": set(), "instrument": set(), "authorisation": set()}
    given_by: dict[str, str] = dict(partner_evidence.consent_given_by)
    for e in evidence_ids:
        kind, _, ref = e.partition(":")
        if kind == "consent-by":               # consent-by:<capacity>:<consent id> (hub.routing.consent)
            capacity, _, cid = ref.partition(":")
            if capacity and cid:
                given_by[cid] = capacity
        elif kind in sets and ref:
            sets[kind].add(ref)
    consents = partner_evidence.consent_ids | frozenset(sets["consent"])
    return Evidence(consent_ids=consents,
                    instrument_ids=partner_evidence.instrument_ids | frozenset(sets["instrument"]),
                    authorisation_ids=partner_evidence.authorisation_ids | frozenset(sets["authorisation"]),
                    consent_given_by=tuple(sorted((c, b) for c, b in given_by.items() if c in consents)))


IDENTITY = ("given_names", "family_name", "birth_date", "national_ids", "email")


def erasure_copy(core, withdrawal: dict, partner, consent_ids) -> tuple[dict, object]:
    """The ConsentWithdrawn a partner receives as an erasure request: the learner reduced to
    identifying fields, then minimised by the partner's own decision under the withdrawn
    consent (so the partner gets the identifiers in the form it received them, e.g. its own
    pseudonyms, and nothing it did not receive). If the policy would not forward, no learner."""
    learner = withdrawal.get("learner")
    ev = dict(withdrawal)
    if isinstance(learner, dict):
        ev["learner"] = {k: (learner.get(k) if k in IDENTITY else ([] if isinstance(learner.get(k), list) else None))
                         for k in learner}
    d = core.engine.decide(ev, partner, evidence=_evidence(core.evidence_for(partner, ev),
                                                          [f"consent:{c}" for c in consent_ids]))
    if d.action in ("forward", "forward_minimised"):
        return d.event, d
    return {**ev, "learner": None}, d


def handle_request(core, value: bytes, key: bytes | None, origin, closed, recipients=None, chain=None) -> list:
    """Outputs of the router for one ReleaseRequest (called by RouterCore.release).

    release  re-decide the held event with the request's evidence plus the partner's own; a
             forward writes the partner copy and an audit record "release", anything else an
             audit record with the new action (the hold stays open)
    expire   an audit record "expire"; nothing is sent
    erasure  the partner gets the ConsentWithdrawn (header nqfhub.erasure_request=true) and an
             audit record "erasure_request" is written
    `closed` (held id / erasure target -> action) makes every request idempotent: a hold that is
    already released or expired, or an erasure already sent, produces nothing.
    """
    from hub.errors import HubError, PolicyError, RecordError
    from hub.routing.metrics import count_held_outcome
    from hub.routing.retention import closed_row, recipients_of, recipients_row
    from hub.routing.router import Output, partner_key

    try:
        name, req = core.serde.decode(value)
        if name != RELEASE:
            raise RecordError(f"not a release request ({name})")
        _, event = core.serde.decode(req["event"])
    except RecordError as e:
        return [core._dead_letter(value, key, e, "schema", origin)]
    kind, pid = req["kind"], req["partner_id"]
    target = req["held_id"] if kind in ("release", "expire") else f"erasure|{req['event_id']}|{pid}"
    if not target or (closed is not None and closed.get(target)):
        count_held_outcome(pid, "duplicate")
        return []
    partner = core.partners.get(pid)
    h = event["header"]
    now = dt.datetime.now(UTC)
    headers = [("nqfhub.event_id", h["event_id"].encode()), ("nqfhub.trace_id", h["trace_id"].encode()),
               ("nqfhub.event_type", h["event_type"].encode()), ("nqfhub.partner", pid.encode()),
               ("nqfhub.operator", req["requested_by"].encode()),
               ("nqfhub.release.kind", kind.encode()), ("nqfhub.release.reason", req["reason"].encode())]
    if req["held_id"]:
        headers.append(("nqfhub.release.held_id", req["held_id"].encode()))
    kinds = ",".join(sorted({e.partition(":")[0] for e in req["evidence_ids"]}))
    if kinds:
        headers.append(("nqfhub.release.evidence", kinds.encode()))
    outs: list = []
    try:
        if kind == "expire":
            audit = {"audit_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{req['event_id']}|{pid}|expire")),
                     "event_id": h["event_id"], "event_type": h["event_type"], "trace_id": h["trace_id"],
                     "partner_id": pid, "action": "expire", "rule_ids": list(req["rule_ids"]),
                     "legal_basis": [], "regimes": [], "categories_present": [], "removed_categories": [],
                     "purpose": req.get("purpose"), "decided_at": now, "prev_hash": None, "hash": None}
            outs.append(core.audit_output(audit, headers + [("nqfhub.action", b"expire")], origin, chain))
            outcome = "expire"
        elif partner is None:
            raise PolicyError(f"partner {pid} of a release request is not in the partner registry")
        elif kind == "release":
            d = core.engine.decide(event, partner, purpose=req.get("purpose"),
                                   evidence=_evidence(core.evidence_for(partner, event), req["evidence_ids"]))
            d = trust_gate(d, event, partner)      # hub.routing.trust_gate (issue 13)
            audit = core._audit(event, pid, d, now)
            if d.action in ("forward", "forward_minimised"):
                body = req["event"] if d.action == "forward" else core.serde.encode(d.event)
                outs.append(Output(core.t_partner[pid], partner_key(key, d), body,
                                   headers + [("nqfhub.action", d.action.encode())]))
                audit.update(action="release",
                             audit_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{req['event_id']}|{pid}|release")))
                outcome = "release"
                cred = event.get("credential_id")
                if recipients is not None and cred and h["event_type"] in ("CredentialIssued", "RecognitionDecided"):
                    known = recipients_of(recipients.get(cred))
                    if pid not in known:
                        recipients[cred] = recipients_row(set(known) | {pid}, origin, now)
            else:
                audit["audit_id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{req['event_id']}|{pid}|{req['request_id']}"))
                outcome = "still_" + d.action
            outs.append(core.audit_output(audit, headers + [("nqfhub.action", audit["action"].encode()),
                                                            ("nqfhub.release.decision", d.action.encode())],
                                          origin, chain))
        elif kind == "erasure":
            cids = [e.partition(":")[2] for e in req["evidence_ids"] if e.startswith("consent:")]
            copy, d = erasure_copy(core, event, partner, cids)
            eh = headers + [("nqfhub.action", b"erasure_request"), ("nqfhub.erasure_request", b"true"),
                            ("nqfhub.erasure.event_ids", ",".join(req["related_event_ids"]).encode())]
            outs.append(Output(core.t_partner[pid], key, core.serde.encode(copy), eh))
            audit = core._audit(event, pid, d, now)
            audit.update(action="erasure_request", removed_categories=list(d.removed_categories),
                         audit_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{req['event_id']}|{pid}|erasure")))
            outs.append(core.audit_output(audit, eh, origin, chain))
            outcome = "erasure_request"
        else:
            raise RecordError(f"unknown release request kind {kind!r}")
    except HubError as e:
        return [core._dead_letter(value, key, e, "policy" if isinstance(e, PolicyError) else "schema",
                                  origin, h.get("event_id"))]
    if closed is not None and outcome in ("release", "expire", "erasure_request"):
        closed[target] = closed_row(outcome, origin, now)
    count_held_outcome(pid, outcome)
    return outs

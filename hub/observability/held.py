"""Held records for operators: list the open ones, release with new evidence, expire.

The router writes a HeldRecord to <prefix>.held when a partner may receive an event only with
evidence it does not have yet (consent, a transfer instrument, an authorisation). A held record
is *open* until an AuditRecord with action `release` or `expire` exists for the same
event x partner on <prefix>.audit; the router writes those audit records when it reads the
release / expiry requests this module puts on <prefix>.release (hub.routing.release: the router
is the single writer of the hash-chained audit topic), so `list_open` recomputes the state from
the two topics and nothing else.

Release re-runs the policy engine for the held event with the partner's own instruments plus the
evidence the operator names (`consent:<id>`, `instrument:<kind>:<ref>`,
`authorisation:<kind>:<ref>`). Only if the decision is now forward / forward_minimised is the
partner copy produced to hub.partner.<id> (the original bytes for forward, the minimised event
otherwise) together with the `release` audit record — by the router, from the release request
this module produces; the request is acknowledged before the command reports success. Held
records, audit records and this module's output carry ids, rule ids and categories, never
personal data.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from hub.config import Settings
from hub.errors import HubError
from hub.observability.reading import TopicReader, header_map

UTC = dt.timezone.utc
HELD = "nqfhub.internal.HeldRecord"
AUDIT = "nqfhub.internal.AuditRecord"
CLOSING = ("release", "expire")
EVIDENCE_KINDS = {"consent": "consent_ids", "instrument": "instrument_ids",
                  "authorisation": "authorisation_ids", "authorization": "authorisation_ids"}


def held_id(event_id: str, partner_id: str) -> str:
    """The router's id for one event x partner hold (RouterCore._held)."""
    return hashlib.sha256(f"{event_id}|{partner_id}".encode()).hexdigest()[:32]


@dataclass
class HeldEntry:
    held_id: str
    record: dict                      # decoded HeldRecord (event still as bytes)
    key: bytes | None
    position: str                     # topic/partition/offset
    closed_by: str | None = None      # release | expire
    closed_at: str | None = None
    extra: dict = field(default_factory=dict)

    def view(self, now: dt.datetime | None = None) -> dict:
        """What an operator sees: ids, reasons, times; never the event's content."""
        r = self.record
        now = now or dt.datetime.now(UTC)
        held_at, exp = r.get("held_at"), r.get("expires_at")
        return {
            "held_id": self.held_id, "event_id": r["event_id"], "event_type": r["event_type"],
            "partner": r["partner_id"], "reason": r["reason"], "waiting_for": list(r.get("waiting_for") or []),
            "rule_ids": list(r.get("rule_ids") or []), "purpose": r.get("purpose"),
            "held_at": _iso(held_at), "expires_at": _iso(exp),
            "age_s": round((now - held_at).total_seconds(), 1) if held_at else None,
            "overdue": bool(exp and exp < now), "state": self.closed_by or "open",
            "position": self.position,
        }


def _iso(v):
    return v.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if isinstance(v, dt.datetime) else v


def scan(settings: Settings, serde, reader: TopicReader | None = None) -> dict[str, HeldEntry]:
    """Every held record of the hub, keyed by held_id, with its open/closed state."""
    own = reader is None
    reader = reader or TopicReader(settings)
    entries: dict[str, HeldEntry] = {}
    try:
        for m in reader.read([settings.topic("held")]):
            try:
                _, rec = serde.decode(m.value())
            except HubError:
                continue
            hid = rec.get("held_id") or held_id(rec["event_id"], rec["partner_id"])
            entries[hid] = HeldEntry(hid, rec, m.key(), f"{m.topic()}/{m.partition()}/{m.offset()}")
        closed = closed_holds(reader, settings)
        for (eid, pid), (action, at) in closed.items():
            e = entries.get(held_id(eid, pid))
            if e is not None:
                e.closed_by, e.closed_at = action, at
    finally:
        if own:
            reader.close()
    return entries


def closed_holds(reader: TopicReader, settings: Settings) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(event_id, partner) -> (release|expire, when), from audit headers only (no decoding)."""
    out = {}
    for m in reader.read([settings.topic("audit")]):
        h = header_map(m)
        if h.get("nqfhub.action") in CLOSING:
            out[(h.get("nqfhub.event_id", ""), h.get("nqfhub.partner", ""))] = (h["nqfhub.action"], None)
    return out


def list_open(settings: Settings, serde, *, partner: str | None = None, include_closed: bool = False) -> list[dict]:
    now = dt.datetime.now(UTC)
    out = []
    for e in scan(settings, serde).values():
        if (e.closed_by and not include_closed) or (partner and e.record["partner_id"] != partner):
            continue
        out.append(e.view(now))
    return sorted(out, key=lambda v: v["held_at"] or "")


def find(settings: Settings, serde, hid: str) -> HeldEntry:
    entries = scan(settings, serde)
    matches = [e for k, e in entries.items() if k == hid or (len(hid) >= 8 and k.startswith(hid))]
    if not matches:
        raise HubError(f"no held record {hid} in {settings.topic('held')}")
    if len(matches) > 1:
        raise HubError(f"held id prefix {hid} is ambiguous ({len(matches)} records); give more characters")
    return matches[0]


def parse_evidence(items: list[str]):
    """['consent:c-1', 'instrument:eu-scc-2021:x'] -> Evidence (kinds checked, all errors at once)."""
    from hub.routing.policy import Evidence
    sets: dict[str, set[str]] = {"consent_ids": set(), "instrument_ids": set(), "authorisation_ids": set()}
    bad = []
    for it in items:
        kind, _, ref = it.partition(":")
        if kind not in EVIDENCE_KINDS or not ref:
            bad.append(it)
            continue
        sets[EVIDENCE_KINDS[kind]].add(ref)
    if bad:
        raise HubError("evidence must be KIND:ID with KIND one of consent, instrument, authorisation; "
                       f"not understood: {', '.join(bad)}")
    return Evidence(**{k: frozenset(v) for k, v in sets.items()})


def merge_evidence(a, b):
    from hub.routing.policy import Evidence
    return Evidence(consent_ids=a.consent_ids | b.consent_ids,
                    instrument_ids=a.instrument_ids | b.instrument_ids,
                    authorisation_ids=a.authorisation_ids | b.authorisation_ids)


def _headers(ev_header: dict, pid: str, action: str, extra: dict[str, str]) -> list[tuple[str, bytes]]:
    h = [("nqfhub.event_id", ev_header["event_id"].encode()), ("nqfhub.trace_id", ev_header["trace_id"].encode()),
         ("nqfhub.event_type", ev_header["event_type"].encode()), ("nqfhub.partner", pid.encode()),
         ("nqfhub.action", action.encode())]
    return h + [(k, v.encode()) for k, v in extra.items()]


def release(settings: Settings, hid: str, evidence_items: list[str], *, by: str, core=None,
            producer=None, dry_run: bool = False) -> dict:
    """Re-decide a held record with new evidence; forward it if the policy now allows it."""
    from hub.observability import families as F
    from hub.routing.router import build_core

    core = core or build_core(settings)
    entry = find(settings, core.serde, hid)
    rec = entry.record
    if entry.closed_by:
        raise HubError(f"held record {entry.held_id} was already {entry.closed_by}d")
    pid = rec["partner_id"]
    partner = core.partners.get(pid)
    if partner is None:
        raise HubError(f"partner {pid} of held record {entry.held_id} is not in the partner registry")
    _, event = core.serde.decode(rec["event"])
    given = parse_evidence(evidence_items)
    decision = core.engine.decide(event, partner, evidence=merge_evidence(core.evidence_for(partner, event), given))
    result = {"held_id": entry.held_id, "event_id": rec["event_id"], "partner": pid,
              "decision": decision.action, "rules": list(decision.rules),
              "waiting_for": list(decision.waiting_for), "released": False, "dry_run": dry_run}
    if decision.action not in ("forward", "forward_minimised"):
        return result
    result["released"] = not dry_run
    if dry_run:
        return result
    # the router is the only writer of hub.audit (hash chain): it re-decides and writes the
    # partner copy + the "release" audit record when it reads this request (hub.routing.release)
    from hub.routing.release import request_release
    req = request_release(settings, {**rec, "held_id": entry.held_id}, given_ids(evidence_items),
                          "operator", by, key=entry.key, producer=producer, serde=core.serde)
    F.OPERATOR_ACTIONS.labels("release").inc()
    result["to"] = core.t_partner[pid]
    result["request_id"] = req["request_id"]
    return result


def given_ids(items: list[str]) -> list[str]:
    """CLI evidence ('authorization:' spelled either way) as the router's typed ids."""
    return [("authorisation:" + i.partition(":")[2]) if i.startswith("authorization:") else i for i in items]


def expire(settings: Settings, serde, hids: list[str] | None = None, *, due: bool = False, by: str,
           producer=None, dry_run: bool = False) -> dict:
    """Write `expire` audit records for the given held ids, or for every open overdue one."""
    from hub.observability import families as F
    from hub.observability.producing import OperatorProducer

    entries = scan(settings, serde)
    now = dt.datetime.now(UTC)
    chosen: list[HeldEntry] = []
    for hid in hids or []:
        m = [e for k, e in entries.items() if k == hid or (len(hid) >= 8 and k.startswith(hid))]
        if len(m) != 1:
            raise HubError(f"no single held record matches {hid}")
        if m[0].closed_by:
            raise HubError(f"held record {m[0].held_id} was already {m[0].closed_by}d")
        chosen.append(m[0])
    if due:
        chosen += [e for e in entries.values() if not e.closed_by and e.record.get("expires_at")
                   and e.record["expires_at"] < now and e not in chosen]
    out = None if dry_run else OperatorProducer(settings, producer)
    items = []
    for e in chosen:
        r = e.record
        if out:   # the router writes the "expire" audit record (single writer of hub.audit)
            from hub.routing.release import request_expire
            request_expire(settings, {**r, "held_id": e.held_id}, "operator", by, key=e.key,
                           producer=out.p, serde=serde)
        items.append({"held_id": e.held_id, "event_id": r["event_id"], "partner": r["partner_id"],
                      "overdue": bool(r.get("expires_at") and r["expires_at"] < now)})
    if out:
        out.flush()
        if items:
            F.OPERATOR_ACTIONS.labels("expire").inc(len(items))
    return {"expired": 0 if dry_run else len(items), "dry_run": dry_run, "items": items}

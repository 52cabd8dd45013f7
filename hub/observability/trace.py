"""`nqf-hub trace EVENT_ID`: every stage one event passed, in time order.

The hub marks records with the event id (headers `nqfhub.event_id`, `nqfhub.dlq.event_id`, the
key of audit and receipt records) or with the trace id, which the ingest connectors derive from
the event id (sha256(event_id)[:32], `DecodeContext.header`). Matching uses headers and keys
only, so only the records of this event are decoded. A step shows ids, actions, rules, reasons
and times, never personal data.
"""
from __future__ import annotations

import hashlib

from hub.config import Settings
from hub.errors import HubError
from hub.observability.display import ts_iso
from hub.observability.reading import TopicReader, header_map
from hub.runtime.deadletter import headers_dict


def trace_id_of(event_id: str) -> str:
    return hashlib.sha256(event_id.encode()).hexdigest()[:32]


def _topics(settings: Settings, known: dict) -> dict[str, str]:
    """topic -> stage name for every topic an event can pass."""
    p = settings.topic_prefix + "."
    out = {settings.topic("ingress"): "ingress", settings.topic("audit"): "decision",
           settings.topic("held"): "held", settings.topic("delivery"): "delivery",
           settings.topic("deadletter"): "dead_letter", settings.topic("recognition"): "recognition"}
    for t in known:
        if t.startswith(p + "partner."):
            out[t] = "partner_topic"
    return {t: s for t, s in out.items() if t in known}


def _matches(m, event_id: str, trace_id: str) -> bool:
    h = header_map(m)
    if h.get("nqfhub.event_id") == event_id or h.get("nqfhub.dlq.event_id") == event_id:
        return True
    if h.get("nqfhub.trace_id") == trace_id:
        return True
    key = m.key()
    return key is not None and key == event_id.encode()


def trace(settings: Settings, event_id: str, serde, *, since_ms: int | None = None) -> list[dict]:
    """The steps of one event across ingress, decisions, held, partner topics, deliveries, dead letters."""
    tid = trace_id_of(event_id)
    steps = []
    with TopicReader(settings) as reader:
        known = reader.topics()
        stages = _topics(settings, known)
        if not stages:
            raise HubError(f"no hub topics with prefix {settings.topic_prefix!r}: wrong NQF_HUB_TOPIC_PREFIX?")
        for m in reader.read(list(stages), since_ms=since_ms):
            if _matches(m, event_id, tid):
                steps.append(step(stages[m.topic()], m, serde))
    steps.sort(key=lambda s: (s["at"] or "", s["topic"], s["offset"]))
    return steps


def step(stage: str, m, serde) -> dict:
    h = header_map(m)
    s = {"stage": stage, "at": ts_iso(m), "topic": m.topic(), "partition": m.partition(), "offset": m.offset()}
    if "nqfhub.replay.count" in h:
        s["replay"] = {"count": int(h["nqfhub.replay.count"]), "by": h.get("nqfhub.replay.by"),
                       "from": h.get("nqfhub.replay.from")}
    if stage == "dead_letter":
        d = headers_dict(m.headers())
        s.update(failed_stage=d.get("stage"), reason_class=d.get("reason_class"),
                 error_class=d.get("error.class"), message=d.get("error.message"),
                 partner=d.get("partner"), source=d.get("source"),
                 dead_letter_id=f"{m.partition()}:{m.offset()}")
        return s
    if stage == "partner_topic":
        s.update(partner=h.get("nqfhub.partner"), action=h.get("nqfhub.action"))
        return s
    try:
        _, rec = serde.decode(m.value())
    except HubError as e:
        s["decode_error"] = e.__class__.__name__
        return s
    if stage in ("ingress", "recognition") and "header" in rec:
        hd = rec["header"]
        src = hd.get("source") or {}
        s.update(event_type=hd.get("event_type"), connector=src.get("connector"),
                 authority=src.get("authority"), jurisdiction=src.get("jurisdiction"),
                 document_id=src.get("document_id"), record_ref=src.get("record_ref"),
                 recorded_at=ts(hd.get("recorded_at")))
        if stage == "recognition" and rec.get("outcome") is not None:
            s["outcome"] = rec.get("outcome")
    elif stage == "decision":
        s.update(partner=rec.get("partner_id"), action=rec.get("action"), rules=rec.get("rule_ids"),
                 legal_basis=rec.get("legal_basis"), removed_categories=rec.get("removed_categories"),
                 by=h.get("nqfhub.operator"))
    elif stage == "held":
        s.update(partner=rec.get("partner_id"), held_id=rec.get("held_id"), reason=rec.get("reason"),
                 waiting_for=rec.get("waiting_for"), expires_at=ts(rec.get("expires_at")))
    elif stage == "delivery":
        s.update(partner=rec.get("partner_id"), status=rec.get("status"), attempts=rec.get("attempts"),
                 http_status=rec.get("http_status"))
    return {k: v for k, v in s.items() if v is not None}


def ts(v):
    from hub.jsonview import to_jsonable
    return to_jsonable(v) if v is not None else None

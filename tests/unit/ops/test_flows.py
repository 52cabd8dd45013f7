"""FlowTracker from fake records: joins decisions to jurisdictions, closes holds, groups dead letters."""
from __future__ import annotations

import datetime as dt

from hub.config import load_settings
from hub.observability.flows import FlowTracker
from hub.runtime.deadletter import dlq_headers

from tests.fakes import FakeMessage

S = load_settings({}, topic_prefix="t")


def h(**kv):
    return [(f"nqfhub.{k}", v.encode()) for k, v in kv.items()]


def held_bytes(serde, ev, raw, pid):
    now = dt.datetime.now(dt.timezone.utc)
    return serde.encode({"held_id": "x", "event_id": ev["header"]["event_id"], "event_type": "CredentialIssued",
                         "partner_id": pid, "reason": "waiting for consent", "rule_ids": ["R-C"],
                         "waiting_for": ["consent"], "purpose": None, "held_at": now - dt.timedelta(hours=2),
                         "expires_at": now - dt.timedelta(hours=1), "event": raw}, "nqfhub.internal.HeldRecord")


def test_flows_join_and_hold_lifecycle(sample_events, serde):
    t = FlowTracker(S, serde, update_metrics=False)
    (e1, r1), (e2, r2) = sample_events[0], sample_events[1]
    id1, id2 = e1["header"]["event_id"], e2["header"]["event_id"]
    j1 = e1["header"]["source"]["jurisdiction"]
    # a decision read before its event: resolved when the event arrives
    t.add(FakeMessage("t.audit", b"", headers=h(event_id=id1, partner="p-a", action="forward_minimised")))
    t.add(FakeMessage("t.ingress", r1))
    t.add(FakeMessage("t.ingress", r2))
    t.add(FakeMessage("t.audit", b"", headers=h(event_id=id2, partner="p-b", action="hold")))
    t.add(FakeMessage("t.held", held_bytes(serde, e2, r2, "p-b")))
    t.add(FakeMessage("t.delivery", b"", headers=h(event_id=id1, partner="p-a", status="delivered")))
    t.add(FakeMessage("t.deadletter", b"raw", headers=dlq_headers(stage="ingest", error="record 4: bad date",
                                                         reason_class="decode", connector="openbadges3")))
    s = t.snapshot()
    assert s["connectors"]["openbadges3"] == {"ingested": 2, "rejected": 1}
    assert s["jurisdictions"][j1]["forward_minimised"] == 1 and s["jurisdictions"][j1]["delivered"] == 1
    assert s["partners"]["p-a"] == {"forward_minimised": 1, "delivered": 1}
    assert s["held"]["p-b"]["open"] == 1 and s["held"]["p-b"]["overdue"] == 1
    assert s["held"]["p-b"]["oldest_age_s"] >= 7000
    assert "R-C" in s["held"]["p-b"]["reasons"][0]["reason"]
    assert s["dead_letters"][0]["count"] == 1 and s["dead_letters"][0]["message"] == "record 4: bad date"
    assert sum(s["series"]["per_minute"]["ingested"]) in (0, 2)        # fake timestamps may be outside the hour
    t.add(FakeMessage("t.audit", b"", headers=h(event_id=id2, partner="p-b", action="release")))
    assert t.snapshot()["held"] == {}


def test_snapshot_has_no_personal_data(sample_events, serde):
    import json
    t = FlowTracker(S, serde, update_metrics=False)
    for ev, raw in sample_events:
        t.add(FakeMessage("t.ingress", raw, ts_ms=int(dt.datetime.now().timestamp() * 1000)))
        t.add(FakeMessage("t.held", held_bytes(serde, ev, raw, "p")))
    text = json.dumps(t.snapshot(), default=str)
    for ev, _ in sample_events:
        assert ev["learner"]["family_name"] not in text
    assert sum(t.snapshot()["series"]["per_minute"]["ingested"]) == len(sample_events)


def test_bounded_memory(sample_events, serde):
    t = FlowTracker(S, serde, max_events=3, update_metrics=False)
    for _, raw in sample_events:
        t.add(FakeMessage("t.ingress", raw))
    assert len(t.meta) == 3

"""StageMetrics: the contract the workers call, with values that reach the registry."""
from __future__ import annotations

import datetime as dt

from prometheus_client import REGISTRY

from hub.errors import RetriableDeliveryError
from hub.observability.metrics import StageMetrics, record_ingest
from hub.routing.policy import Decision


def val(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def decision(action="forward_minimised", rules=("EU-GDPR-45-ADEQUACY",)):
    return Decision(action=action, rules=list(rules), legal_basis=[], regimes=["EU_GDPR"],
                    removed_categories=[], categories_present=[], waiting_for=[], event=None,
                    rule_regime={r: "EU_GDPR" for r in rules})


def test_stage_series_exist_before_the_first_record():
    StageMetrics("delivery")
    assert REGISTRY.get_sample_value("nqfhub_records_processed_total", {"stage": "delivery"}) is not None
    assert REGISTRY.get_sample_value("nqfhub_dead_letters_total",
                                     {"stage": "delivery", "reason_class": "delivery"}) is not None


def test_decision_counts_routing_and_policy_families(sample_events):
    m = StageMetrics("router")
    ev = sample_events[0][0]
    j = ev["header"]["source"]["jurisdiction"]
    before = val("nqfhub_routing_decisions_total", partner="p-1", action="hold", jurisdiction=j)
    before_rule = val("nqfhub_policy_decisions_total", regime="EU_GDPR", rule="R-1", partner="p-1", action="hold")
    m.decision("p-1", decision("hold", ["R-1"]), event=ev)
    m.decision("p-1", decision("hold", ["R-1"]))            # the event is optional
    assert val("nqfhub_routing_decisions_total", partner="p-1", action="hold", jurisdiction=j) == before + 1
    assert val("nqfhub_routing_decisions_total", partner="p-1", action="hold", jurisdiction="unknown") >= 1
    assert val("nqfhub_policy_decisions_total", regime="EU_GDPR", rule="R-1", partner="p-1",
               action="hold") == before_rule + 2


def test_decision_never_raises_on_a_broken_decision():
    StageMetrics("router").decision("p", object())


def test_dead_letter_processed_and_batch():
    m = StageMetrics("router")
    b = val("nqfhub_dead_letters_total", stage="router", reason_class="schema")
    m.dead_letter("router", "schema")
    m.dead_letter("router", "not-a-class")
    assert val("nqfhub_dead_letters_total", stage="router", reason_class="schema") == b + 1
    assert val("nqfhub_dead_letters_total", stage="router", reason_class="other") >= 1
    p = val("nqfhub_records_processed_total", stage="router")
    c = val("nqfhub_processing_seconds_count", stage="router")
    m.processed(10, seconds=0.02)
    with m.batch(5):
        pass
    assert val("nqfhub_records_processed_total", stage="router") == p + 15
    assert val("nqfhub_processing_seconds_count", stage="router") == c + 2


def test_delivery_methods():
    m = StageMetrics("delivery", partner_formats={"p-2": "openbadges3"})
    d = val("nqfhub_deliveries_total", partner="p-2")
    f = val("nqfhub_delivery_failures_total", partner="p-2", kind="retriable")
    lat = val("nqfhub_delivery_latency_seconds_count", partner="p-2")
    m.delivery_failure("p-2", RetriableDeliveryError("timeout"))
    m.delivered("p-2", 0.3, 2)
    m.delivery_dead_lettered("p-2")
    assert val("nqfhub_deliveries_total", partner="p-2") == d + 1
    assert val("nqfhub_delivery_failures_total", partner="p-2", kind="retriable") == f + 1
    assert val("nqfhub_delivery_latency_seconds_count", partner="p-2") == lat + 1
    assert val("nqfhub_events_out_total", stage="delivery", connector="openbadges3", outcome="dead_lettered") >= 1


def test_event_in_observes_age(sample_events):
    m = StageMetrics("router")
    ev = {**sample_events[1][0]}
    ev["header"] = {**ev["header"], "recorded_at": dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=3)}
    s = val("nqfhub_event_age_seconds_sum", stage="router")
    m.event_in(ev)
    assert val("nqfhub_event_age_seconds_sum", stage="router") >= s + 3


def test_record_ingest_counts_per_connector_and_jurisdiction():
    a = val("nqfhub_events_in_total", stage="ingest", connector="openbadges3", jurisdiction="ZA")
    r = val("nqfhub_events_out_total", stage="ingest", connector="openbadges3", outcome="rejected")
    record_ingest("openbadges3", {"ZA": 3, "Jane Doe": 1}, 2)
    assert val("nqfhub_events_in_total", stage="ingest", connector="openbadges3", jurisdiction="ZA") == a + 3
    assert val("nqfhub_events_in_total", stage="ingest", connector="openbadges3", jurisdiction="other") >= 1
    assert val("nqfhub_events_out_total", stage="ingest", connector="openbadges3", outcome="rejected") == r + 2


def test_no_label_value_carries_personal_data(sample_events):
    """After recording events full of learner data, no sample label holds a learner value."""
    m = StageMetrics("router")
    for ev, _ in sample_events:
        m.event_in(ev)
        m.decision("p-3", decision(), event=ev)
    personal = set()
    for ev, _ in sample_events:
        lr = ev["learner"]
        personal |= {lr.get("given_names"), lr.get("family_name"), str(lr.get("birth_date"))}
        personal |= {n["value"] for n in lr.get("national_ids") or []}
    personal.discard(None)
    for fam in REGISTRY.collect():
        for s in fam.samples:
            assert not (set(s.labels.values()) & personal), (s.name, s.labels)


def test_metrics_endpoint_serves_the_families(tmp_path):
    import urllib.request

    from hub.config import load_settings
    from hub.runtime.broker import free_port
    s = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    port = free_port()
    m = StageMetrics.serve("router", port, addr="127.0.0.1", settings=s, lag=False)
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert "nqfhub_records_processed_total" in body
        assert "nqfhub_policy_decisions_total" in body or "nqfhub_routing_decisions_total" in body
        assert list((tmp_path / "workers").glob("router-*.json"))
    finally:
        m.close()
    assert not list((tmp_path / "workers").glob("router-*.json"))

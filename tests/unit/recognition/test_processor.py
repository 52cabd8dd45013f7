"""RecognitionCore over plain dict tables: decisions, waiting requests, timeouts, dead letters."""
from __future__ import annotations

import datetime as dt
import random

import pytest
import yaml

from hub.config import Settings
from hub.recognition import decide, decision_event_id
from hub.recognition.processor import (RecognitionCore, RecognitionTables, Removal, default_wait_s,
                                       pending_key)
from hub.recognition.signing import KeyStore, verify
from hub.runtime.deadletter import headers_dict
from hub.serde import default_serde

from .conftest import DATA, load_request

EXPECTED = yaml.safe_load((DATA / "expected.yaml").read_text())
UTC = dt.timezone.utc
T0 = dt.datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    store = KeyStore(tmp_path_factory.mktemp("home"))
    store.generate()
    return store.signing_key(), store.jwks()


@pytest.fixture
def core(key, levels, tmp_path):
    s = Settings(home=tmp_path, topic_prefix="t")
    return RecognitionCore(s, default_serde(), levels, key[0], wait_s=30)


@pytest.fixture(scope="module")
def encoded(events):
    serde = default_serde()
    return [serde.encode(e) for e in events]


def feed(core, tables, records, now=T0, deferred=None):
    outs = []
    for i, v in enumerate(records):
        outs += core.handle(v, None, ("t.ingress", 0, i), tables, now, deferred)
    return outs


def decisions(outs):
    serde = default_serde()
    return [serde.decode(o.value)[1] for o in outs if o.topic == "t.recognition"]


def req_bytes(name, **changes):
    r = load_request(name)
    r.update(changes)
    return r, default_serde().encode(r)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_known_credential_is_decided_at_once_like_decide(name, core, encoded, events, levels):
    tables = RecognitionTables()
    assert feed(core, tables, encoded) == []                  # table events cause no output
    req, raw = req_bytes(name)
    now = req["header"]["occurred_at"]
    outs = core.handle(raw, b"k", ("t.ingress", 1, 7), tables, now)
    if tables.state.ready(req):
        assert len(outs) == 1 and outs[0].topic == "t.recognition"
        d = decisions(outs)[0]
        assert d["outcome"] == EXPECTED[name]["outcome"]
        expected = decide(req, tables.state, levels, now)
        assert {**d, "signature": None} == expected           # same logic as the offline command
        assert outs[0].key == req["credential_id"].encode()
        assert dict(outs[0].headers)["nqfhub.event_id"] == decision_event_id(req["header"]["event_id"]).encode()
    else:                                                    # unknown credential: it waits
        assert outs == [] and list(tables.pending) == [pending_key(req["credential_id"])]


def test_decisions_are_signed_and_verify(core, key, encoded):
    tables = RecognitionTables()
    feed(core, tables, encoded)
    _, raw = req_bytes("ie-hons-to-germany")
    d = decisions(core.handle(raw, None, None, tables, T0))[0]
    assert d["signature"]["key_id"] == key[0].key_id
    assert verify(d, key[1]).valid
    d["outcome"] = "RECOGNISED" if d["outcome"] != "RECOGNISED" else "NOT_RECOGNISED"
    assert not verify(d, key[1]).valid


def test_request_before_credential_waits_and_is_decided_when_it_arrives(core, encoded, events):
    tables = RecognitionTables()
    cred_i = next(i for i, e in enumerate(events) if e.get("credential_id") == "cred:ie-hons"
                  and e["header"]["event_type"] == "CredentialIssued")
    others = [v for i, v in enumerate(encoded) if i != cred_i]
    feed(core, tables, others)
    req, raw = req_bytes("ie-hons-to-germany")
    assert core.handle(raw, None, None, tables, T0) == []
    assert core.sweep(tables, T0 + dt.timedelta(seconds=5)) == []      # not due, credential unknown
    outs = core.handle(encoded[cred_i], None, None, tables, T0 + dt.timedelta(seconds=6))
    d = decisions(outs)
    assert len(d) == 1 and d[0]["outcome"] == "RECOGNISED"
    assert d[0]["request_id"] == req["request_id"]
    assert tables.pending == {}


def test_request_for_a_credential_that_never_comes_times_out(core, encoded):
    tables = RecognitionTables()
    feed(core, tables, encoded)
    req, raw = req_bytes("unknown-credential")
    assert core.handle(raw, None, None, tables, T0) == []
    assert core.sweep(tables, T0 + dt.timedelta(seconds=29)) == []
    d = decisions(core.sweep(tables, T0 + dt.timedelta(seconds=30)))
    assert len(d) == 1 and d[0]["outcome"] == "CANNOT_DETERMINE"
    assert [r["code"] for r in d[0]["reasons"]] == ["CREDENTIAL_NOT_RECEIVED"]
    assert d[0]["header"]["event_id"] == decision_event_id(req["header"]["event_id"])
    assert tables.pending == {} and core.sweep(tables, T0 + dt.timedelta(hours=1)) == []


def test_replayed_request_keeps_its_first_deadline(core):
    tables = RecognitionTables()
    _, raw = req_bytes("unknown-credential")
    core.handle(raw, None, None, tables, T0)
    core.handle(raw, None, None, tables, T0 + dt.timedelta(seconds=20))    # redelivered
    rows = tables.pending[pending_key("cred:does-not-exist")]
    assert len(rows) == 1 and rows[0]["deadline"] == T0.timestamp() + 30
    assert len(decisions(core.sweep(tables, T0 + dt.timedelta(seconds=31)))) == 1


def test_two_requests_for_one_credential_both_wait_and_both_are_decided(core, encoded, events):
    tables = RecognitionTables()
    cred_i = next(i for i, e in enumerate(events) if e.get("credential_id") == "cred:za-bsc"
                  and e["header"]["event_type"] == "CredentialIssued")
    feed(core, tables, [v for i, v in enumerate(encoded) if i != cred_i])
    _, a = req_bytes("za-bsc-to-eqf")
    _, b = req_bytes("za-bsc-to-sadcqf")
    assert core.handle(a, None, None, tables, T0) == core.handle(b, None, None, tables, T0) == []
    assert len(tables.pending[pending_key("cred:za-bsc")]) == 2
    outs = core.handle(encoded[cred_i], None, None, tables, T0)
    assert sorted(d["request_id"] for d in decisions(outs)) == ["req:za-bsc-to-eqf", "req:za-bsc-to-sadcqf"]


def test_removal_is_deferred_until_settled(core, encoded, events):
    tables = RecognitionTables()
    _, raw = req_bytes("unknown-credential")
    core.handle(raw, None, None, tables, T0)
    deferred = []
    outs = core.sweep(tables, T0 + dt.timedelta(minutes=5), deferred=deferred)
    assert len(outs) == 1 and len(tables.pending) == 1             # still parked: not acked yet
    assert deferred and isinstance(deferred[0], Removal)
    core.settle(tables, deferred)
    assert tables.pending == {} and deferred == []


def _parked_before_its_credential(core, encoded, events):
    """Tables with everything but cred:ie-hons's CredentialIssued, and a request parked for it."""
    tables = RecognitionTables()
    cred_i = next(i for i, e in enumerate(events) if e.get("credential_id") == "cred:ie-hons"
                  and e["header"]["event_type"] == "CredentialIssued")
    feed(core, tables, [v for i, v in enumerate(encoded) if i != cred_i])
    req, raw = req_bytes("ie-hons-to-germany")
    assert core.handle(raw, None, None, tables, T0) == []
    return tables, encoded[cred_i], req, raw


def test_a_request_whose_decision_is_being_sent_is_not_decided_again_by_the_sweep(core, encoded, events):
    # the faust worker's sweep timer runs while the agent awaits the acknowledgement of a
    # decision whose request still sits in `pending` (its removal is deferred until then)
    tables, credential, req, _ = _parked_before_its_credential(core, encoded, events)
    in_agent = []
    [d] = decisions(core.handle(credential, None, None, tables, T0 + dt.timedelta(seconds=5), in_agent))
    assert d["outcome"] == "RECOGNISED" and len(tables.pending) == 1
    in_timer = []
    assert core.sweep(tables, T0 + dt.timedelta(minutes=5), deferred=in_timer) == [] and in_timer == []
    core.settle(tables, in_agent)
    assert tables.pending == {} and core.sweep(tables, T0 + dt.timedelta(minutes=6)) == []


def test_a_timed_out_request_in_flight_is_not_released_again_by_its_credential(core, encoded, events):
    # the sweep decides CANNOT_DETERMINE at the deadline; before that decision is acknowledged
    # the credential arrives: a second, different decision with the same id must not follow
    tables, credential, req, raw = _parked_before_its_credential(core, encoded, events)
    in_timer = []
    [d] = decisions(core.sweep(tables, T0 + dt.timedelta(seconds=31), deferred=in_timer))
    assert d["outcome"] == "CANNOT_DETERMINE"
    in_agent = []
    assert core.handle(credential, None, None, tables, T0 + dt.timedelta(seconds=32), in_agent) == []
    assert core.handle(raw, None, None, tables, T0 + dt.timedelta(seconds=32), in_agent) == []  # redelivered
    core.settle(tables, in_agent)
    core.settle(tables, in_timer)
    assert tables.pending == {}
    # once acknowledged and settled, a redelivered request is decided again (at-least-once, same id)
    [again] = decisions(core.handle(raw, None, None, tables, T0 + dt.timedelta(seconds=40)))
    assert again["header"]["event_id"] == d["header"]["event_id"] == decision_event_id(req["header"]["event_id"])


def test_settle_keeps_requests_parked_after_the_sweep(core):
    tables = RecognitionTables()
    _, raw = req_bytes("unknown-credential")
    core.handle(raw, None, None, tables, T0)
    deferred = []
    core.sweep(tables, T0 + dt.timedelta(minutes=5), deferred=deferred)
    other, _ = req_bytes("unknown-credential")
    other["header"] = {**other["header"], "event_id": "00000000-0000-4000-8000-000000000001"}
    core.handle(default_serde().encode(other), None, None, tables, T0 + dt.timedelta(minutes=5))
    core.settle(tables, deferred)
    rows = next(iter(tables.pending.values()))
    assert [r["event_id"] for r in rows] == ["00000000-0000-4000-8000-000000000001"]


def test_sweep_only_touches_owned_keys(core):
    tables = RecognitionTables()
    _, raw = req_bytes("unknown-credential")
    core.handle(raw, None, None, tables, T0)
    later = T0 + dt.timedelta(minutes=5)
    assert core.sweep(tables, later, owns=lambda k: False) == []
    assert len(decisions(core.sweep(tables, later, owns=lambda k: True))) == 1


def test_order_of_reference_events_does_not_change_decisions(core, encoded, events):
    req, raw = req_bytes("fly-after-withdrawal")
    outcomes = set()
    for seed in range(3):
        shuffled = list(encoded)
        random.Random(seed).shuffle(shuffled)
        tables = RecognitionTables()
        outs = feed(core, tables, shuffled)
        outs += core.handle(raw, None, None, tables, req["header"]["occurred_at"])
        outcomes.add(tuple((d["outcome"], tuple(r["code"] for r in d["reasons"])) for d in decisions(outs)))
    assert len(outcomes) == 1


def test_undecodable_record_is_dead_lettered_with_original_bytes(core):
    outs = core.handle(b"\x00garbage", b"k1", ("t.ingress", 2, 41), RecognitionTables(), T0)
    assert len(outs) == 1 and outs[0].topic == "t.deadletter" and outs[0].value == b"\x00garbage"
    h = headers_dict(outs[0].headers)
    assert h["stage"] == "recognition" and h["reason_class"] == "schema"
    assert (h["original.topic"], h["original.partition"], h["original.offset"]) == ("t.ingress", "2", "41")
    assert outs[0].key == b"k1"


def test_a_non_event_record_is_dead_lettered(core):
    serde = default_serde()
    rec = {"audit_id": "a", "event_id": "e", "event_type": "CredentialIssued", "trace_id": "t",
           "partner_id": "p", "action": "forward", "rule_ids": [], "legal_basis": [], "regimes": [],
           "categories_present": [], "removed_categories": [], "purpose": None,
           "decided_at": T0, "prev_hash": None, "hash": None}
    raw = serde.encode(rec, "nqfhub.internal.AuditRecord")
    outs = core.handle(raw, None, None, RecognitionTables(), T0)
    assert [o.topic for o in outs] == ["t.deadletter"] and outs[0].value == raw


def test_tables_hold_no_learner_data(core, encoded):
    import json
    tables = RecognitionTables()
    feed(core, tables, encoded)
    _, raw = req_bytes("unknown-credential")
    core.handle(raw, None, None, tables, T0)
    text = json.dumps({k: dict(getattr(tables, k)) for k in
                       ("qualifications", "institutions", "accreditation", "credentials", "revocations")})
    text += json.dumps([v for v in tables.pending.values()])
    assert "learner" not in text and "given_names" not in text and "birth_date" not in text


def test_default_wait_depends_on_the_broker(tmp_path):
    assert default_wait_s(Settings(home=tmp_path)) == 30.0
    assert default_wait_s(Settings(home=tmp_path, bootstrap="kafka:9092")) == 600.0


def test_worker_refuses_to_start_without_a_signing_key(tmp_path):
    from hub.errors import ConfigError
    from hub.recognition.processor import build_core
    with pytest.raises(ConfigError, match="nqf-hub keys generate"):
        build_core(Settings(home=tmp_path))


def test_demo_plan_through_the_core_shows_every_outcome(core, tmp_path):
    """The demo's generated reference data and requests (hub.demo.reference_data) decide as the
    demo summary claims, through the same core the worker runs."""
    import json

    from connectors.openbadges3.samples import sample_credentials
    from hub.demo.reference_data import build_plan
    from hub.ingest.decoding import decode_sources, make_context
    from hub.routing.policy import load_partners
    from hub.sdk import registry
    from hub.sdk.inbound import Source

    conn = registry.inbound("openbadges3")
    data = "\n".join(json.dumps(c) for c in sample_credentials(60, seed=7)).encode()
    decoded = [(i, d) for i, d in decode_sources(conn, [Source(name="s", data=data)], make_context(conn)) if d]
    plan = build_plan([i.event for i, _ in decoded], load_partners(core.settings.partners_path))
    serde = default_serde()
    tables = RecognitionTables()
    now = dt.datetime(2026, 1, 5, tzinfo=UTC)
    outs = feed(core, tables, [serde.encode(e) for e in plan.reference], now)
    outs += feed(core, tables, [serde.encode(r.request) for r in plan.early], now)
    outs += feed(core, tables, [d for _, d in decoded], now)           # releases the waiting request
    outs += feed(core, tables, [serde.encode(e) for e in plan.revocations + [r.request for r in plan.late]], now)
    outs += core.sweep(tables, now + dt.timedelta(seconds=31))          # the never-issued credential
    by_request = {d["request_id"]: d for d in decisions(outs)}
    assert set(by_request) == {r.request["request_id"] for r in plan.requests}
    case = {r.case: by_request[r.request["request_id"]] for r in plan.requests if r.case}
    codes = {k: [x["code"] for x in d["reasons"]] for k, d in case.items()}
    assert case["revoked credential"]["outcome"] == "NOT_RECOGNISED" and "CREDENTIAL_REVOKED" in codes["revoked credential"]
    assert "ISSUER_NOT_ACCREDITED" in codes["issuer suspended on the award date"]
    assert "QUALIFICATION_UNKNOWN" in codes["qualification not in any register"]
    assert case["request sent before its credential (waited for it)"]["outcome"] == "RECOGNISED"
    assert codes["credential never received (decided after the wait)"] == ["CREDENTIAL_NOT_RECEIVED"]
    outcomes = {d["outcome"] for d in by_request.values()}
    assert outcomes == {"RECOGNISED", "PARTIALLY_RECOGNISED", "NOT_RECOGNISED", "CANNOT_DETERMINE"}

"""Dead-letter replay without a broker: lineage headers, where each kind of dead letter goes."""
from __future__ import annotations

import json

import pytest

from hub.config import load_settings
from hub.errors import HubError
from hub.observability.deadletters import DlqFilter, lineage_headers, parse_id, replay, summary
from hub.runtime.deadletter import dlq_headers

from tests.fakes import FakeMessage, FakeProducer

S = load_settings({}, topic_prefix="t")


def hd(headers):
    return {k: v.decode() for k, v in headers}


def router_dlq(offset=5, extra=()):
    h = dlq_headers(stage="router", error="cannot decode", reason_class="schema",
                    original=("t.ingress", 2, 41), source="t.ingress/2@41") + list(extra)
    return FakeMessage("t.deadletter", b"\x00bad", key=b"k-1", headers=h, partition=1, offset=offset)


def test_parse_id():
    assert parse_id("2:17") == (2, 17)
    with pytest.raises(HubError):
        parse_id("17")


def test_lineage_headers_keep_dlq_headers_and_count_up():
    m = router_dlq(extra=[("nqfhub.replay.count", b"2"), ("nqfhub.replay.by", b"someone")])
    h = lineage_headers(m, "alice", "t.ingress/2/41")
    d = hd(h)
    assert d["nqfhub.replay.count"] == "3" and d["nqfhub.replay.by"] == "alice"
    assert d["nqfhub.replay.original"] == "t.ingress/2/41" and d["nqfhub.replay.from"] == "t.deadletter/1/5"
    assert d["nqfhub.dlq.stage"] == "router" and d["nqfhub.dlq.original.offset"] == "41"
    assert [k for k, _ in h].count("nqfhub.replay.by") == 1          # the old lineage is replaced


def test_replay_to_the_original_topic_with_original_bytes_and_key():
    p = FakeProducer()
    res = replay(S, [router_dlq()], by="alice", producer=p)
    assert res["replayed"] == 1
    topic, key, value, headers = p.sent[0]
    assert (topic, key, value) == ("t.ingress", b"k-1", b"\x00bad")
    assert hd(headers)["nqfhub.replay.count"] == "1"


def test_dry_run_produces_nothing():
    res = replay(S, [router_dlq()], by="alice", dry_run=True)
    assert res["replayed"] == 1 and res["dry_run"]


def test_ingest_dead_letter_is_decoded_again():
    from connectors.openbadges3.samples import sample_credentials
    good = json.dumps(next(iter(sample_credentials(1, seed=2)))).encode()
    mk = lambda raw, off: FakeMessage("t.deadletter", raw, headers=dlq_headers(  # noqa: E731
        stage="ingest", error="x", reason_class="decode", connector="openbadges3", source="in.jsonl, line 3"),
        offset=off)
    p = FakeProducer()
    res = replay(S, [mk(good, 1), mk(b'{"still": "bad"}', 2)], by="bob", producer=p)
    assert res["replayed"] == 1 and res["still_failing"] == 1
    assert [t for t, *_ in p.sent] == ["t.ingress"]
    d = hd(p.sent[0][3])
    assert d["nqfhub.replay.original"] == "in.jsonl, line 3" and "nqfhub.trace_id" in d
    failing = [i for i in res["items"] if i["status"] == "still_failing"][0]
    assert failing["errors"] and "reason" in failing["errors"][0]


def test_unreplayable_is_skipped_and_broker_refusal_raises():
    m = FakeMessage("t.deadletter", b"x", headers=dlq_headers(stage="delivery", error="e", reason_class="delivery"))
    assert replay(S, [m], by="a", producer=FakeProducer())["skipped"] == 1
    from hub.errors import BrokerError
    with pytest.raises(BrokerError):
        replay(S, [router_dlq()], by="a", producer=FakeProducer(fail=True))


def test_summary_and_filter_show_no_bytes():
    m = router_dlq()
    s = summary(m)
    assert s["id"] == "1:5" and s["original"] == "t.ingress/2/41" and s["size"] == 4
    assert "\\x00bad" not in json.dumps(s) and "bad" not in json.dumps(s).replace("cannot decode", "")
    assert DlqFilter(stage="router").match({"stage": "router"}) and not DlqFilter(partner="p").match({"stage": "router"})

"""A replayed record that fails again keeps its replay lineage on the new dead letter."""
from __future__ import annotations

from hub.routing.router import Output
from hub.runtime.deadletter import dlq_headers, headers_dict, with_lineage


def test_replay_headers_follow_onto_dead_letters_only():
    outs = [Output("hub.deadletter", b"k", b"raw", dlq_headers(stage="router", error="bad", reason_class="schema")),
            Output("hub.audit", b"k", b"a", [])]
    replayed = [("nqfhub.replay.count", b"2"), ("nqfhub.replay.original", b"hub.ingress/1@7"),
                ("nqfhub.event_id", b"e")]
    with_lineage(outs, replayed, "hub.deadletter")
    names = [k for k, _ in outs[0].headers]
    assert "nqfhub.replay.count" in names and "nqfhub.replay.original" in names
    assert "nqfhub.event_id" not in names[-2:]          # only replay.* headers are carried
    assert outs[1].headers == []
    assert headers_dict(outs[0].headers)["stage"] == "router"


def test_dict_headers_and_no_lineage():
    outs = [Output("hub.deadletter", None, b"x", [])]
    with_lineage(outs, {"nqfhub.replay.count": b"1"}, "hub.deadletter")
    assert outs[0].headers == [("nqfhub.replay.count", b"1")]
    outs = [Output("hub.deadletter", None, b"x", [])]
    assert with_lineage(outs, None, "hub.deadletter")[0].headers == []

"""The chaos harness's account (benchmarks/hubrun.py): it must notice every kind of loss.

The chaos runs are only as good as their counting: each test here builds the per-event tracks a
run would have seen and checks that a missing decision, a forward that never reached the
partner, a release without a hold and a consented hold left unreleased are each reported, and
that the partner side counts an effect once per event even under two Idempotency-Keys.
"""
from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from hubrun import PartnerSide, Track, account  # noqa: E402


def track(expected, kind="credential", **actions):
    t = Track(kind, set(expected))
    for p, acts in actions.items():
        t.actions[p.replace("_", "-")] = list(acts)
    return t


def test_a_complete_run_has_nothing_lost():
    tracks = {"e1": track({"p-a"}, p_a=["forward"]), "e2": track({"p-a"}, p_a=["block"])}
    acc = account(tracks, {"p-a": {"e1": "CredentialIssued"}}, set())
    assert sum(acc["lost"].values()) == 0 and acc["holds"]["consistent"]


def test_a_missing_routing_decision_is_lost_at_the_router():
    t = track({"p-a", "p-b"}, p_a=["forward"])
    t.ingress_at = (1, 108)
    acc = account({"e1": t}, {"p-a": {"e1": "x"}}, set())
    assert acc["lost"] == {"no_routing_decision": 1} and acc["lost_examples"] == ["e1"]
    assert acc["lost_detail"] == [{"event_id": "e1", "partner": "p-b", "stage": "no_routing_decision",
                                   "ingress": (1, 108)}]


def test_a_forward_that_never_reached_the_partner_is_lost_where_it_stopped():
    # decided, but the router never wrote the copy to the partner topic
    acc = account({"e1": track({"p-a"}, p_a=["forward_minimised"])}, {"p-a": {}}, set())
    assert acc["lost"] == {"decided_not_on_partner_topic": 1}
    # on the partner topic, no receipt: the outbound worker never finished it
    t = track({"p-a"}, p_a=["forward"])
    t.copies["p-a"].append((2, 41))
    acc = account({"e1": t}, {"p-a": {}}, set())
    assert acc["lost"] == {"not_delivered": 1}
    assert acc["lost_detail"] == [{"event_id": "e1", "partner": "p-a", "stage": "not_delivered",
                                   "actions": ["forward"], "copies": [(2, 41)], "receipt": None}]
    # a delivered receipt the partner side never saw
    t.receipts["p-a"] = "delivered"
    assert account({"e1": t}, {"p-a": {}}, set())["lost"] == {"receipt_but_not_at_partner": 1}


def test_a_dead_lettered_delivery_is_not_lost_but_counted():
    t = track({"p-a"}, p_a=["forward"])
    t.dead_partners.add("p-a")
    acc = account({"e1": t}, {}, set())
    assert sum(acc["lost"].values()) == 0 and acc["dead_lettered"] == 1


def test_a_recognition_request_without_decision_is_lost():
    t = Track("decision", {"p-a"}, decided=False, request_event_id="r1")
    assert account({"d1": t}, {}, set())["lost"] == {"no_recognition_decision": 1}


def test_holds_add_up_and_a_release_needs_a_hold_and_a_delivery():
    tracks = {"e1": track({"p-a"}, p_a=["hold", "release"]), "e2": track({"p-a"}, p_a=["hold"]),
              "e3": track({"p-a"}, p_a=["hold", "expire"])}
    acc = account(tracks, {"p-a": {"e1": "x"}}, {"e1"})
    h = acc["holds"]
    assert (h["held"], h["released"], h["expired"], h["still_held"], h["consistent"]) == (3, 1, 1, 1, True)
    assert not account({"e1": track({"p-a"}, p_a=["release"])}, {"p-a": {"e1": "x"}}, set())["holds"]["consistent"]
    released_not_delivered = account({"e1": track({"p-a"}, p_a=["hold", "release"])}, {}, set())
    assert not released_not_delivered["holds"]["consistent"]
    assert released_not_delivered["lost"] == {"decided_not_on_partner_topic": 1}


def test_a_consented_hold_that_stays_held_is_inconsistent():
    acc = account({"e1": track({"p-a"}, p_a=["hold"])}, {}, {"e1"})
    assert acc["holds"]["consented_holds"] == 1 and not acc["holds"]["consistent"]


SECRET = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def _post(url, key, body=b'{"header": {"event_id": "ev-1"}}'):
    import time

    from connectors.webhook import parse_secret, sign
    ts = int(time.time())
    sig = sign(parse_secret(SECRET, where="test"), key, ts, body)    # Standard Webhooks; webhook-id = key
    return httpx.post(url, content=body, headers={"Idempotency-Key": key, "webhook-id": key,
                                                  "webhook-timestamp": str(ts), "webhook-signature": sig,
                                                  "X-NQFHub-Event-Type": "CredentialIssued"}, timeout=5)


def test_partner_side_goes_down_comes_back_on_the_same_port_and_counts_effects_per_event():
    side = PartnerSide().start()
    side.secrets["p-a"] = SECRET
    url = f"{side.url}/p-a"
    try:
        assert _post(url, "k1").status_code == 200
        assert _post(url, "k1").json() == {"status": "duplicate"}      # absorbed by the key
        assert side.duplicate_effects() == 0
        side.down()
        with pytest.raises(httpx.ConnectError):
            _post(url, "k2")
        side.up()
        assert _post(url, "k2").status_code == 200                      # same event, new key
        assert side.duplicate_effects() == 1
        assert set(side.first_at) == {("p-a", "k1"), ("p-a", "k2")}
    finally:
        side.stop()


def test_a_consented_hold_the_policy_keeps_after_its_release_request_is_consistent():
    acc = account({"e1": track({"p-a"}, p_a=["hold", "redecided_hold"])}, {}, {"e1"})
    h = acc["holds"]
    assert (h["consented_holds_kept_by_policy"], h["still_held"], h["consistent"]) == (1, 1, True)

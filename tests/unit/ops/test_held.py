"""Held-record helpers: the id matches the router's, evidence parsing reports every bad item."""
from __future__ import annotations

import datetime as dt

import pytest

from hub.errors import HubError
from hub.observability.held import HeldEntry, held_id, merge_evidence, parse_evidence


def test_held_id_is_the_routers(sample_events, serde):
    from hub.config import load_settings
    from hub.routing.router import RouterCore
    ev, raw = sample_events[0]

    class D:
        rules, waiting_for, purpose = ["R"], ["consent"], None
    core = RouterCore.__new__(RouterCore)
    core.hold_ttl = dt.timedelta(days=1)
    rec = core._held(ev, "p-x", D(), raw, dt.datetime.now(dt.timezone.utc))
    assert rec["held_id"] == held_id(ev["header"]["event_id"], "p-x")
    assert load_settings  # imported for symmetry with the router's module


def test_parse_evidence_kinds():
    e = parse_evidence(["consent:c-1", "instrument:eu-scc-2021:de-uni", "authorisation:popia-s72:17",
                        "authorization:x:y"])
    assert e.consent_ids == {"c-1"}
    assert e.instrument_ids == {"eu-scc-2021:de-uni"}
    assert e.authorisation_ids == {"popia-s72:17", "x:y"}
    with pytest.raises(HubError) as err:
        parse_evidence(["consent", "magic:1", "consent:ok"])
    assert "consent," in str(err.value) and "magic:1" in str(err.value)


def test_merge_evidence():
    a = parse_evidence(["consent:a"])
    b = parse_evidence(["consent:b", "instrument:k:r"])
    m = merge_evidence(a, b)
    assert m.consent_ids == {"a", "b"} and m.instrument_ids == {"k:r"}


def test_view_shows_no_event_content(sample_events):
    ev, raw = sample_events[0]
    now = dt.datetime.now(dt.timezone.utc)
    rec = {"held_id": "h1", "event_id": ev["header"]["event_id"], "event_type": "CredentialIssued",
           "partner_id": "p", "reason": "waiting for consent", "rule_ids": ["R"], "waiting_for": ["consent"],
           "purpose": "recognition", "held_at": now - dt.timedelta(hours=1), "expires_at": now - dt.timedelta(minutes=1),
           "event": raw}
    v = HeldEntry("h1", rec, None, "t.held/0/0").view(now)
    assert v["overdue"] and v["state"] == "open" and v["age_s"] == 3600.0
    assert "event" not in v and ev["learner"]["family_name"] not in str(v)

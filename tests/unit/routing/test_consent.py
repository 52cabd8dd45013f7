"""Consent join: learner keys, coverage, and the join entry transitions (no Kafka)."""
from __future__ import annotations

import datetime as dt

import pytest

from hub.routing import consent as C

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
SECRET = bytes(range(32))


def learner(**kw):
    base = {"given_names": "Thandiwe", "family_name": "Example", "birth_date": None,
            "national_ids": [{"scheme": "za-id", "value": "9804120000000"}], "email": "Thandiwe@Example.org"}
    base.update(kw)
    return base


def consent_event(cid="c-1", purposes=("recognition",), partners=("de-uni",), valid_until=None,
                  etype="ConsentRecorded", eid="w-1"):
    ev = {"header": {"event_id": eid, "event_type": etype, "trace_id": "t"}, "consent_id": cid,
          "learner": learner()}
    if etype == "ConsentRecorded":
        ev.update(purposes=list(purposes), partners=list(partners), valid_until=valid_until)
    return ev


def held(hid="h-1", partner="de-uni", purpose="recognition", waiting=("consent",), expires=None):
    return {"held_id": hid, "event_id": f"e-{hid}", "event_type": "CredentialIssued", "partner_id": partner,
            "reason": "waiting for consent", "rule_ids": ["ZA-POPIA-72-1-B-CONSENT"], "waiting_for": list(waiting),
            "purpose": purpose, "held_at": NOW, "expires_at": expires or NOW + dt.timedelta(days=30),
            "event": b"\xc3\x01event-bytes"}


# ---- learner keys ------------------------------------------------------------------------
def test_learner_key_never_contains_the_raw_identifier():
    keys = C.learner_keys(SECRET, learner())
    assert len(keys) == 2 and all(len(k) == 64 for k in keys)
    for k in keys:
        assert "9804120000000" not in k and "example.org" not in k.lower() and "thandiwe" not in k.lower()
    assert C.learner_keys(bytes(32), learner()) != keys          # keyed: another secret, other keys


def test_learner_keys_normalise_identifiers():
    a = C.learner_keys(SECRET, learner(national_ids=[{"scheme": "ZA-ID ", "value": "980412 0000-000"}],
                                       email=" thandiwe@example.ORG "))
    assert a == C.learner_keys(SECRET, learner())
    assert C.learner_keys(SECRET, None) == [] and C.learner_keys(SECRET, learner(national_ids=[], email=None)) == []


def test_consent_and_credential_share_a_key_through_any_identifier():
    only_email = C.learner_keys(SECRET, {"national_ids": [], "email": "thandiwe@example.org"})
    assert set(only_email) <= set(C.learner_keys(SECRET, learner()))


def test_learner_secret_file_is_created_private_and_reused(tmp_path):
    from hub.config import load_settings
    from hub.errors import ConfigError
    s = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    with pytest.raises(ConfigError):
        C.learner_secret(s, env={})
    k = C.learner_secret(s, env={}, create=True)
    p = tmp_path / "keys" / "learner.key"
    assert len(k) == 32 and oct(p.stat().st_mode & 0o777) == "0o600"
    assert C.learner_secret(s, env={}) == k
    assert C.learner_secret(s, env={C.ENV_SECRET: "ab" * 16}) == bytes.fromhex("ab" * 16)
    with pytest.raises(ConfigError) as e:
        C.learner_secret(s, env={C.ENV_SECRET: "zz"})
    assert "zz" not in str(e.value)


# ---- coverage ----------------------------------------------------------------------------
@pytest.mark.parametrize("consent,partner,purpose,ok", [
    ({"purposes": ["recognition"], "partners": ["de-uni"]}, "de-uni", "recognition", True),
    ({"purposes": ["recognition"], "partners": []}, "any-partner", "recognition", True),
    ({"purposes": ["recognition"], "partners": ["de-uni"]}, "uk-rc", "recognition", False),
    ({"purposes": ["admission"], "partners": []}, "de-uni", "recognition", False),
    ({"purposes": [], "partners": []}, "de-uni", "recognition", False),
    ({"purposes": ["recognition"], "partners": [], "withdrawn": True}, "de-uni", "recognition", False),
    ({"purposes": ["recognition"], "partners": [], "valid_until": "2026-06-30T00:00:00.000+00:00"}, "de-uni",
     "recognition", False),
    ({"purposes": ["recognition"], "partners": [], "valid_until": "2026-08-01T00:00:00.000+00:00"}, "de-uni",
     "recognition", True),
    ({"purposes": ["recognition"], "partners": []}, "de-uni", None, False),
])
def test_covers(consent, partner, purpose, ok):
    assert C.covers(consent, partner, purpose, NOW) is ok


# ---- transitions -------------------------------------------------------------------------
def test_consent_after_hold_releases_it_once_and_forgets_it():
    e = C.new_entry(2)
    assert C.on_held(e, "h-1", held(), b"cred-1", NOW) == []
    (key, req), = C.on_consent(e, consent_event(), NOW)
    assert key == b"cred-1" and req["kind"] == "release" and req["held_id"] == "h-1"
    assert req["evidence_ids"] == ["consent:c-1"] and req["event"] == b"\xc3\x01event-bytes"
    assert req["requested_by"] == "consent-join" and req["reason"] == "consent recorded"
    assert "h-1" not in e["waiting"]
    assert e["consents"]["c-1"]["released"] == {"de-uni": ["e-h-1"]}
    assert C.on_consent(e, consent_event(), NOW) == []            # replayed consent: nothing again


def test_hold_after_consent_is_released_on_arrival():
    e = C.new_entry(0)
    assert C.on_consent(e, consent_event(), NOW) == []
    (key, req), = C.on_held(e, "h-2", held("h-2"), b"cred-2", NOW)
    assert req["held_id"] == "h-2" and key == b"cred-2"
    assert C.on_held(e, "h-2", held("h-2"), b"cred-2", NOW) == [] or "h-2" not in e["waiting"]


def test_consent_for_another_partner_or_purpose_releases_nothing():
    e = C.new_entry(0)
    C.on_held(e, "h-1", held(partner="uk-rc"), b"k", NOW)
    C.on_held(e, "h-2", held("h-2", purpose="admission"), b"k", NOW)
    assert C.on_consent(e, consent_event(), NOW) == []
    assert set(e["waiting"]) == {"h-1", "h-2"}


def test_hold_waiting_for_more_than_consent_stays_for_expiry():
    e = C.new_entry(0)
    C.on_held(e, "h-1", held(waiting=("authorisation", "consent")), b"k", NOW)
    assert len(C.on_consent(e, consent_event(), NOW)) == 1        # the router re-decides
    assert "h-1" in e["waiting"]
    assert C.on_consent(e, consent_event(), NOW) == []            # not asked twice for one consent


def test_hold_waiting_only_for_authorisation_is_not_released_by_consent():
    e = C.new_entry(0)
    C.on_held(e, "h-1", held(waiting=("authorisation",)), b"k", NOW)
    assert C.on_consent(e, consent_event(), NOW) == []


def test_sweep_expires_only_overdue_holds():
    e = C.new_entry(1)
    C.on_held(e, "h-old", held("h-old", expires=NOW - dt.timedelta(seconds=1)), b"k1", NOW)
    C.on_held(e, "h-new", held("h-new", expires=NOW + dt.timedelta(hours=1)), b"k2", NOW)
    (key, req), = C.sweep(e, NOW)
    assert key == b"k1" and req["kind"] == "expire" and req["held_id"] == "h-old"
    assert req["rule_ids"] == ["ZA-POPIA-72-1-B-CONSENT"] and list(e["waiting"]) == ["h-new"]
    assert C.sweep(e, NOW) == []


def test_withdrawal_asks_erasure_for_partners_released_to_and_stops_future_releases():
    e = C.new_entry(0)
    C.on_held(e, "h-1", held(), b"k", NOW)
    C.on_consent(e, consent_event(partners=()), NOW)
    C.on_held(e, "h-2", held("h-2", partner="uk-rc"), b"k", NOW)
    w = consent_event(etype="ConsentWithdrawn", eid="w-9")
    out = C.on_withdrawal(e, w, NOW, b"withdrawal-bytes")
    assert [(k, r["partner_id"], r["kind"], r["related_event_ids"]) for k, r in out] == [
        (b"c-1", "de-uni", "erasure", ["e-h-1"]), (b"c-1", "uk-rc", "erasure", ["e-h-2"])]
    assert all(r["event"] == b"withdrawal-bytes" and r["event_id"] == "w-9" for _, r in out)
    assert C.on_withdrawal(e, w, NOW, b"x") == []                  # once
    assert C.on_held(e, "h-3", held("h-3"), b"k", NOW) == []       # a withdrawn consent releases nothing
    assert C.on_consent(e, consent_event(), NOW) == []             # and a replayed recording cannot revive it


def test_withdrawal_before_recording_blocks_the_later_recording():
    e = C.new_entry(0)
    assert C.on_withdrawal(e, consent_event(etype="ConsentWithdrawn"), NOW, b"x") == []
    C.on_consent(e, consent_event(), NOW)
    assert C.on_held(e, "h-1", held(), b"k", NOW) == []


def test_request_ids_are_deterministic_and_carry_no_personal_data():
    a = C.request("release", held_id="h", event_id="e", event_type="CredentialIssued", partner_id="p",
                  evidence_ids=["consent:c"], reason="r", by="x", now=NOW, event=b"")
    b = C.request("release", held_id="h", event_id="e", event_type="CredentialIssued", partner_id="p",
                  evidence_ids=["consent:c"], reason="r", by="y", now=NOW, event=b"")
    assert a["request_id"] == b["request_id"]


def test_parse_duration():
    from hub.errors import ConfigError
    assert C.parse_duration("30d") == dt.timedelta(days=30)
    assert C.parse_duration("90") == dt.timedelta(seconds=90)
    with pytest.raises(ConfigError):
        C.parse_duration("soon")


# ---- consent provenance (issue 12 item 6) -------------------------------------------------
def test_a_consent_naming_countries_covers_only_partners_there():
    c = C.consent_from_event({**consent_event(partners=()), "recipient_countries": ["GB"],
                              "given_by_capacity": "parent_guardian", "notice_version": "n-2026-03"})
    assert c["capacity"] == "parent_guardian" and c["notice_version"] == "n-2026-03"
    assert C.covers(c, "uk-centre", "recognition", NOW, "GB")
    assert not C.covers(c, "de-uni", "recognition", NOW, "DE")
    assert not C.covers(c, "de-uni", "recognition", NOW, None)       # country unknown: not covered
    legacy = C.consent_from_event(consent_event(partners=()))
    assert C.covers(legacy, "de-uni", "recognition", NOW, "DE")


def test_release_requests_carry_the_capacity_and_the_router_reads_it():
    from hub.routing.policy import Evidence
    from hub.routing.release import _evidence
    e = C.new_entry(0)
    C.on_held(e, "h-1", held(partner="uk-centre"), b"cred-1", NOW, {"uk-centre": "GB"})
    (key, req), = C.on_consent(e, {**consent_event(partners=()), "given_by_capacity": "parent_guardian",
                                   "recipient_countries": ["GB"]}, NOW, {"uk-centre": "GB"})
    assert req["evidence_ids"] == ["consent-by:parent_guardian:c-1", "consent:c-1"]
    ev = _evidence(Evidence(), req["evidence_ids"])
    assert ev.consent_ids == {"c-1"} and ev.consent_given_by == (("c-1", "parent_guardian"),)
    # a hold for a partner in a country the consent does not name is not released
    e2 = C.new_entry(0)
    C.on_held(e2, "h-2", held(hid="h-2", partner="de-uni"), b"cred-1", NOW, {"de-uni": "DE"})
    assert C.on_consent(e2, {**consent_event(partners=()), "recipient_countries": ["GB"]}, NOW,
                        {"de-uni": "DE"}) == []

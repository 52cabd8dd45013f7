"""Masking by schema category: no value of a categorised field survives, unless --reveal."""
from __future__ import annotations

import datetime as dt
import json

from hub.observability.masking import mask_record
from hub.schemas import catalog

CI = "nqfhub.events.CredentialIssued"


def _values(ev):
    lr = ev["learner"]
    vals = [lr["given_names"], lr["family_name"]] + [n["value"] for n in lr.get("national_ids") or []]
    if lr.get("birth_date"):
        vals.append(lr["birth_date"].isoformat())
    return [v for v in vals if v]


def test_every_categorised_field_is_masked(sample_events):
    cat = catalog()
    for ev, _ in sample_events:
        out = json.dumps(mask_record(CI, ev, cat))
        for v in _values(ev):
            assert v not in out
        assert "***identity.name" in out
        assert ev["credential_id"] in out                # not personal: kept


def test_grade_and_special_categories_masked(sample_events):
    ev = sample_events[0][0] | {"grade": "cum laude",
                                "learner": sample_events[0][0]["learner"] | {"ethnicity": "X-group",
                                                                             "disability": "D-1"}}
    out = mask_record(CI, ev, catalog())
    assert out["grade"] == "***education.result"
    assert out["learner"]["ethnicity"] == "***special.ethnicity"
    assert out["learner"]["disability"] == "***special.disability"


def test_reveal_keeps_values_and_input_is_not_changed(sample_events):
    ev = sample_events[2][0]
    name = ev["learner"]["family_name"]
    assert mask_record(CI, ev, catalog(), reveal=True)["learner"]["family_name"] == name
    mask_record(CI, ev, catalog())
    assert ev["learner"]["family_name"] == name


def test_held_record_event_bytes_are_decoded_and_masked(sample_events, serde):
    ev, raw = sample_events[3]
    held = {"held_id": "h", "event_id": ev["header"]["event_id"], "event_type": "CredentialIssued",
            "partner_id": "p", "reason": "waiting for consent", "rule_ids": [], "waiting_for": ["consent"],
            "purpose": None, "held_at": dt.datetime.now(dt.timezone.utc), "expires_at": None, "event": raw}
    out = mask_record("nqfhub.internal.HeldRecord", held, catalog(), serde=serde)
    text = json.dumps(out)
    assert out["event"]["header"]["event_id"] == ev["header"]["event_id"]
    for v in _values(ev):
        assert v not in text
    held["event"] = b"garbage"
    assert mask_record("nqfhub.internal.HeldRecord", held, catalog(), serde=serde)["event"] == {"undecodable": 7}

"""Partner registry: schema validation (all problems at once) and subscription."""
from __future__ import annotations

import pytest

from hub.errors import MappingFileError
from hub.routing.policy import Partner, load_partners, subscribed


def test_shipped_partners(partners):
    assert {"de-uni-admissions", "za-employer-verify", "in-recognition-body", "uk-recognition-centre",
            "us-credential-evaluator"} <= set(partners)
    us = partners["us-credential-evaluator"]
    assert (us.jurisdiction, us.legal_nature, us.instruments) == ("US", "private", ())
    assert partners["de-uni-admissions"].purposes[0] == "recognition"
    for p in partners.values():
        assert p.delivery["type"] == "webhook" and p.delivery["url"].startswith("http://127.0.0.1:0/")


def test_all_problems_reported(tmp_path):
    (tmp_path / "a.yaml").write_text("id: b\nname: A\njurisdiction: Germany\nlegal_nature: ngo\n"
                                     "purposes: []\ninstruments: [no-colon]\ndelivery: {type: webhook}\n")
    (tmp_path / "c.yaml").write_text("id: c\nname: C\n")
    (tmp_path / "d.yaml").write_text("id: [broken\n")
    (tmp_path / "notes.txt").write_text("ignored")
    with pytest.raises(MappingFileError) as ei:
        load_partners(tmp_path)
    probs = ei.value.problems
    for needle in ("a.yaml: jurisdiction", "a.yaml: legal_nature", "a.yaml: purposes", "a.yaml: instruments/0",
                   "a.yaml: delivery", "c.yaml: (root)", "d.yaml"):
        assert any(p.startswith(needle) for p in probs), (needle, probs)


def test_file_name_must_match_id(tmp_path):
    (tmp_path / "x.yaml").write_text("id: y\nname: Y\njurisdiction: DE\nlegal_nature: private\n"
                                     "purposes: [recognition]\ninstruments: []\ndelivery: {type: topic}\n")
    with pytest.raises(MappingFileError, match="must be named y.yaml"):
        load_partners(tmp_path)


def test_demo_delivery_overrides_are_allowed(tmp_path):
    (tmp_path / "y.yaml").write_text(
        "id: y\nname: Y\njurisdiction: DE\nlegal_nature: private\npurposes: [recognition]\ninstruments: []\n"
        "delivery: {type: webhook, url: 'http://127.0.0.1:8080/y', format: canonical-json, secret_ref: demo-y,"
        " max_attempts: 4, backoff_s: 0.1}\n")
    assert load_partners(tmp_path)["y"].delivery["max_attempts"] == 4


def _event(et="CredentialIssued", j="ZA", **extra):
    return {"header": {"event_type": et, "source": {"jurisdiction": j}}, **extra}


def test_subscribed_defaults_and_filters():
    p = Partner("p", "P", "DE", "private", ("recognition",))
    assert subscribed(p, _event())
    assert subscribed(p, _event("CredentialRevoked"))
    assert not subscribed(p, _event("QualificationPublished"))
    assert subscribed(p, _event("RecognitionDecided", requesting_partner="p"))
    assert not subscribed(p, _event("RecognitionDecided", requesting_partner="other"))
    q = Partner("q", "Q", "DE", "private", ("recognition",),
                subscribe={"event_types": frozenset({"RecognitionDecided", "QualificationPublished"}),
                           "source_jurisdictions": frozenset({"GB"}), "all_recognition_decisions": True})
    assert subscribed(q, _event("RecognitionDecided", j="GB-SCT", requesting_partner="other"))
    assert subscribed(q, _event("QualificationPublished", j="GB"))
    assert not subscribed(q, _event("QualificationPublished", j="ZA"))
    assert not subscribed(q, _event("CredentialIssued", j="GB"))


def test_loading_rules_leaves_pyyaml_safe_loader_alone(engine):
    import datetime as dt

    import yaml
    assert yaml.safe_load("a: 2024-01-01\nb: yes\nc: NO") == {"a": dt.date(2024, 1, 1), "b": True, "c": False}

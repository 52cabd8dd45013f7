"""Metric label values come from closed sets: personal data and unbounded ids cannot get in."""
from __future__ import annotations

from hub.errors import PermanentDeliveryError, RetriableDeliveryError
from hub.observability import labels as L


def test_jurisdiction_accepts_iso_codes_and_subdivisions_only():
    assert L.jurisdiction("ZA") == "ZA"
    assert L.jurisdiction("GB-SCT") == "GB-SCT"
    assert L.jurisdiction("Thandiwe Mokoena") == "other"
    assert L.jurisdiction("za") == "other"
    assert L.jurisdiction(None) == "unknown"


def test_token_rejects_free_text_and_respects_allowed_set():
    assert L.token("de-uni-admissions") == "de-uni-admissions"
    assert L.token("EU-GDPR-49-1-A-CONSENT") == "EU-GDPR-49-1-A-CONSENT"
    assert L.token("jane.doe@example.org") == "other"
    assert L.token("a b") == "other"
    assert L.token("x" * 200) == "other"
    assert L.token("openbadges3", {"openbadges3"}) == "openbadges3"
    assert L.token("/etc/passwd", {"openbadges3"}) == "other"


def test_closed_sets():
    assert L.stage("router") == "router" and L.stage("anything") == "other"
    assert L.reason_class("decode") == "decode" and L.reason_class("NameError") == "other"
    assert L.action("hold") == "hold" and L.action("drop everything") == "other"
    assert L.failure_kind(RetriableDeliveryError("x")) == "retriable"
    assert L.failure_kind(PermanentDeliveryError("x")) == "permanent"
    assert L.failure_kind(ValueError("x")) == "other"

"""Statistics ships pseudonymised rows only; untagged free text is minimised (issue 12 item 9)."""
from __future__ import annotations

import copy

from hub.routing.policy import Partner

from .conftest import AT, FixedKeys


def _stats_partner():
    return Partner(id="de-stats", name="Statistics office", jurisdiction="DE", legal_nature="public_body",
                   purposes=("statistics",))


def _engine_with_key(engine):
    e = copy.copy(engine)
    e.keys = FixedKeys({"de-stats": bytes(range(32))})
    e._cache = {}
    return e


def test_statistics_rows_are_pseudonymised_everywhere_the_credential_id_appears(engine, load_event):
    ev = load_event("de-credential.json")
    ev["status_ref"] = f"https://status.example.org/{ev['credential_id']}"
    ev["header"]["source"]["document_id"] = ev["credential_id"]
    ev["documents"] = [{"doc_type": "diploma_supplement", "title": "Supplement of T. Example", "ref": "urn:x:1",
                        "media_type": None}]
    d = _engine_with_key(engine).decide(ev, _stats_partner(), at=AT)
    assert d.action == "forward_minimised" and "HUB-STATISTICS-PSEUDONYMISED-ROWS" in d.rules
    out = d.event
    assert out["credential_id"].startswith("ps1.") and out["credential_id"] != ev["credential_id"]
    assert out["status_ref"].startswith("ps1.") and out["header"]["source"]["document_id"].startswith("ps1.")
    assert out["documents"] == [] and "personal.free_text" in d.removed_categories
    assert ev["credential_id"] not in str(out)
    learner = out["learner"]
    assert learner["given_names"] is None and learner["birth_date"] is None and learner["national_ids"] == []
    # the same learner gets the same pseudonym at the same partner (rows can be counted together)
    again = _engine_with_key(engine).decide(ev, _stats_partner(), at=AT)
    assert again.event["credential_id"] == out["credential_id"]


def test_statistics_without_a_key_sends_nothing(engine, load_event):
    d = engine.decide(load_event("de-credential.json"), _stats_partner(), at=AT)
    assert d.action == "block" and d.rules == ["HUB-STATISTICS-PSEUDONYMISED-ROWS"] and d.event is None
    assert any("cannot be pseudonymised" in n for n in d.notes)


def test_recognition_keeps_the_credential_id_but_drops_documents(engine, partners, load_event):
    ev = load_event("de-credential.json")
    ev["documents"] = [{"doc_type": "transcript", "title": "Transcript of T. Example", "ref": None, "media_type": None}]
    d = engine.decide(ev, partners["uk-recognition-centre"], at=AT)
    assert d.event["credential_id"] == ev["credential_id"] and d.event["documents"] == []


def test_the_partner_copy_key_is_the_pseudonym_too():
    from hub.routing.router import partner_key

    class D:
        pseudonymised_categories = ["identity.record_link"]
        event = {"credential_id": "ps1.abc"}
    assert partner_key(b"urn:uuid:raw", D()) == b"ps1.abc"
    D.pseudonymised_categories = []
    assert partner_key(b"urn:uuid:raw", D()) == b"urn:uuid:raw"


def test_a_revocation_reason_is_free_text_and_is_not_sent(engine, partners, load_event):
    import datetime as dt
    ev = load_event("za-credential.json")
    rev = {"header": {**ev["header"], "event_type": "CredentialRevoked"}, "credential_id": ev["credential_id"],
           "revoked_on": dt.date(2026, 1, 10), "reason": "fraud reported by T. Example's employer", "issuer": None}
    d = engine.decide(rev, partners["de-uni-admissions"], at=AT)     # the credential itself was held there
    assert d.action == "forward_minimised" and d.rules == ["HUB-REVOCATION-NOTICE"]
    assert d.event["reason"] is None and d.event["credential_id"] == ev["credential_id"]
    assert d.removed_categories == ["personal.free_text"]

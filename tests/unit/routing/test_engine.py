"""PolicyEngine.decide on the project's fixtures and partners."""
from __future__ import annotations

import copy
import datetime as dt

import pytest

from hub.errors import PolicyError
from hub.routing.policy import Evidence, Partner, PolicyEngine

from .conftest import AT, RULES, FixedKeys, instrument, with_register


def test_za_to_german_university_waits_for_consent(engine, partners, load_event):
    d = engine.decide(load_event("za-credential.json"), partners["de-uni-admissions"], at=AT)
    assert d.action == "hold"
    assert d.waiting_for == ["consent"]
    assert d.rules == ["ZA-POPIA-72-1-B-CONSENT"]
    assert d.event is None and d.explain_json()["event"] is None


def test_consent_releases_with_purpose_limitation(engine, partners, load_event):
    ev = load_event("za-credential.json")
    d = engine.decide(ev, partners["de-uni-admissions"], at=AT, evidence=Evidence(consent_ids=frozenset({"c-1"})))
    assert d.action == "forward_minimised"
    assert {"special.ethnicity", "special.disability", "identity.national_id"} <= set(d.removed_categories)
    learner = d.event["learner"]
    assert learner["ethnicity"] is None and learner["disability"] is None and learner["national_ids"] == []
    assert learner["given_names"] == "Thandiwe"        # recognition needs the name
    assert ev["learner"]["ethnicity"] == "example-ethnicity-code"   # input untouched


def test_admission_purpose_keeps_email_and_citizenship(engine, partners, load_event):
    d = engine.decide(load_event("za-credential.json"), partners["de-uni-admissions"], purpose="admission",
                      at=AT, evidence=Evidence(consent_ids=frozenset({"c-1"})))
    assert d.event["learner"]["email"] and d.event["learner"]["citizenship"] == "ZA"
    assert "special.ethnicity" in d.removed_categories


def test_public_authority_gdpr_to_uncertified_us_is_blocked(engine, partners, load_event):
    p = partners["us-credential-evaluator"]
    ev = load_event("de-credential.json")
    for evidence in (None, Evidence(consent_ids=frozenset({"c-1"}))):
        d = engine.decide(ev, p, at=AT, evidence=evidence)
        assert d.action == "block"
        assert d.rules == ["EU-GDPR-49-3-PUBLIC-AUTHORITY"]
        assert "consent" not in d.waiting_for


def test_private_gdpr_exporter_to_uncertified_us_holds(engine, partners, load_event):
    ev = load_event("de-credential.json")
    ev["header"]["source"]["authority_type"] = "private"
    d = engine.decide(ev, partners["us-credential-evaluator"], at=AT)
    assert (d.action, d.waiting_for) == ("hold", ["consent"])


def test_dpf_certified_us_partner_receives(engine, partners, load_event):
    p = partners["us-credential-evaluator"]
    certified = Partner(**{**p.__dict__, "instruments": ("dpf-eu:example",)})
    e = with_register(engine, instrument("dpf-eu:example", "us-credential-evaluator", exporters=["*"]))
    d = e.decide(load_event("de-credential.json"), certified, at=AT)
    assert d.action == "forward_minimised"
    assert "EU-GDPR-45-ADEQUACY" in d.rules
    assert d.relied_on == ["instrument:dpf-eu:example"]          # the certification the adequacy entry needs
    # an unregistered certification counts for nothing
    assert engine.decide(load_event("de-credential.json"), certified, at=AT).action == "block"


def test_de_to_uk_adequacy(engine, partners, load_event):
    d = engine.decide(load_event("de-credential.json"), partners["uk-recognition-centre"], at=AT)
    assert d.action == "forward_minimised"
    assert "EU-GDPR-45-ADEQUACY" in d.rules
    assert any("Art. 45" in b for b in d.legal_basis)


def test_uk_adequacy_ends(engine, partners, load_event):
    d = engine.decide(load_event("de-credential.json"), partners["uk-recognition-centre"], at=dt.date(2032, 1, 1))
    assert d.action == "block"


def test_india_to_us_is_permitted(engine, partners, load_event):
    d = engine.decide(load_event("in-credential.json"), partners["us-credential-evaluator"], at=dt.date(2027, 6, 1))
    assert d.action == "forward_minimised"
    assert "IN-DPDP-16-NOT-RESTRICTED" in d.rules


def test_dpdp_is_not_cited_before_its_commencement(engine, partners, load_event):
    """DPDP ss3-17 apply from their notified date; before it the IT Act SPDI regime is cited."""
    ev = load_event("in-credential.json")
    before = engine.decide(ev, partners["us-credential-evaluator"], at=dt.date(2027, 5, 13))
    assert not any(r.startswith("IN-DPDP-") for r in before.rules)
    assert "IN-ITACT-NO-TRANSFER-RULE" in before.rules
    after = engine.decide(ev, partners["us-credential-evaluator"], at=dt.date(2027, 5, 14))
    assert "IN-DPDP-16-NOT-RESTRICTED" in after.rules and "IN-ITACT-NO-TRANSFER-RULE" not in after.rules


def test_child_from_za_needs_regulator_authorisation(engine, partners, load_event):
    ev = load_event("za-child-credential.json")          # exported by za-umalusi
    p = partners["uk-recognition-centre"]
    # the partner's s72(1)(a) agreement was signed by SAQA: it does not serve Umalusi
    d = engine.decide(ev, p, at=AT)
    assert (d.action, d.waiting_for) == ("hold", ["authorisation", "consent"])
    e = with_register(engine,
                      instrument("popia-72-1-a:example-za-gb-recognition-agreement", p.id, exporters=["za-umalusi"]),
                      instrument("popia-s57:IR-1", p.id, exporters=["za-umalusi"]))
    d = e.decide(ev, p, at=AT)
    assert (d.action, d.waiting_for) == ("hold", ["authorisation"])
    assert "ZA-POPIA-57-1-D-SPECIAL-OR-CHILD" in d.rules
    d2 = e.decide(ev, p, at=AT, evidence=Evidence(authorisation_ids=frozenset({"popia-s57:IR-1"})))
    assert d2.action in ("forward", "forward_minimised")
    assert "authorisation:popia-s57:IR-1" in d2.relied_on
    # after the 18th birthday the same record is an adult's
    assert e.decide(ev, p, at=dt.date(2028, 1, 1)).action in ("forward", "forward_minimised")


def test_learner_law_also_applies(engine, partners, load_event):
    ev = load_event("de-credential.json")
    ev["header"]["subject_jurisdiction"] = "ZA"       # a South African learner at a German university
    d = engine.decide(ev, partners["uk-recognition-centre"], at=AT)
    assert set(d.regimes) >= {"EU_GDPR", "ZA_POPIA", "HUB_POLICY"}
    # EU adequacy, but the partner's POPIA s72(1)(a) agreement is SAQA's, not this exporter's
    assert (d.action, d.waiting_for) == ("hold", ["consent"])
    e = with_register(engine, instrument("popia-72-1-a:example-za-gb-recognition-agreement",
                                         "uk-recognition-centre", exporters=["de-example-land-ministry"]))
    assert e.decide(ev, partners["uk-recognition-centre"], at=AT).action == "forward_minimised"


def test_no_personal_data_event_is_forwarded_with_a_rule(engine, partners, load_event):
    d = engine.decide(load_event("de-qualification.json"), partners["us-credential-evaluator"], at=AT)
    assert d.action == "forward"
    assert d.rules == ["EU-GDPR-NO-PERSONAL-DATA"]
    assert d.categories_present == []


def test_unknown_jurisdiction_blocks(engine, partners, load_event):
    ev = load_event("de-credential.json")
    ev["header"]["source"]["jurisdiction"] = "US"
    ev["header"]["subject_jurisdiction"] = "US"
    d = engine.decide(ev, partners["de-uni-admissions"], at=AT)
    assert d.action == "block" and d.rules == ["HUB-NO-REGIME-FOR-PERSONAL-DATA"]


def test_subdivision_maps_to_country(engine, partners, load_event):
    ev = load_event("de-credential.json")
    ev["header"]["source"]["jurisdiction"] = "GB-SCT"
    ev["header"]["subject_jurisdiction"] = "GB-SCT"
    d = engine.decide(ev, partners["de-uni-admissions"], at=AT)
    assert d.regimes[0] == "UK_GDPR" and d.action == "forward_minimised"


def test_purpose_must_be_declared_and_known(engine, partners, load_event):
    ev = load_event("de-credential.json")
    p = partners["uk-recognition-centre"]
    assert engine.decide(ev, p, purpose="admission", at=AT).rules == ["HUB-PURPOSE-NOT-DECLARED"]
    assert engine.decide(ev, p, purpose="marketing", at=AT).rules == ["HUB-PURPOSE-UNKNOWN"]


def test_input_is_never_mutated(engine, partners, load_event):
    ev = load_event("za-credential.json")
    before = copy.deepcopy(ev)
    for p in partners.values():
        for purpose in p.purposes:
            engine.decide(ev, p, purpose=purpose, at=AT, evidence=Evidence(consent_ids=frozenset({"c"})))
    assert ev == before


def test_unknown_event_type_is_a_policy_error(engine, partners, load_event):
    ev = load_event("de-credential.json")
    ev["header"]["event_type"] = "Nope"
    with pytest.raises(PolicyError):
        engine.decide(ev, partners["de-uni-admissions"], at=AT)


def test_pseudonyms_per_partner_and_without_key(load_event):
    ev = load_event("de-credential.json")
    base = dict(name="v", jurisdiction="FR", legal_nature="private", purposes=("credential_verification",))
    a, b = Partner(id="a", **base), Partner(id="b", **base)
    eng = PolicyEngine.load(RULES, pseudonym_keys=FixedKeys({"a": b"\x01" * 32, "b": b"\x02" * 32}))
    da, db = eng.decide(ev, a, at=AT), eng.decide(ev, b, at=AT)
    ida, idb = da.event["learner"]["national_ids"][0], db.event["learner"]["national_ids"][0]
    assert ida["value"].startswith("ps1.") and ida["value"] != idb["value"]
    assert ida["scheme"] == "nqfhub-pseudonym:de-matrikel"
    assert da.pseudonymised_categories == ["identity.national_id"]
    assert eng.decide(ev, a, at=AT).event["learner"]["national_ids"][0]["value"] == ida["value"]   # stable
    eng.keys.keys.pop("a")                                                     # key deleted
    dn = PolicyEngine.load(RULES, pseudonym_keys=eng.keys).decide(ev, a, at=AT)
    assert dn.event["learner"]["national_ids"] == []
    assert "identity.national_id" in dn.removed_categories and dn.notes
    assert "1234567" not in repr(dn.event) and "1234567" not in repr(da.event)


def test_explain_json_contract(engine, partners, load_event):
    d = engine.decide(load_event("de-credential.json"), partners["uk-recognition-centre"], at=AT)
    j = d.explain_json()
    assert list(j)[:5] == ["action", "rules", "legal_basis", "removed_categories", "event"]
    assert j["event"]["learner"]["birth_date"] == "1999-09-30"
    assert j["event"]["header"]["occurred_at"].endswith("Z")


def test_cache_gives_the_same_answer(partners, load_event):
    ev = load_event("za-credential.json")
    fresh = PolicyEngine.load(RULES)
    cached = PolicyEngine.load(RULES)
    for _ in range(3):
        for p in partners.values():
            a = cached.decide(ev, p, at=AT)
            fresh._cache.clear()
            b = fresh.decide(ev, p, at=AT)
            assert (a.action, a.rules, a.removed_categories, a.event) == (b.action, b.rules, b.removed_categories, b.event)


def test_metrics_counter(engine, partners, load_event):
    from hub.routing.metrics import POLICY_DECISIONS, count_decision
    d = engine.decide(load_event("de-credential.json"), partners["us-credential-evaluator"], at=AT)
    labels = ("EU_GDPR", "EU-GDPR-49-3-PUBLIC-AUTHORITY", "us-credential-evaluator", "block")
    before = POLICY_DECISIONS.labels(*labels)._value.get()
    count_decision("us-credential-evaluator", d)
    assert POLICY_DECISIONS.labels(*labels)._value.get() == before + 1

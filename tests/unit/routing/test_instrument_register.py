"""The instrument register (mappings/privacy/instruments/): evidence belongs to the
exporter-recipient pair, for its purposes and categories, at the decision date."""
from __future__ import annotations

import datetime as dt
import shutil

import pytest

from hub.errors import MappingFileError
from hub.routing.policy import Evidence, PolicyEngine, lint_directory

from .conftest import AT, PARTNERS, RULES, instrument, with_register


def _copy_rules(tmp_path):
    for p in RULES.glob("*.*"):
        shutil.copy(p, tmp_path / p.name)
    (tmp_path / "instruments").mkdir()
    return tmp_path


def test_the_project_register_loads_and_lint_is_clean():
    engine = PolicyEngine.load(RULES)
    assert "popia-72-1-a:example-za-in-recognition-agreement" in engine.register.by_id
    problems, _ = lint_directory(RULES, PARTNERS)
    assert problems == []


def test_saqa_agreement_serves_saqa_but_not_umalusi(engine, partners, load_event):
    p = partners["in-recognition-body"]
    saqa = load_event("za-credential.json")
    d = engine.decide(saqa, p, at=AT)
    assert d.action == "forward_minimised"
    assert d.relied_on == ["instrument:popia-72-1-a:example-za-in-recognition-agreement"]
    other = load_event("za-credential.json")
    other["header"]["source"]["authority"] = "za-umalusi"
    d2 = engine.decide(other, p, at=AT)
    assert d2.action == "hold" and d2.relied_on == []
    assert any("exporter is not a party" in n for n in d2.notes)


def test_validity_is_checked_at_the_decision_date(engine, partners, load_event):
    p = partners["in-recognition-body"]
    ev = load_event("za-credential.json")
    e = with_register(engine, instrument("popia-72-1-a:example-za-in-recognition-agreement", p.id,
                                         valid_from=dt.date(2026, 1, 1), valid_until=dt.date(2026, 6, 30)))
    assert e.decide(ev, p, at=dt.date(2026, 6, 30)).action == "forward_minimised"
    late = e.decide(ev, p, at=dt.date(2026, 7, 1))
    assert late.action == "hold" and any("expired on 2026-06-30" in n for n in late.notes)
    early = e.decide(ev, p, at=dt.date(2025, 12, 31))
    assert early.action == "hold" and any("valid from 2026-01-01" in n for n in early.notes)


def test_scope_purposes_and_categories(engine, partners, load_event):
    p = partners["in-recognition-body"]
    ev = load_event("za-credential.json")
    no_results = with_register(engine, instrument(
        "popia-72-1-a:example-za-in-recognition-agreement", p.id,
        categories=["identity.name", "identity.birth_date"]))
    d = no_results.decide(ev, p, at=AT)
    assert d.action == "hold" and any("outside its scope" in n for n in d.notes)
    other_purpose = with_register(engine, instrument(
        "popia-72-1-a:example-za-in-recognition-agreement", p.id, purposes=["admission"]))
    assert other_purpose.decide(ev, p, at=AT).action == "hold"


def test_unregistered_evidence_counts_for_nothing(engine, partners, load_event):
    p = partners["uk-recognition-centre"]
    ev = load_event("za-child-credential.json")
    d = engine.decide(ev, p, at=AT, evidence=Evidence(authorisation_ids=frozenset({"popia-s57:IR-404"})))
    assert "authorisation" in d.waiting_for
    assert any("popia-s57:IR-404 is not in the instrument register" in n for n in d.notes)


def test_register_files_are_validated_and_every_problem_reported(tmp_path):
    rules = _copy_rules(tmp_path)
    (rules / "instruments" / "bad.yaml").write_text("""
instruments:
  - id: eu-scc-2021:everyone
    kind: eu-scc-2021
    title: SCCs that claim to serve every exporter
    parties: {exporters: ["*"], recipient: de-uni-admissions}
    scope: {purposes: [recognition, marketing], categories: [identity.name, special.religion]}
    valid_from: 2026-01-01
    valid_until: 2025-01-01
    source: doc-1
  - id: dpf-eu:wrong-kind
    kind: dpf-uk
    title: a certification with the wrong prefix
    parties: {exporters: ["*"], recipient: nobody}
    scope: {purposes: [recognition], categories: [identity.name]}
    valid_from: 2026-01-01
    valid_until: null
    source: doc-2
""")
    (rules / "instruments" / "schema.yaml").write_text("""
instruments:
  - id: popia-s57:no-scope
    kind: popia-s57
    title: missing scope
    parties: {exporters: [za-saqa], recipient: de-uni-admissions}
    valid_from: 2026-01-01
    valid_until: null
    source: doc-3
""")
    with pytest.raises(MappingFileError) as ei:
        PolicyEngine.load(rules)
    probs = "\n".join(ei.value.problems)
    assert "'*' (every exporter) is only for certifications" in probs
    assert "unknown purpose marketing" in probs and "unknown category special.religion" in probs
    assert "valid_until is before valid_from" in probs
    assert "id must start with its kind 'dpf-uk:'" in probs
    assert "instruments/schema.yaml: instruments/0" in probs and "'scope' is a required property" in probs
    problems, _ = lint_directory(rules, PARTNERS)
    assert any("no partner nobody" in p for p in problems)
    # partner files naming instruments that are not registered are reported
    assert any("in-recognition-body.yaml: instruments: popia-72-1-a:example-za-in-recognition-agreement is not in"
               in p for p in problems)


def test_lint_refuses_a_rule_before_its_commencement(tmp_path):
    rules = _copy_rules(tmp_path)
    text = (rules / "in-dpdp.yaml").read_text()
    (rules / "in-dpdp.yaml").write_text(text.replace(
        "  - id: IN-DPDP-16-NOT-RESTRICTED\n    version: 2\n    status: active\n    kind: route\n    effective_from: 2027-05-14",
        "  - id: IN-DPDP-16-NOT-RESTRICTED\n    version: 2\n    status: active\n    kind: route\n    effective_from: 2023-08-11"))
    problems, _ = lint_directory(rules, None)
    assert any("IN-DPDP-16-NOT-RESTRICTED" in p and "before the provision's commencement 2027-05-14" in p
               for p in problems)


def test_lint_refuses_a_rule_that_would_hold_a_revocation(tmp_path):
    rules = _copy_rules(tmp_path)
    text = (rules / "hub-policy.yaml").read_text()
    (rules / "hub-policy.yaml").write_text(text.replace(
        "when: {event_types: [CredentialRevoked]}\n    then: {action: forward_minimised, purpose_limitation: true}",
        "when: {event_types: [CredentialRevoked]}\n    then: {action: block}"))
    problems, _ = lint_directory(rules, None)
    assert any("follow-up notices" in p for p in problems)

"""The shipped rule files: valid, complete enough, and every worked example holds."""
from __future__ import annotations

import pytest

from hub.routing.policy import PolicyEngine, lint_directory
from hub.routing.policy._examples import check_example
from hub.routing.policy._rules import load_rules
from hub.schemas import EVENT_TYPES, catalog

from .conftest import PARTNERS, RULES

REQUIRED_REGIMES = {"EU_GDPR", "UK_GDPR", "CH_FADP", "ZA_POPIA", "IN_DPDP", "KE_DPA", "NG_NDPA",
                    "BR_LGPD", "AU_APP8", "NZ_IPP12", "MY_PDPA", "JP_APPI", "SG_PDPA", "KR_PIPA",
                    "PK_NO_LAW"}


def _examples():
    _, regimes, problems = load_rules(RULES)
    assert not problems
    return [pytest.param(rule.id, i, id=f"{rule.id}#{i}")
            for reg in regimes for rule in reg.rules for i, _ in enumerate(rule.examples)]


def test_rules_load_without_problems():
    vocab, regimes, problems = load_rules(RULES)
    assert problems == []
    ids = {r.id for r in regimes}
    assert REQUIRED_REGIMES <= ids
    assert len(ids - {"HUB_POLICY"}) >= 15


def test_lint_directory_is_clean():
    problems, notes = lint_directory(RULES, PARTNERS)
    assert problems == []
    # unverified facts are surfaced, never silently used
    assert any("is 'unverified' and not used" in n for n in notes)


@pytest.mark.parametrize("rule_id,index", _examples())
def test_worked_example(engine, rule_id, index):
    example = engine.rules[rule_id].examples[index]
    assert check_example(engine, example) == []


def test_every_rule_has_confidence_basis_and_summary(engine):
    for rule in engine.rules.values():
        assert rule.confidence["level"] in {"high", "medium", "low"}
        assert rule.confidence["verification"] in {"seen_primary", "seen_secondary", "unverified"}, \
            f"{rule.id} claims review without a reviewer"
        assert rule.basis_code and rule.legal_basis["source"]
        assert len(rule.summary) >= 20


def test_each_regime_with_personal_data_routes_has_examples(engine):
    for reg in engine.regimes:
        if reg.id in ("HUB_POLICY",):
            continue
        assert any(r.examples for r in reg.rules), f"{reg.id} has no worked example"


def test_every_schema_category_is_in_the_vocabulary(engine):
    cat = catalog()
    for et in EVENT_TYPES:
        for cf in cat.for_event_type(et).categories:
            assert cf.category in engine.vocab.categories


def test_required_legal_facts_are_encoded(engine):
    r = engine.rules
    assert "ZA-POPIA-57-1-D-SPECIAL-OR-CHILD" in r
    assert r["EU-GDPR-49-1-A-CONSENT"].raw_when["exporter_legal_nature"] == ["public_body", "private"]
    assert r["UK-GDPR-49-1-A-CONSENT"].raw_when["exporter_legal_nature"] == ["public_body", "private"]
    eu = next(x for x in engine.regimes if x.id == "EU_GDPR")
    us = [e for e in eu.lists["ADEQUATE"] if e.dest == "US"]
    assert us and us[0].qualifier == "dpf-eu"
    assert {"DE", "FR", "NL", "NO", "IS", "LI"} <= eu.jurisdictions
    pk = next(x for x in engine.regimes if x.id == "PK_NO_LAW")
    assert pk.law.get("in_force") is False


def test_broken_files_report_all_problems(tmp_path):
    import shutil

    from hub.errors import MappingFileError
    for p in RULES.glob("*.*"):
        shutil.copy(p, tmp_path / p.name)
    text = (tmp_path / "ke-dpa.yaml").read_text()
    (tmp_path / "ke-dpa.yaml").write_text(text.replace("kind: route", "kind: road", 1))
    text = (tmp_path / "ng-ndpa.yaml").read_text()
    (tmp_path / "ng-ndpa.yaml").write_text(text.replace("version: 1\n", "version: zero\n", 1))
    (tmp_path / "broken.yaml").write_text("regime: [unclosed\n")
    text = (tmp_path / "sg-pdpa.yaml").read_text()
    (tmp_path / "sg-pdpa.yaml").write_text(text.replace("kinds: [apec-cbpr, apec-prp]", "kinds: []"))
    with pytest.raises(MappingFileError) as ei:
        PolicyEngine.load(tmp_path)
    probs = ei.value.problems
    assert any(p.startswith("ke-dpa.yaml") for p in probs)
    assert any(p.startswith("ng-ndpa.yaml") for p in probs)
    assert any(p.startswith("broken.yaml") and "not valid YAML" in p for p in probs)
    assert any(p.startswith("sg-pdpa.yaml") for p in probs)


def test_semantic_problems_are_reported(tmp_path):
    import shutil
    for p in RULES.glob("*.*"):
        shutil.copy(p, tmp_path / p.name)
    text = (tmp_path / "za-popia.yaml").read_text()
    text = text.replace("age_band: [child, unknown]}",
                        "age_band: [child, unknown], categories: {any_of: [special.religion]}}")
    text = text.replace("expect: {action: hold, rules: [ZA-POPIA-72-1-B-CONSENT], waiting_for: [consent]}",
                        "expect: {action: forward}")
    (tmp_path / "za-popia.yaml").write_text(text)
    problems, _ = lint_directory(tmp_path, None)
    assert any("unknown category special.religion" in p for p in problems)
    # a schema-valid file with a wrong expectation fails lint through its example
    text = (tmp_path / "za-popia.yaml").read_text().replace(
        ", categories: {any_of: [special.religion]}", "")
    (tmp_path / "za-popia.yaml").write_text(text)
    problems, _ = lint_directory(tmp_path, None)
    assert any("ZA-POPIA-72-1-B-CONSENT" in p and "expected forward, got hold" in p for p in problems)

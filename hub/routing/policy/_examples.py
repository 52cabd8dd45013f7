"""Worked examples in rule files, run as tests (`nqf-hub policy lint`, tests/unit/routing).

An example describes a situation in reviewer terms (exporter, learner, partner, purpose,
evidence, date); this module builds a synthetic canonical event for it, asks the engine, and
compares the decision with `expect`. Examples are evaluated with every regime loaded, so the
expected action is the hub's overall decision, not only the regime the rule belongs to.
"""
from __future__ import annotations

import copy
import datetime as dt

from hub.routing.policy._model import Evidence, Partner

DEFAULT_AT = dt.date(2026, 7, 1)
DEFAULT_CATEGORIES = ("identity.name", "identity.birth_date", "education.result")
_KEY = bytes(range(32))

_HEADER = {
    "event_id": "00000000-0000-4000-8000-000000000000", "event_type": "CredentialIssued",
    "occurred_at": "2026-01-15T10:00:00.000Z", "recorded_at": "2026-01-15T10:00:01.000Z",
    "source": {"connector": "example", "authority": "example-authority", "authority_type": "private",
               "jurisdiction": "ZA", "document_id": None, "record_ref": None},
    "subject_jurisdiction": "ZA", "trace_id": "example-trace",
}
_QUAL = {"id": "example-qual:1", "title": "Example Qualification", "levels": [], "credits": None,
         "field_of_study": None, "awarding_body": None}
_ORG = {"id": "example-org:1", "name": "Example Institution", "jurisdiction": "ZA"}
_TEMPLATES = {
    "CredentialIssued": {"credential_id": "example-credential:1", "learner": {}, "qualification": _QUAL,
                         "issuer": _ORG, "awarded_on": "2025-12-01"},
    "CredentialRevoked": {"credential_id": "example-credential:1", "revoked_on": "2026-01-10",
                          "reason": None, "issuer": _ORG},
    "QualificationPublished": {"qualification": _QUAL, "status": "active"},
}
_VALUES = {
    "identity.name": {"given_names": "Example", "family_name": "Learner"},
    "identity.national_id": {"national_ids": [{"scheme": "example-id", "value": "EX-0001"}]},
    "contact.email": {"email": "learner@example.org"},
    "personal.gender": {"gender": "9"},
    "personal.citizenship": {"citizenship": "ZZ"},
    "personal.home_language": {"home_language": "xx"},
    "special.ethnicity": {"ethnicity": "example-code"},
    "special.disability": {"disability": "example-code"},
}


class _StaticKeys:
    def __init__(self, present: bool):
        self.present = present

    def get(self, partner_id):
        return _KEY if self.present else None


def build_case(given: dict):
    """(event, partner, purpose, at, evidence, has_key) for one example's `given` block."""
    from hub.jsonview import event_from_json

    at = dt.date.fromisoformat(given["at"]) if given.get("at") else DEFAULT_AT
    et = given.get("event_type", "CredentialIssued")
    exp = given.get("exporter") or {}
    lrn = given.get("learner") or {}
    body = copy.deepcopy(_TEMPLATES[et])
    header = copy.deepcopy(_HEADER)
    header["event_type"] = et
    header["source"]["jurisdiction"] = exp.get("jurisdiction", "ZA")
    header["source"]["authority_type"] = exp.get("legal_nature", "private")
    header["source"]["authority"] = exp.get("id", "example-authority")
    header["subject_jurisdiction"] = lrn.get("jurisdiction", header["source"]["jurisdiction"])
    if "learner" in body:
        cats = list(lrn.get("categories") or DEFAULT_CATEGORIES)
        age = lrn.get("age", 30)
        learner: dict = {}
        for c in cats:
            learner.update(_VALUES.get(c, {}))
        if "identity.birth_date" in cats and age is not None:
            learner["birth_date"] = dt.date(at.year - age, 1, 1).isoformat()
        body["learner"] = learner
        if "education.result" in cats:
            body["grade"] = "example-grade"
    event = event_from_json({"header": header, **body})
    p = given.get("partner") or {}
    purpose = given.get("purpose")
    partner = Partner(id="example-partner", name="Example partner", jurisdiction=p.get("jurisdiction", "DE"),
                      legal_nature=p.get("legal_nature", "private"),
                      purposes=tuple(p.get("purposes") or [purpose or "recognition"]),
                      instruments=tuple(p.get("instruments") or ()),
                      delivery={"type": "topic"})
    e = given.get("evidence") or {}
    evidence = Evidence(frozenset(e.get("consent") or ()), frozenset(e.get("instruments") or ()),
                        frozenset(e.get("authorisations") or ()),
                        tuple(sorted((c, e["consent_by"]) for c in e.get("consent") or () if e.get("consent_by"))))
    return event, partner, purpose, at, evidence, given.get("pseudonym_key", True)


def example_register(given: dict, engine):
    """The instrument register of an example: `given.register` entries as written, and every
    other instrument id the example names as an instrument between the example's exporter and
    partner, for every purpose and category, always valid."""
    from hub.routing.policy._instruments import Instrument, InstrumentRegister

    exporter = (given.get("exporter") or {}).get("id", "example-authority")
    e = given.get("evidence") or {}
    explicit = {r["id"]: r for r in given.get("register") or ()}
    ids = [*((given.get("partner") or {}).get("instruments") or ()), *(e.get("instruments") or ()),
           *(e.get("authorisations") or ())]
    out = []
    for i in dict.fromkeys([*ids, *explicit]):
        r = explicit.get(i, {})
        out.append(Instrument(
            id=i, kind=i.split(":", 1)[0], title="example instrument",
            exporters=frozenset(r.get("exporters") or [exporter]),
            exporter_jurisdictions=frozenset(r.get("exporter_jurisdictions") or ()),
            recipient=r.get("recipient", "example-partner"),
            purposes=frozenset(r.get("purposes") or engine.vocab.purposes),
            categories=frozenset(r.get("categories") or engine.vocab.categories),
            valid_from=dt.date.fromisoformat(r.get("valid_from", "1970-01-01")),
            valid_until=dt.date.fromisoformat(r["valid_until"]) if r.get("valid_until") else None,
            source_file="example"))
    return InstrumentRegister(out)


def run_example(engine, example: dict):
    """The decision for one example (engine with a fixed test pseudonym key or none)."""
    event, partner, purpose, at, evidence, has_key = build_case(example["given"])
    probe = copy.copy(engine)
    probe.keys = _StaticKeys(has_key)
    probe.register = example_register(example["given"], engine)
    probe._cache = {}
    probe._held_cache = {}
    return probe.decide(event, partner, purpose=purpose, at=at, evidence=evidence)


def check_example(engine, example: dict) -> list[str]:
    """Differences between the decision and `expect` (empty when the example passes)."""
    d = run_example(engine, example)
    exp = example["expect"]
    out = []
    if d.action != exp["action"]:
        out.append(f"expected {exp['action']}, got {d.action}")
    missing = [r for r in exp.get("rules", ()) if r not in d.rules]
    if missing:
        out.append(f"rules {missing} not among {d.rules}")
    unwanted = [r for r in exp.get("not_rules", ()) if r in d.rules]
    if unwanted:
        out.append(f"rules {unwanted} should not decide")
    for key in ("waiting_for", "removed_categories", "pseudonymised_categories", "relied_on"):
        if key in exp and sorted(exp[key]) != sorted(getattr(d, key)):
            out.append(f"{key} expected {sorted(exp[key])}, got {sorted(getattr(d, key))}")
    return out


def iter_examples(engine):
    for reg in engine.regimes:
        for rule in reg.rules:
            for ex in rule.examples:
                yield reg, rule, ex


def run_examples(engine) -> list[str]:
    problems = []
    for reg, rule, ex in iter_examples(engine):
        try:
            diffs = check_example(engine, ex)
        except Exception as e:  # a broken example is a problem to report, not a crash
            diffs = [f"cannot run ({e.__class__.__name__}: {e})"]
        for d in diffs:
            problems.append(f"{reg.source_file}: {rule.id}: example '{ex['name']}': {d}")
    return problems

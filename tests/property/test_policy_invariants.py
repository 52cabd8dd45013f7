"""Invariants of the privacy policy engine, over generated events, partners and evidence.

- most restrictive wins: the action is the most restrictive regime outcome;
- the input event is never mutated; `event` is set exactly when the action forwards;
- purpose limitation: a forwarded event carries no category its purpose does not need;
- more evidence never makes a decision more restrictive;
- GDPR/UK GDPR Art. 49(3): for a public-authority exporter, consent changes nothing;
- no regime for the exporter's jurisdiction → block, whatever the learner's regime;
- an instrument registered for another exporter never changes a decision;
- a domestic disclosure is decided the same whatever the learner's jurisdiction;
- a revocation is never held or blocked;
- identifiers are never sent raw abroad, with or without a pseudonym key;
- the decision cache never changes an answer.
"""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.routing.policy import Evidence, Partner, PolicyEngine
from hub.routing.policy._model import SEVERITY

RULES = Path(__file__).resolve().parents[2] / "mappings" / "privacy"
UTC = dt.timezone.utc
KINDS = ["eu-scc-2021", "dpf-eu", "dpf-uk", "gdpr-46-2-a", "gdpr-46-3-b", "gdpr-sa-authorisation",
         "popia-72-1-a", "popia-s57", "ke-48-safeguards", "ndpa-41-1-a", "br-anpd-scc", "au-app8-contract",
         "nz-model-clauses", "my-tia", "jp-appi-28-system", "sg-reg11-contract", "kr-treaty", "uk-idta",
         "cn-standard-contract", "mu-36-safeguards", "qc-17-assessment", "ca-pipeda-covered"]


def _register(exporter: str):
    """Every generated instrument id, registered between `exporter` and partner 'p'."""
    from hub.routing.policy._instruments import Instrument, InstrumentRegister
    base = PolicyEngine.load(RULES)
    return InstrumentRegister([
        Instrument(id=f"{k}:{ref}", kind=k, title="t", exporters=frozenset({exporter}), exporter_jurisdictions=frozenset(),
                   recipient="p", purposes=frozenset(base.vocab.purposes), categories=frozenset(base.vocab.categories),
                   valid_from=dt.date(2000, 1, 1), valid_until=None, source_file="t")
        for k in KINDS for ref in ("x", "a", "m", "n")])


def _engine(**kw):
    e = PolicyEngine.load(RULES, **kw)
    e.register = _register("a")
    return e


ENGINE = _engine()
ENGINE_NO_KEYS = ENGINE


class _Keys:
    def get(self, pid):
        return b"k" * 32


ENGINE_KEYS = _engine(pseudonym_keys=_Keys())

JURIS = ["ZA", "DE", "FR", "NO", "GB", "GB-SCT", "CH", "IN", "US", "PK", "KE", "NG", "BR", "AU", "NZ",
         "MY", "JP", "SG", "KR", "CA", "CA-QC", "CN", "GH", "MU", "XX"]
NATURES = ["public_authority", "public_body", "private"]
PURPOSES = ["recognition", "admission", "employment_verification", "credential_verification", "mobility",
            "statistics"]
FIELDS = {
    "identity.name": {"given_names": "G", "family_name": "F"},
    "identity.national_id": {"national_ids": [{"scheme": "s", "value": "RAW-ID-123"}]},
    "contact.email": {"email": "e@example.org"},
    "personal.gender": {"gender": "9"},
    "personal.citizenship": {"citizenship": "ZZ"},
    "personal.home_language": {"home_language": "xx"},
    "special.ethnicity": {"ethnicity": "E"},
    "special.disability": {"disability": "D"},
}


@st.composite
def cases(draw):
    exp = draw(st.sampled_from(JURIS))
    learner_j = draw(st.one_of(st.just(exp), st.sampled_from(JURIS)))
    at = draw(st.dates(dt.date(2019, 1, 1), dt.date(2032, 12, 31)))
    cats = draw(st.sets(st.sampled_from(sorted(FIELDS))))
    learner = {"given_names": None, "family_name": None, "birth_date": None, "national_ids": [], "email": None,
               "gender": None, "citizenship": None, "ethnicity": None, "disability": None, "home_language": None}
    for c in cats:
        learner.update(copy.deepcopy(FIELDS[c]))
    age = draw(st.one_of(st.none(), st.integers(5, 70)))
    if age is not None:
        learner["birth_date"] = dt.date(at.year - age, 6, 1)
    event = {
        "header": {"event_id": "00000000-0000-4000-8000-000000000001", "event_type": "CredentialIssued",
                   "occurred_at": dt.datetime(2025, 1, 1, tzinfo=UTC), "recorded_at": dt.datetime(2025, 1, 1, tzinfo=UTC),
                   "source": {"connector": "t", "authority": "a", "authority_type": draw(st.sampled_from(NATURES)),
                              "jurisdiction": exp, "document_id": None, "record_ref": None},
                   "subject_jurisdiction": learner_j, "trace_id": "t"},
        "credential_id": "cred-1", "learner": learner,
        "qualification": {"id": "q", "title": "Q", "levels": [], "credits": None, "field_of_study": None,
                          "awarding_body": None},
        "issuer": {"id": "o", "name": "O", "jurisdiction": exp}, "awarded_on": dt.date(2024, 6, 1),
        "valid_until": None, "grade": draw(st.sampled_from([None, "A"])), "grading_scheme": None,
        "credits_earned": None, "parts": [], "documents": [], "status_ref": None, "bundle_id": None,
    }
    purposes = tuple(draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=3, unique=True)))
    partner = Partner(id="p", name="P", jurisdiction=draw(st.sampled_from(JURIS[:-1])),
                      legal_nature=draw(st.sampled_from(NATURES)), purposes=purposes,
                      instruments=tuple(f"{k}:x" for k in draw(st.sets(st.sampled_from(KINDS), max_size=3))))
    purpose = draw(st.one_of(st.none(), st.sampled_from(purposes)))
    ev = Evidence(consent_ids=frozenset(draw(st.sets(st.just("c1")))),
                  authorisation_ids=frozenset(f"{k}:a" for k in draw(st.sets(st.sampled_from(KINDS), max_size=2))))
    return event, partner, purpose, at, ev


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _values(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _values(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _values(v)
    else:
        yield obj


@FAST
@given(cases())
def test_most_restrictive_wins_and_event_iff_forward(case):
    event, partner, purpose, at, ev = case
    d = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    worst = max(SEVERITY[o["action"]] for o in d.regime_outcomes.values())
    if worst >= SEVERITY["hold"]:
        assert SEVERITY[d.action] == worst
    else:
        assert d.action in ("forward", "forward_minimised")
    assert (d.event is not None) == (d.action in ("forward", "forward_minimised"))
    assert d.rules, "every decision names the rule(s) that made it"
    if d.action == "hold":
        assert d.waiting_for


@FAST
@given(cases())
def test_input_never_mutated(case):
    event, partner, purpose, at, ev = case
    before = copy.deepcopy(event)
    ENGINE_KEYS.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    assert event == before


@FAST
@given(cases())
def test_purpose_limitation(case):
    event, partner, purpose, at, ev = case
    d = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    if d.event is None:
        return
    needs = ENGINE.vocab.purposes[d.purpose] | ENGINE.vocab.non_removable
    sent = ENGINE._fields["CredentialIssued"].present(d.event)
    assert sent <= needs | set(d.pseudonymised_categories)
    assert not (sent & set(d.removed_categories))
    if d.purpose == "recognition":
        assert not {c for c in sent if c.startswith("special.")}


@FAST
@given(cases(), st.sets(st.sampled_from(KINDS), min_size=1, max_size=3))
def test_more_evidence_is_never_more_restrictive(case, extra):
    event, partner, purpose, at, ev = case
    d1 = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    more = Evidence(consent_ids=ev.consent_ids | {"c-extra"},
                    instrument_ids=ev.instrument_ids | {f"{k}:m" for k in extra},
                    authorisation_ids=ev.authorisation_ids | {f"{k}:n" for k in extra})
    d2 = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=more)
    assert SEVERITY[d2.action] <= SEVERITY[d1.action]


@FAST
@given(cases(), st.sampled_from(["DE", "FR", "NO", "GB"]))
def test_public_authority_cannot_rely_on_consent(case, home):
    event, partner, purpose, at, ev = case
    event["header"]["source"]["jurisdiction"] = home
    event["header"]["source"]["authority_type"] = "public_authority"
    event["header"]["subject_jurisdiction"] = home
    without = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=Evidence(
        instrument_ids=ev.instrument_ids, authorisation_ids=ev.authorisation_ids))
    with_c = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=Evidence(
        consent_ids=frozenset({"c"}), instrument_ids=ev.instrument_ids, authorisation_ids=ev.authorisation_ids))
    assert (without.action, without.rules) == (with_c.action, with_c.rules)
    assert "consent" not in without.waiting_for
    assert not any(r.endswith("49-1-A-CONSENT") for r in with_c.rules)


@FAST
@given(cases(), st.sampled_from(JURIS))
def test_no_exporter_regime_means_block(case, learner_j):
    """Default deny: an exporter from a jurisdiction without rules is blocked, whatever the
    learner's regime would allow (the learner's law never stands in for the exporter's)."""
    event, partner, purpose, at, ev = case
    event["header"]["source"]["jurisdiction"] = "XX"
    event["header"]["subject_jurisdiction"] = learner_j
    d = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    assert d.action == "block"


@FAST
@given(cases())
def test_another_exporters_instrument_never_counts(case):
    """The register names exporter 'a': for exporter 'b' the same ids decide as if absent."""
    event, partner, purpose, at, ev = case
    event["header"]["source"]["authority"] = "b"
    d = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    bare = Partner(**{**partner.__dict__, "instruments": ()})
    d0 = ENGINE.decide(event, bare, purpose=purpose, at=at, evidence=Evidence(consent_ids=ev.consent_ids))
    assert (d.action, d.rules, d.waiting_for) == (d0.action, d0.rules, d0.waiting_for)
    assert not any(r.startswith(("instrument:", "authorisation:")) for r in d.relied_on)


@FAST
@given(cases(), st.sampled_from(JURIS))
def test_domestic_disclosure_ignores_the_learners_regime(case, learner_j):
    event, partner, purpose, at, ev = case
    home = event["header"]["source"]["jurisdiction"]
    partner = Partner(**{**partner.__dict__, "jurisdiction": home.split("-")[0]})
    event["header"]["subject_jurisdiction"] = home
    d1 = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    event["header"]["subject_jurisdiction"] = learner_j
    d2 = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    assert (d1.action, d1.rules, d1.removed_categories) == (d2.action, d2.rules, d2.removed_categories)


@FAST
@given(cases())
def test_revocations_are_never_held_or_blocked(case):
    event, partner, purpose, at, ev = case
    revoked = {"header": {**event["header"], "event_type": "CredentialRevoked"}, "credential_id": "cred-1",
               "revoked_on": dt.date(2025, 1, 1), "reason": "issued in error", "issuer": None}
    d = ENGINE.decide(revoked, partner, purpose=purpose, at=at, evidence=ev)
    assert d.action in ("forward", "forward_minimised")


@FAST
@given(cases())
def test_identifiers_never_sent_raw_abroad(case):
    event, partner, purpose, at, ev = case
    for eng in (ENGINE_NO_KEYS, ENGINE_KEYS):
        d = eng.decide(event, partner, purpose=purpose, at=at, evidence=ev)
        if d.event is None:
            continue
        if partner.country != event["header"]["source"]["jurisdiction"].split("-")[0]:
            assert "RAW-ID-123" not in set(_values(d.event))
        for nid in d.event["learner"]["national_ids"]:
            if "identity.national_id" in d.pseudonymised_categories:
                assert nid["value"].startswith("ps1.")


@FAST
@given(cases())
def test_cache_never_changes_an_answer(case):
    event, partner, purpose, at, ev = case
    a = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    ENGINE._cache.clear()
    b = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=ev)
    assert (a.action, a.rules, a.removed_categories, a.waiting_for, a.event) == \
           (b.action, b.rules, b.removed_categories, b.waiting_for, b.event)


@FAST
@given(cases(), st.sampled_from(["BR", "ZA", "KE", "NG", "CN", "CA-QC", "GH", "MU"]),
       st.one_of(st.none(), st.integers(1, 11)))
def test_a_childs_own_consent_counts_for_nothing_where_the_law_names_who_consents(case, home, age):
    """Under a regime with child_consent_by, a consent in the child's own name (or of unknown
    capacity for a learner of unknown age) decides exactly as no consent; a parent's may not."""
    event, partner, purpose, at, ev = case
    event["header"]["source"]["jurisdiction"] = home
    event["header"]["subject_jurisdiction"] = home
    event["learner"]["birth_date"] = dt.date(at.year - age, 1, 1) if age is not None else None
    base = Evidence(instrument_ids=ev.instrument_ids, authorisation_ids=ev.authorisation_ids)
    own = Evidence(consent_ids=frozenset({"c"}), instrument_ids=ev.instrument_ids,
                   authorisation_ids=ev.authorisation_ids,
                   consent_given_by=(("c", "learner"),) if age is not None else ())
    d0 = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=base)
    d1 = ENGINE.decide(event, partner, purpose=purpose, at=at, evidence=own)
    assert (d0.action, d0.rules, d0.waiting_for) == (d1.action, d1.rules, d1.waiting_for)
    assert not any(r.startswith("consent:") for r in d1.relied_on)

"""PolicyEngine: decides forward / forward_minimised / hold / block for one event × partner.

Semantics (mappings/privacy/README.md says the same for reviewers):
1. Applicable regimes: the regime of the exporter (header.source.jurisdiction) and of the
   learner (header.subject_jurisdiction), by country (GB-SCT → GB; DE → EU_GDPR through its
   jurisdiction list), plus the hub policy, which applies to every decision.
2. Purpose: the given one or the partner's first. Categories the purpose does not need are
   removed even when the transfer is lawful (purpose limitation); rule conditions on categories
   see what would be transferred after that removal.
3. Within a regime: among route rules whose conditions match, the least restrictive available
   outcome wins (one lawful route suffices); a route whose required evidence is missing either
   is unavailable ('skip') or holds for it. No available route → the regime's fallback rules
   (normally block, citing the general prohibition) or, if none matches, block. Restriction rules
   apply on top: most restrictive wins.
4. Across regimes: most restrictive wins (block > hold > forward_minimised > forward); when the
   result is a forward, the minimisation steps of every regime are combined (drop beats
   pseudonymise). A pseudonymisation without a partner key drops the field instead.
5. No applicable rule at all → block.

`decide` runs on the router's hot path. Everything that depends only on the decision's facts
(not on the field values) is computed once per distinct fact tuple and cached; per event the
engine reads the category paths, computes the age band and, if needed, copies the event.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from hub.errors import MappingFileError, PolicyError
from hub.routing.policy._conditions import Facts, RegimeCtx
from hub.routing.policy._fields import EventFields
from hub.routing.policy._instruments import InstrumentRegister, load_register
from hub.routing.policy._model import (NO_EVIDENCE, SEVERITY, Decision, Evidence, Partner,
                                       most_restrictive)
from hub.routing.policy._pseudonym import PseudonymKeys, pseudonym
from hub.routing.policy._rules import Outcome, Regime, Rule, load_rules

_CACHE_MAX = 65536
_FORWARDS = ("forward", "forward_minimised")


@dataclass(frozen=True)
class _Plan:
    """The value-independent part of a decision (cached per fact tuple)."""

    action: str
    rules: tuple[str, ...]
    legal_basis: tuple[str, ...]
    regimes: tuple[str, ...]
    drop: frozenset
    pseudo: frozenset
    waiting_for: tuple[str, ...]
    present: tuple[str, ...]
    purpose: str | None
    rule_regime: dict
    regime_outcomes: dict
    notes: tuple[str, ...]
    relied_kinds: frozenset = frozenset()     # instrument kinds the deciding rules relied on
    relied_consent: bool = False


class PolicyEngine:
    """Compiled rules. Build with `PolicyEngine.load(rules_dir)`; thread-compatible (the cache is
    a plain dict; concurrent writers can only compute the same value twice)."""

    def __init__(self, vocab, regimes: list[Regime], *, rules_dir: Path | None = None,
                 pseudonym_keys: PseudonymKeys | None = None, catalog=None,
                 register: InstrumentRegister | None = None):
        from hub.schemas import EVENT_TYPES
        from hub.schemas import catalog as _catalog

        self.vocab = vocab
        self.regimes = regimes
        self.rules_dir = rules_dir
        self.keys = pseudonym_keys
        self.problems: list[str] = []
        if register is None and rules_dir is not None:
            register = load_register(rules_dir, vocab, self.problems)
        self.register = register or InstrumentRegister()
        self.notes: list[str] = []
        self._always = [r for r in regimes if r.always]
        self._by_country: dict[str, list[Regime]] = {}
        for r in regimes:
            if not r.always:
                for j in r.jurisdictions:
                    self._by_country.setdefault(j, []).append(r)
        self.rules: dict[str, Rule] = {rule.id: rule for r in regimes for rule in r.rules}
        self._nomatch = {r.id: _no_match_rule(r) for r in regimes}
        cat = catalog or _catalog()
        self._fields: dict[str, EventFields] = {}
        links: dict[str, list] = {}
        for et, path, c in vocab.record_links:
            links.setdefault(et, []).append((path, c))
        for et in EVENT_TYPES:
            entry = cat.for_event_type(et)
            pairs = [(cf.path, cf.category) for cf in entry.categories] + links.get(et, [])
            for _, c in pairs:
                if vocab.categories and c not in vocab.categories:
                    self.problems.append(f"schemas: {et}: category {c} is not in hub.yaml categories")
            try:
                self._fields[et] = EventFields(et, entry.expanded, pairs, _removable(vocab))
            except PolicyError as e:
                self.problems.append(f"schemas: {e}")
        self._non_removable = vocab.non_removable
        self._cache: dict = {}
        self._held_cache: dict = {}

    # ---- construction --------------------------------------------------------------------
    @classmethod
    def load(cls, rules_dir: Path, *, pseudonym_keys: PseudonymKeys | None = None) -> "PolicyEngine":
        """Read, validate (JSON Schema) and compile every rule file under `rules_dir`.

        Raises MappingFileError listing every problem of every file at once."""
        vocab, regimes, problems = load_rules(Path(rules_dir))
        if problems:
            raise MappingFileError(f"{len(problems)} problem(s) in privacy rules under {rules_dir}", problems)
        engine = cls(vocab, regimes, rules_dir=Path(rules_dir), pseudonym_keys=pseudonym_keys)
        if engine.problems:
            raise MappingFileError(f"{len(engine.problems)} problem(s) in privacy rules under {rules_dir}",
                                   engine.problems)
        return engine

    # ---- the decision --------------------------------------------------------------------
    def decide(self, event: dict, partner: Partner, *, purpose: str | None = None,
               at: dt.date | None = None, evidence: Evidence | None = None) -> Decision:
        """Decide for one event × partner. Never mutates `event`. Raises PolicyError when the
        event lacks the header fields the decision needs (the router dead-letters it)."""
        try:
            h = event["header"]
            src = h["source"]
            et = h["event_type"]
            fields = self._fields[et]
            exp_j, exp_nature, subj_j = src["jurisdiction"], src["authority_type"], h["subject_jurisdiction"]
        except (KeyError, TypeError):
            raise PolicyError("event lacks header.event_type/source/subject_jurisdiction "
                              "or has an unknown event type") from None
        if at is None:
            at = dt.datetime.now(dt.timezone.utc).date()
        present = fields.present(event)
        age = _age(event, at) if "identity.birth_date" in present else None
        if purpose is None:
            purpose = partner.purposes[0] if partner.purposes else None
        ev = evidence or NO_EVIDENCE
        exporter_id = src.get("authority") or ""
        valid, inst_notes = self._covering(partner, ev, exporter_id, exp_j, purpose, present, at)
        held = frozenset(i.split(":", 1)[0] for i in valid)
        consent_by = _capacities(ev)
        keys = self.keys
        key_bytes = keys.get(partner.id) if keys is not None else None
        ck = (et, exp_j, exp_nature, subj_j, partner.jurisdiction, partner.legal_nature,
              partner.purposes, purpose, present, age, held, bool(ev.consent_ids), at,
              key_bytes is not None, exporter_id, consent_by)
        plan = self._cache.get(ck)
        if plan is None:
            plan = self._plan(et, exp_j, exp_nature, subj_j, partner, purpose, present, age, held,
                              bool(ev.consent_ids), at, key_bytes is not None, exporter_id, consent_by)
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[ck] = plan
        if plan.action == "forward":
            out = event
        elif plan.action == "forward_minimised":
            out = fields.apply(event, plan.drop, plan.pseudo,
                               (lambda s, v, k=key_bytes: pseudonym(k, s, v)) if plan.pseudo else None)
        else:
            out = None
        relied: list[str] = []
        if plan.relied_consent:
            relied += [f"consent:{c}" for c in sorted(ev.consent_ids)]
        if plan.relied_kinds:
            relied += [f"{'authorisation' if i in ev.authorisation_ids else 'instrument'}:{i}"
                       for i in sorted(valid) if i.split(":", 1)[0] in plan.relied_kinds]
        return Decision(
            action=plan.action, rules=list(plan.rules), legal_basis=list(plan.legal_basis),
            regimes=list(plan.regimes), removed_categories=sorted(plan.drop),
            categories_present=list(plan.present), waiting_for=list(plan.waiting_for), event=out,
            purpose=plan.purpose, pseudonymised_categories=sorted(plan.pseudo),
            rule_regime=plan.rule_regime, regime_outcomes=plan.regime_outcomes,
            notes=list(plan.notes) + list(inst_notes), relied_on=relied)

    def _covering(self, partner: Partner, ev: Evidence, exporter_id: str, exp_j: str, purpose, present, at):
        """The instrument/authorisation ids that cover this exporter-recipient transfer (register)."""
        ids = (*partner.instruments, *ev.instrument_ids, *ev.authorisation_ids)
        if not ids:
            return frozenset(), ()
        needed = self.vocab.purposes.get(purpose) if purpose else None
        transferred = present & (needed | self._non_removable) if needed is not None else present
        k = (partner.id, frozenset(ids), exporter_id, exp_j, purpose, transferred, at)
        got = self._held_cache.get(k)
        if got is None:
            got = self.register.covering(ids, exporter_id=exporter_id, exporter_country=exp_j.split("-", 1)[0],
                                         partner_id=partner.id, purpose=purpose, transferred=transferred,
                                         at=at, always_allowed=self._non_removable)
            if len(self._held_cache) > 4096:
                self._held_cache.clear()
            self._held_cache[k] = got
        return got

    def _regimes_of(self, jurisdiction: str) -> list[Regime]:
        """Regimes of a jurisdiction: the country's (GB-SCT → GB) and a subdivision's own
        (CA-QC → CA_PIPEDA and CA_QC_LAW25)."""
        country = jurisdiction.split("-", 1)[0]
        out = list(self._by_country.get(country, ()))
        if jurisdiction != country:
            out += [r for r in self._by_country.get(jurisdiction, ()) if r not in out]
        return out

    def applicable_regimes(self, exporter_jurisdiction: str, learner_jurisdiction: str,
                           destination: str | None = None) -> dict[str, set]:
        """Regime id -> roles ('exporter', 'learner'). With a `destination` (the partner's
        jurisdiction), a regime that is only the learner's applies only to a transfer out of its
        territory: a cross-border transfer whose destination lies outside the regime (a DE→DE
        disclosure of a learner living in Kenya is not a Kenyan transfer)."""
        roles: dict[str, set] = {}
        for reg in self._regimes_of(exporter_jurisdiction):
            roles.setdefault(reg.id, set()).add("exporter")
        dest_c = destination.split("-", 1)[0] if destination else None
        leaves = destination is None or dest_c != exporter_jurisdiction.split("-", 1)[0]
        for reg in self._regimes_of(learner_jurisdiction):
            if reg.id in roles:
                roles[reg.id].add("learner")
            elif leaves and not (dest_c in reg.jurisdictions or destination in reg.jurisdictions):
                roles[reg.id] = {"learner"}
        return roles

    def _plan(self, et, exp_j, exp_nature, subj_j, partner: Partner, purpose, present, age, held,
              has_consent, at, has_key, exporter_id="", consent_by=frozenset()) -> _Plan:
        roles = self.applicable_regimes(exp_j, subj_j, partner.jurisdiction)
        by_id = {r.id: r for r in self.regimes}
        exporter_regime = any("exporter" in v for v in roles.values())
        needed = self.vocab.purposes.get(purpose) if purpose else None
        transferred = present & (needed | self._non_removable) if needed is not None else present
        f = Facts(event_type=et, exporter_country=exp_j.split("-", 1)[0], exporter_nature=exp_nature,
                  learner_country=subj_j.split("-", 1)[0], dest_country=partner.country,
                  recipient_nature=partner.legal_nature, present=present, transferred=transferred,
                  age=age, purpose=purpose, purpose_known=needed is not None,
                  purpose_declared=purpose in partner.purposes, held_kinds=held,
                  has_consent=has_consent, at=at, other_regimes=bool(roles),
                  exporter_regime=exporter_regime, exporter_id=exporter_id,
                  dest_jurisdiction=partner.jurisdiction, consent_by=consent_by)
        follow_up = et in self.vocab.follow_up_events
        key_notes: list[str] = []
        evaluated: list[tuple[Regime, str, list, set]] = []
        for reg in [by_id[r] for r in roles] + self._always:
            rc = RegimeCtx(frozenset(roles.get(reg.id, ())), _band(age, reg.child_under), reg.special,
                           reg.jurisdictions, reg.child_consent_by)
            if follow_up:
                action, parts, waiting = self._eval_follow_up(reg, f, rc)
            else:
                action, parts, waiting = self._eval_regime(reg, f, rc)
            if not has_key:
                before = action
                action, parts = _no_key_for_record_link(action, parts, present & self._non_removable)
                if action != before:
                    key_notes.append("no pseudonym key for this partner: the record link cannot be "
                                     "pseudonymised, so nothing is sent (nqf-hub policy keys generate)")
            evaluated.append((reg, action, parts, waiting))
        final = most_restrictive(a for _, a, _, _ in evaluated)
        rule_list: list[Rule] = []
        waiting: set = set()
        drop: set = set()
        pseudo: set = set()
        notes: list[str] = list(key_notes)
        relied_kinds: set = set()
        relied_consent = False
        for reg, action, parts, wait in evaluated:
            if final in _FORWARDS:
                for rule, out, _ in parts:
                    rule_list.append(rule)
                    if out is rule.then:
                        for q in rule.requires:          # met: the evidence this rule relied on
                            if q.evidence == "consent":
                                relied_consent = True
                            else:
                                relied_kinds |= q.kinds & held
                        relied_kinds |= _list_qualifiers(reg, rule, f)
                    if out.purpose_limitation and needed is not None:
                        drop |= present - needed - self._non_removable
                    for cat, op in out.minimise:
                        (drop if op == "drop" else pseudo).add(cat)
            elif action == final:
                rule_list.extend(rule for rule, out, _ in parts if out.action == final)
                waiting |= wait
        drop &= present
        pseudo = (pseudo & present) - drop
        if pseudo and not has_key:
            notes.append("no pseudonym key for this partner: identifiers dropped instead of pseudonymised")
            drop |= pseudo
            pseudo = set()
        if final in _FORWARDS:
            final = "forward_minimised" if (drop or pseudo) else "forward"
        seen: set = set()
        rules, basis = [], []
        for r in rule_list:
            if r.id not in seen:
                seen.add(r.id)
                rules.append(r.id)
                if r.basis_code not in basis:
                    basis.append(r.basis_code)
        outcomes = {reg.id: {"action": action, "rules": [r.id for r, _, _ in parts],
                             "roles": sorted(roles.get(reg.id, ())),
                             **({"waiting_for": sorted(wait)} if wait else {})}
                    for reg, action, parts, wait in evaluated}
        return _Plan(action=final, rules=tuple(rules), legal_basis=tuple(basis),
                     regimes=tuple(reg.id for reg, _, _, _ in evaluated),
                     drop=frozenset(drop), pseudo=frozenset(pseudo),
                     waiting_for=tuple(sorted(waiting)) if final == "hold" else (),
                     present=tuple(sorted(present)), purpose=purpose,
                     rule_regime={r.id: r.regime for r in rule_list}, regime_outcomes=outcomes,
                     notes=tuple(notes), relied_kinds=frozenset(relied_kinds),
                     relied_consent=relied_consent and final in _FORWARDS)

    def _eval_regime(self, reg: Regime, f: Facts, rc: RegimeCtx):
        """(action, [(rule, outcome, missing evidence)], waiting_for) for one regime."""
        at = f.at
        parts: list = []
        if reg.requires_route:
            cands = []
            for r in reg.routes:
                if r.in_force(at) and r.matches(f, rc):
                    un = r.unmet(f, rc) if r.requires else None
                    if un is None:
                        cands.append((r, r.then, ()))
                    elif un[0].action != "skip":
                        cands.append((r, un[0], un[1]))
            if cands:
                best = min(SEVERITY[o.action] for _, o, _ in cands)
                chosen = [c for c in cands if SEVERITY[c[1].action] == best]
                parts.extend(chosen if best >= SEVERITY["hold"] else chosen[:1])
            else:
                fb = [(r, r.then, ()) for r in reg.fallbacks if r.in_force(at) and r.matches(f, rc)]
                parts.extend(fb or [(self._nomatch[reg.id], _BLOCK, ())])
        for r in reg.restrictions:
            if r.in_force(at) and r.matches(f, rc):
                un = r.unmet(f, rc) if r.requires else None
                if un is None:
                    parts.append((r, r.then, ()))
                elif un[0].action != "skip":
                    parts.append((r, un[0], un[1]))
        action = most_restrictive(o.action for _, o, _ in parts) if parts else "forward"
        waiting = {k for _, o, m in parts if o.action == "hold" for k in m} if action == "hold" else set()
        return action, parts, waiting

    def _eval_follow_up(self, reg: Regime, f: Facts, rc: RegimeCtx):
        """A follow-up notice (hub.yaml follow_up_events: a revocation) about a record the
        recipient already received. The router sends it only to those recipients; the transfer of
        the record itself was decided when it was sent, and the law asks that recipients learn of
        corrections (GDPR Art. 19, Art. 5(1)(d); POPIA s16(3)…). Only rules that name the event
        type in `when.event_types` apply, and they may only minimise (lint refuses holds and
        blocks): a revocation is never held for a birth date it does not carry, nor blocked."""
        parts = [(r, r.then, ()) for r in reg.rules
                 if f.event_type in (r.raw_when.get("event_types") or ()) and r.in_force(f.at)
                 and r.then.action in _FORWARDS and not r.requires and r.matches(f, rc)]
        return (most_restrictive(o.action for _, o, _ in parts) if parts else "forward"), parts, set()

    # ---- review --------------------------------------------------------------------------
    def lint(self) -> list[str]:
        """Problems a loaded engine can still have: failing worked examples. (Schema and
        cross-reference problems make `load` fail; `lint_directory` reports those too.)"""
        from hub.routing.policy._examples import run_examples
        return [p for p in run_examples(self) if p]

    def review_notes(self, today: dt.date | None = None) -> list[str]:
        """Warnings that do not fail lint: unverified list entries, overdue reviews, low confidence."""
        today = today or dt.date.today()
        out: list[str] = []
        for reg in self.regimes:
            out.extend(reg.unverified_entries)
            for w in reg.watch:
                out.append(f"{reg.source_file}: watch: {w}")
            for r in reg.rules:
                if r.review_by and r.review_by < today:
                    out.append(f"{reg.source_file}: {r.id}: review was due {r.review_by}")
                if r.confidence.get("verification") == "unverified":
                    out.append(f"{reg.source_file}: {r.id}: unverified ({r.confidence['level']} confidence) "
                               "— check against the law text before relying on it")
        return out


_BLOCK = Outcome("block")


def _removable(vocab) -> dict[str, bool]:
    return {c: d.get("removable", True) for c, d in vocab.categories.items()}


def _no_match_rule(reg: Regime) -> Rule:
    return Rule(
        id=f"{reg.id.replace('_', '-')}-NO-MATCHING-RULE", regime=reg.id, kind="fallback", version=1,
        status="active", effective_from=dt.date.min, effective_until=None,
        summary="No rule of this regime permits the transfer, so the hub blocks it (default deny).",
        legal_basis={"instrument": "nqf-hub policy", "provision": "default deny", "source": "mappings/privacy/README.md"},
        basis_code=f"{reg.id}: no matching rule (hub default deny)",
        confidence={"level": "high", "verification": "seen_primary"}, conds=[], requires=(),
        then=_BLOCK, otherwise=None, obligations=[], examples=[], source_file=reg.source_file)


def _no_key_for_record_link(action, parts, keys_present):
    """A rule that pseudonymises the record key (statistics rows) cannot fall back to dropping
    it: without a pseudonym key for the partner that rule blocks."""
    if not keys_present:
        return action, parts
    blocking = [(r, _BLOCK, ()) for r, o, _ in parts if o.action in _FORWARDS
                and any(op == "pseudonymise" and c in keys_present for c, op in o.minimise)]
    if not blocking:
        return action, parts
    return "block", blocking


def _list_qualifiers(reg: Regime, rule: Rule, f: Facts) -> set:
    """Qualifier kinds (dpf-eu, ca-pipeda-covered…) of the list entries a matched rule used."""
    name = (rule.raw_when.get("destination") or {}).get("in_list")
    if not name:
        return set()
    return {e.qualifier for e in reg.lists.get(name, ())
            if e.qualifier and e.dest == f.dest_country and e.covers(f, f.at)}


def _capacities(ev: Evidence) -> frozenset:
    """Capacities in which the evidence's consents were given ('unknown' when not recorded)."""
    if not ev.consent_ids:
        return frozenset()
    by = dict(ev.consent_given_by)
    return frozenset(by.get(c) or "unknown" for c in ev.consent_ids)


def _age(event: dict, at: dt.date) -> int | None:
    learner = event.get("learner")
    b = learner.get("birth_date") if isinstance(learner, dict) else None
    if not isinstance(b, dt.date):
        return None
    years = at.year - b.year - ((at.month, at.day) < (b.month, b.day))
    return None if years < 0 else min(years, 21)


def _band(age: int | None, child_under: int | None) -> str:
    if age is None:
        return "unknown"
    if child_under is None:
        return "adult"
    return "child" if age < child_under else "adult"

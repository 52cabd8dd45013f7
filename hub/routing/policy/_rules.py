"""Rule files → compiled regimes. Called once by `PolicyEngine.load`.

A regime file (mappings/privacy/<regime>.yaml, validated by regime.schema.json) holds one law's
destination lists and rules; hub.yaml (hub.schema.json) holds the category vocabulary, the
purposes and named regions. Compilation turns every `when` block into a list of small
predicates over `Facts`, so that a decision never re-reads YAML.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from hub.errors import MappingFileError
from hub.routing.policy._yamlfiles import FAILED, load_schema, read_yaml, validate

HUB_FILE = "hub.yaml"
REGIME_SCHEMA = "regime.schema.json"
HUB_SCHEMA = "hub.schema.json"


@dataclass(frozen=True)
class ListEntry:
    dest: str
    start: dt.date
    until: dt.date | None
    recipient_legal_nature: frozenset[str] | None
    qualifier: str | None
    exporter_not_in: frozenset[str]
    basis: str

    def covers(self, f, at: dt.date) -> bool:
        if at < self.start or (self.until is not None and at > self.until):
            return False
        if self.recipient_legal_nature is not None and f.recipient_nature not in self.recipient_legal_nature:
            return False
        if self.qualifier is not None and self.qualifier not in f.held_kinds:
            return False
        return f.exporter_country not in self.exporter_not_in


@dataclass(frozen=True)
class Requirement:
    evidence: str                         # consent | instrument | authorisation
    kinds: frozenset[str]
    otherwise: str | None = None          # overrides the rule's `otherwise` action for this one

    def met(self, f, rc=None) -> bool:
        if self.evidence == "consent":
            return f.has_consent and _consent_capacity_ok(f, rc)
        return not self.kinds.isdisjoint(f.held_kinds)


def _consent_capacity_ok(f, rc) -> bool:
    """Where the regime says who consents for a child (`child_consent_by`), a child's consent
    counts only when given in one of those capacities; for a learner of unknown age only a
    consent whose capacity was recorded counts (a legacy consent of unknown capacity could be a
    child's own)."""
    who = rc.child_consent_by if rc is not None else frozenset()
    if not who:
        return True
    if rc.age_band == "child":
        return not who.isdisjoint(f.consent_by)
    if rc.age_band == "unknown":
        return bool(f.consent_by - {"unknown"})
    return True


@dataclass
class Outcome:
    action: str
    minimise: tuple[tuple[str, str], ...] = ()
    purpose_limitation: bool = False


_SKIP = Outcome("skip")


@dataclass
class Rule:
    id: str
    regime: str
    kind: str
    version: int
    status: str
    effective_from: dt.date
    effective_until: dt.date | None
    summary: str
    legal_basis: dict
    basis_code: str
    confidence: dict
    conds: list
    requires: tuple[Requirement, ...]
    then: Outcome
    otherwise: Outcome | None
    obligations: list[str]
    examples: list[dict]
    source_file: str
    raw_when: dict = field(default_factory=dict)
    review_by: dt.date | None = None
    commencement: dict | None = None

    def in_force(self, at: dt.date) -> bool:
        return self.status == "active" and self.effective_from <= at and (
            self.effective_until is None or at <= self.effective_until)

    def matches(self, f, rc) -> bool:
        for c in self.conds:
            if not c(f, rc):
                return False
        return True

    def unmet(self, f, rc=None):
        """None when every requirement is met; else (outcome, missing evidence kinds). The
        outcome is 'skip' when any unmet requirement says skip (the rule is not available)."""
        miss = [r for r in self.requires if not r.met(f, rc)]
        if not miss:
            return None
        acts = {r.otherwise or self.otherwise.action for r in miss}
        if "skip" in acts:
            return _SKIP, ()
        if acts == {self.otherwise.action}:
            return self.otherwise, tuple(r.evidence for r in miss)
        from hub.routing.policy._model import most_restrictive
        return Outcome(most_restrictive(acts)), tuple(r.evidence for r in miss)


@dataclass
class Regime:
    id: str
    name: str
    jurisdictions: frozenset[str]             # {'*'} for the hub policy
    requires_route: bool
    child_under: int | None
    special: frozenset[str]
    lists: dict[str, list[ListEntry]]
    unverified_entries: list[str]
    routes: list[Rule]
    restrictions: list[Rule]
    fallbacks: list[Rule]
    law: dict
    source_file: str
    notes: str = ""
    watch: list[str] = field(default_factory=list)
    exporter_lists: dict[str, frozenset[str]] = field(default_factory=dict)
    child_consent_by: frozenset[str] = frozenset()

    @property
    def always(self) -> bool:
        return "*" in self.jurisdictions

    @property
    def rules(self) -> list[Rule]:
        return self.routes + self.restrictions + self.fallbacks


@dataclass
class HubVocabulary:
    categories: dict[str, dict]
    purposes: dict[str, frozenset[str]]
    purpose_text: dict[str, dict]
    record_links: list[tuple[str, str, str]]
    regions: dict[str, list[str]]
    follow_up_events: frozenset[str] = frozenset()

    @property
    def non_removable(self) -> frozenset[str]:
        return frozenset(c for c, d in self.categories.items() if d.get("removable") is False)

    @property
    def pseudonymisable(self) -> frozenset[str]:
        return frozenset(c for c, d in self.categories.items() if d.get("pseudonymisable"))


def _date(s) -> dt.date | None:
    return None if s is None else dt.date.fromisoformat(str(s))


def _schema_path(rules_dir: Path, name: str) -> Path:
    local = rules_dir / name
    if local.exists():
        return local
    from hub.config import PROJECT_ROOT
    return PROJECT_ROOT / "mappings" / "privacy" / name


def load_rules(rules_dir: Path) -> tuple[HubVocabulary, list[Regime], list[str]]:
    """Read and compile everything; returns (vocabulary, regimes, problems). Never raises for
    content problems: the caller decides (load raises MappingFileError, lint reports)."""
    rules_dir = Path(rules_dir)
    problems: list[str] = []
    if not rules_dir.is_dir():
        raise MappingFileError(f"privacy rules directory not found: {rules_dir}")
    hub_validator = load_schema(_schema_path(rules_dir, HUB_SCHEMA))
    reg_validator = load_schema(_schema_path(rules_dir, REGIME_SCHEMA))

    vocab = HubVocabulary({}, {}, {}, [], {})
    hub_path = rules_dir / HUB_FILE
    if not hub_path.exists():
        problems.append(f"{HUB_FILE}: (root): missing (categories, purposes, regions)")
    else:
        doc = read_yaml(hub_path, problems)
        if doc is not FAILED and validate(hub_validator, doc, HUB_FILE, problems):
            vocab = HubVocabulary(
                categories=doc["categories"],
                purposes={p: frozenset(d["needs"]) for p, d in doc["purposes"].items()},
                purpose_text=doc["purposes"],
                record_links=[(x["event_type"], x["path"], x["category"]) for x in doc.get("record_links", [])],
                regions=doc["regions"], follow_up_events=frozenset(doc.get("follow_up_events") or ()))
            for p, d in doc["purposes"].items():
                for c in d["needs"]:
                    if c not in vocab.categories:
                        problems.append(f"{HUB_FILE}: purposes/{p}/needs: unknown category {c}")

    regimes: list[Regime] = []
    seen_rules: dict[str, str] = {}
    seen_regimes: dict[str, str] = {}
    for path in sorted(rules_dir.glob("*.yaml")):
        if path.name == HUB_FILE or path.name.startswith("."):
            continue
        doc = read_yaml(path, problems)
        if doc is FAILED or not validate(reg_validator, doc, path.name, problems):
            continue
        reg = _compile_regime(doc, path.name, vocab, problems)
        if reg.id in seen_regimes:
            problems.append(f"{path.name}: regime: {reg.id} is also defined in {seen_regimes[reg.id]}")
            continue
        seen_regimes[reg.id] = path.name
        for r in reg.rules:
            if r.id in seen_rules:
                problems.append(f"{path.name}: rules/{r.id}: id already used in {seen_rules[r.id]}")
            seen_rules[r.id] = path.name
        regimes.append(reg)
    # a jurisdiction may belong to one regime only (EU member states → EU_GDPR, …)
    owner: dict[str, str] = {}
    for reg in regimes:
        for j in reg.jurisdictions - {"*"}:
            if j in owner:
                problems.append(f"{reg.source_file}: jurisdictions: {j} also belongs to {owner[j]}")
            owner[j] = reg.id
    return vocab, regimes, problems


def _expand(codes, vocab: HubVocabulary, where: str, problems: list[str]) -> list[str]:
    out: list[str] = []
    for c in codes:
        if c.startswith("@"):
            region = vocab.regions.get(c[1:])
            if region is None:
                problems.append(f"{where}: unknown region {c} (define it in hub.yaml regions)")
            else:
                out.extend(region)
        else:
            out.append(c)
    return out


def _compile_regime(doc: dict, fname: str, vocab: HubVocabulary, problems: list[str]) -> Regime:
    rid = doc["regime"]
    lists: dict[str, list[ListEntry]] = {}
    unverified: list[str] = []
    for lname, ldoc in (doc.get("lists") or {}).items():
        entries = []
        for i, e in enumerate(ldoc["entries"]):
            where = f"{fname}: lists/{lname}/entries/{i}"
            if e["status"] != "active":
                unverified.append(f"{fname}: list {lname}: {e['dest']} is '{e['status']}' and not used "
                                  f"({e.get('note') or e['basis']})")
                continue
            for dest in _expand([e["dest"]], vocab, where, problems):
                entries.append(ListEntry(
                    dest=dest, start=_date(e["from"]), until=_date(e.get("until")),
                    recipient_legal_nature=frozenset(e["recipient_legal_nature"]) if e.get("recipient_legal_nature") else None,
                    qualifier=e.get("qualifier"), exporter_not_in=frozenset(e.get("exporter_not_in") or ()),
                    basis=e["basis"]))
        lists[lname] = entries
    reg = Regime(
        id=rid, name=doc["name"],
        jurisdictions=frozenset(_expand(doc["jurisdictions"], vocab, f"{fname}: jurisdictions", problems)),
        requires_route=doc.get("requires_route", True), child_under=doc.get("child_under"),
        special=frozenset(doc.get("special_categories") or ()), lists=lists,
        unverified_entries=unverified, routes=[], restrictions=[], fallbacks=[], law=doc["law"],
        source_file=fname, notes=doc.get("notes", ""), watch=list(doc.get("watch") or []),
        exporter_lists={n: frozenset(e["id"] for e in d["entries"])
                        for n, d in (doc.get("exporter_lists") or {}).items()},
        child_consent_by=frozenset(doc.get("child_consent_by") or ()))
    for c in reg.special:
        if vocab.categories and c not in vocab.categories:
            problems.append(f"{fname}: special_categories: unknown category {c}")
    for i, r in enumerate(doc["rules"]):
        rule = _compile_rule(r, reg, fname, f"{fname}: rules/{i} ({r['id']})", vocab, problems)
        {"route": reg.routes, "restriction": reg.restrictions, "fallback": reg.fallbacks}[rule.kind].append(rule)
    return reg


def _outcome(d: dict | None, where: str, vocab: HubVocabulary, problems: list[str]) -> Outcome | None:
    if d is None:
        return None
    steps = []
    for m in d.get("minimise") or ():
        cats = ([c for c in vocab.categories if c.startswith("special.")]
                if m["category"] == "special.*" else [m["category"]])
        for c in cats:
            if vocab.categories and c not in vocab.categories:
                problems.append(f"{where}: minimise: unknown category {c}")
            if m["op"] == "pseudonymise" and vocab.categories and c not in vocab.pseudonymisable:
                problems.append(f"{where}: minimise: category {c} cannot be pseudonymised "
                                "(hub.yaml: pseudonymisable is not true)")
            if c in vocab.non_removable and m["op"] == "drop":
                problems.append(f"{where}: minimise: category {c} is the record key and cannot be removed")
            steps.append((c, m["op"]))
    if d["action"] == "forward" and steps:
        problems.append(f"{where}: action forward with minimise steps; use forward_minimised")
    if d["action"] == "forward_minimised" and not steps and not d.get("purpose_limitation"):
        problems.append(f"{where}: action forward_minimised needs minimise steps")
    return Outcome(d["action"], tuple(steps), bool(d.get("purpose_limitation")))


def _compile_rule(r: dict, reg: Regime, fname: str, where: str, vocab: HubVocabulary,
                  problems: list[str]) -> Rule:
    from hub.routing.policy._conditions import compile_when

    lb = r["legal_basis"]
    code = lb.get("code") or f"{lb['instrument']} {lb['provision']}"
    conds = compile_when(r.get("when") or {}, reg, where, vocab, problems)
    requires = tuple(Requirement(q["evidence"], frozenset(q.get("kinds") or ()), q.get("otherwise"))
                     for q in r.get("requires") or ())
    rule = Rule(
        id=r["id"], regime=reg.id, kind=r["kind"], version=r["version"], status=r["status"],
        effective_from=_date(r["effective_from"]), effective_until=_date(r.get("effective_until")),
        summary=" ".join(r["summary"].split()), legal_basis=lb, basis_code=code,
        confidence=r["confidence"], conds=conds, requires=requires,
        then=_outcome(r["then"], where + ": then", vocab, problems),
        otherwise=_outcome(r.get("otherwise"), where + ": otherwise", vocab, problems),
        obligations=list(r.get("obligations") or ()), examples=list(r.get("examples") or ()),
        source_file=fname, raw_when=r.get("when") or {}, review_by=_date(r.get("review_by")),
        commencement=r.get("commencement"))
    if rule.kind == "route" and rule.then.action in ("hold", "block") and not requires:
        problems.append(f"{where}: a route that always holds or blocks should be a restriction or fallback")
    if rule.effective_until and rule.effective_until < rule.effective_from:
        problems.append(f"{where}: effective_until is before effective_from")
    com = r.get("commencement")
    if com and rule.effective_from < _date(com["date"]):
        problems.append(f"{where}: effective_from {rule.effective_from} is before the provision's "
                        f"commencement {com['date']} ({com['by']})")
    follow = vocab.follow_up_events & set((r.get("when") or {}).get("event_types") or ())
    if follow and (rule.then.action in ("hold", "block") or rule.requires):
        problems.append(f"{where}: {sorted(follow)} are follow-up notices (hub.yaml follow_up_events) and "
                        "always reach the recipients of the record: a rule for them may only minimise")
    if reg.always and rule.kind == "route":
        problems.append(f"{where}: the hub policy (jurisdictions ['*']) has restrictions only")
    return rule

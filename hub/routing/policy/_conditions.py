"""`when:` blocks → predicates `(facts, regime_ctx) -> bool`, compiled once at load.

Every key of a `when` block must hold (AND); list values match any element (OR). Category
conditions look at the categories that would be transferred after purpose limitation, so a
rule about special categories does not fire when the purpose removes them anyway.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything a rule may look at for one event × partner × purpose × date (hashable)."""

    event_type: str
    exporter_country: str
    exporter_nature: str
    learner_country: str
    dest_country: str
    recipient_nature: str
    present: frozenset
    transferred: frozenset
    age: int | None
    purpose: str | None
    purpose_known: bool
    purpose_declared: bool
    held_kinds: frozenset
    has_consent: bool
    at: object                      # datetime.date
    other_regimes: bool
    exporter_regime: bool = True    # some regime governs the exporter's jurisdiction
    exporter_id: str = ""           # header.source.authority
    dest_jurisdiction: str = ""     # the partner's full code (e.g. CA-QC)
    consent_by: frozenset = frozenset()   # capacities of the recorded consents (learner, parent_guardian, unknown)

    @property
    def personal_data(self) -> bool:
        return bool(self.present)


@dataclass(frozen=True, slots=True)
class RegimeCtx:
    roles: frozenset                # {'exporter'}, {'learner'} or both; empty for the hub policy
    age_band: str                   # child | adult | unknown
    special: frozenset
    jurisdictions: frozenset
    child_consent_by: frozenset = frozenset()   # who may consent for a child under this regime


def compile_when(when: dict, reg, where: str, vocab, problems: list[str]) -> list:
    preds = []
    add = preds.append
    if "personal_data" in when:
        want = when["personal_data"]
        add(lambda f, rc: f.personal_data is want)
    if "role" in when:
        roles = frozenset(when["role"])
        add(lambda f, rc: not roles.isdisjoint(rc.roles))
    if "event_types" in when:
        ets = frozenset(when["event_types"])
        add(lambda f, rc: f.event_type in ets)
    if "exporter_legal_nature" in when:
        s = frozenset(when["exporter_legal_nature"])
        add(lambda f, rc: f.exporter_nature in s)
    if "recipient_legal_nature" in when:
        s2 = frozenset(when["recipient_legal_nature"])
        add(lambda f, rc: f.recipient_nature in s2)
    if "age_band" in when:
        bands = frozenset(when["age_band"])
        add(lambda f, rc: rc.age_band in bands)
    if "age_below" in when:
        limit = when["age_below"]
        add(lambda f, rc: f.age is not None and f.age < limit)
    if "exporter_regime" in when:
        er = when["exporter_regime"]
        add(lambda f, rc: f.exporter_regime is er)
    exp = when.get("exporter") or {}
    for key, positive in (("in_list", True), ("not_in_list", False)):
        if key in exp:
            name = exp[key]
            ids = reg.exporter_lists.get(name)
            if ids is None:
                problems.append(f"{where}: when/exporter/{key}: regime {reg.id} has no exporter list {name}")
                continue
            add(lambda f, rc, ids=ids, positive=positive: (f.exporter_id in ids) is positive)
    cats = when.get("categories") or {}
    for key in ("any_of", "none_of"):
        for c in cats.get(key, ()):
            if vocab.categories and c not in vocab.categories:
                problems.append(f"{where}: when/categories/{key}: unknown category {c}")
    if "any_of" in cats:
        anyc = frozenset(cats["any_of"])
        add(lambda f, rc: not anyc.isdisjoint(f.transferred))
    if "none_of" in cats:
        nonec = frozenset(cats["none_of"])
        add(lambda f, rc: nonec.isdisjoint(f.transferred))
    if "any_special" in cats:
        want_special = cats["any_special"]
        add(lambda f, rc: (not rc.special.isdisjoint(f.transferred)) is want_special)
    dest = when.get("destination") or {}
    if "within_regime" in dest:
        inside = dest["within_regime"]
        add(lambda f, rc: (f.dest_country in rc.jurisdictions or f.dest_jurisdiction in rc.jurisdictions) is inside)
    for key, positive in (("in_list", True), ("not_in_list", False)):
        if key in dest:
            name = dest[key]
            if name not in reg.lists:
                problems.append(f"{where}: when/destination/{key}: regime {reg.id} has no list {name}")
                continue
            index: dict[str, list] = {}
            for e in reg.lists[name]:
                index.setdefault(e.dest, []).append(e)
            add(_list_pred(index, positive))
    if "jurisdictions" in dest:
        js = frozenset(dest["jurisdictions"])
        add(lambda f, rc: f.dest_country in js)
    if "not_jurisdictions" in dest:
        njs = frozenset(dest["not_jurisdictions"])
        add(lambda f, rc: f.dest_country not in njs)
    if "cross_border" in when:
        cb = when["cross_border"]
        add(lambda f, rc: (f.dest_country != f.exporter_country) is cb)
    if "purposes" in when:
        ps = frozenset(when["purposes"])
        add(lambda f, rc: f.purpose in ps)
    if "not_purposes" in when:
        nps = frozenset(when["not_purposes"])
        add(lambda f, rc: f.purpose not in nps)
    for p in list(when.get("purposes", ())) + list(when.get("not_purposes", ())):
        if vocab.purposes and p not in vocab.purposes:
            problems.append(f"{where}: when: unknown purpose {p} (define it in hub.yaml)")
    if "purpose_known" in when:
        pk = when["purpose_known"]
        add(lambda f, rc: f.purpose_known is pk)
    if "purpose_declared" in when:
        pd = when["purpose_declared"]
        add(lambda f, rc: f.purpose_declared is pd)
    if "other_regimes" in when:
        orr = when["other_regimes"]
        add(lambda f, rc: f.other_regimes is orr)
    return preds


def _list_pred(index: dict, positive: bool):
    def pred(f, rc):
        hit = False
        for e in index.get(f.dest_country, ()):
            if e.covers(f, f.at):
                hit = True
                break
        return hit is positive
    return pred

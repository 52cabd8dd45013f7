"""Value types the engine exchanges with the router: Partner, Evidence, Decision.

All are plain data. `Decision.event` is a new dict the engine built (the input event is never
mutated); for `forward` it is the input event itself (same object, unchanged), so a caller that
wants to change it must copy it first.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ACTIONS = ("forward", "forward_minimised", "hold", "block")
SEVERITY = {a: i for i, a in enumerate(ACTIONS)}          # most restrictive has the highest rank
DEFAULT_EVENT_TYPES = ("CredentialIssued", "CredentialRevoked", "RecognitionDecided")


def most_restrictive(actions) -> str:
    """block > hold > forward_minimised > forward; an empty input is 'block' (no rule matched)."""
    best = -1
    for a in actions:
        s = SEVERITY[a]
        if s > best:
            best = s
    return ACTIONS[best] if best >= 0 else "block"


@dataclass(frozen=True)
class Partner:
    """One entry of the partner registry (mappings/partners/<id>.yaml).

    `instruments` are ids of signed instruments, certifications and authorisations the hub holds
    for the partner, each written '<kind>:<reference>' (e.g. 'eu-scc-2021:de-uni-2026-01');
    rules name the kinds they accept. `subscribe` may hold `event_types` (default
    DEFAULT_EVENT_TYPES), `source_jurisdictions` (default: all) and
    `all_recognition_decisions` (default false: a RecognitionDecided goes only to the partner
    that requested it).
    """

    id: str
    name: str
    jurisdiction: str
    legal_nature: str
    purposes: tuple[str, ...]
    instruments: tuple[str, ...] = ()
    delivery: dict = field(default_factory=dict)
    subscribe: dict = field(default_factory=dict)
    require_verified: bool = False     # hub.routing.trust_gate: verified CredentialIssued only

    @property
    def country(self) -> str:
        return self.jurisdiction.split("-", 1)[0]


@dataclass(frozen=True)
class Evidence:
    """What the router knows beyond the partner file for one event × partner.

    `consent_ids`: consents recorded for this learner that cover this partner and purpose (the
    router checks scope before passing them). `instrument_ids` / `authorisation_ids`: typed ids
    '<kind>:<reference>' like the partner's instruments. The engine also counts the partner's
    own `instruments`, so the router need not repeat them. Every instrument and authorisation
    id counts only when the instrument register (mappings/privacy/instruments/) says it covers
    this exporter, partner, purpose, categories and date. `consent_given_by` says in which
    capacity a consent was given ('learner', 'parent_guardian', 'legal_representative'); a
    consent without one is of unknown capacity and does not count for a child where the law
    says who consents for children (regime `child_consent_by`).
    """

    consent_ids: frozenset[str] = frozenset()
    instrument_ids: frozenset[str] = frozenset()
    authorisation_ids: frozenset[str] = frozenset()
    consent_given_by: tuple[tuple[str, str], ...] = ()   # (consent id, capacity) where recorded


NO_EVIDENCE = Evidence()


@dataclass
class Decision:
    """The outcome for one event × partner.

    action             forward | forward_minimised | hold | block
    rules              ids of the rules that decided it (route chosen per regime, restrictions
                       that matched, or the rule that held/blocked)
    legal_basis        the provisions those rules cite ('GDPR Art. 45(1)', …)
    regimes            every regime evaluated ('EU_GDPR', 'ZA_POPIA', 'HUB_POLICY', …)
    removed_categories categories the partner does not receive
    categories_present categories with a value in the input event
    waiting_for        evidence kinds a hold waits for ('consent', 'instrument', 'authorisation')
    relied_on          the instruments, authorisations and consents a forward relied on
    event              what the partner receives (None unless forward/forward_minimised)
    """

    action: str
    rules: list[str]
    legal_basis: list[str]
    regimes: list[str]
    removed_categories: list[str]
    categories_present: list[str]
    waiting_for: list[str]
    event: dict | None
    purpose: str | None = None
    pseudonymised_categories: list[str] = field(default_factory=list)
    rule_regime: dict[str, str] = field(default_factory=dict)     # rule id -> regime id
    regime_outcomes: dict[str, dict] = field(default_factory=dict)  # regime -> {action, rules}
    notes: list[str] = field(default_factory=list)
    relied_on: list[str] = field(default_factory=list)   # 'instrument:<id>', 'authorisation:<id>', 'consent:<id>'

    def explain_json(self) -> dict:
        """The `policy explain --json` object: the spine's keys first, then details."""
        from hub.jsonview import to_jsonable
        return {
            "action": self.action,
            "rules": list(self.rules),
            "legal_basis": list(self.legal_basis),
            "removed_categories": list(self.removed_categories),
            "event": to_jsonable(self.event) if self.event is not None else None,
            "purpose": self.purpose,
            "regimes": list(self.regimes),
            "categories_present": list(self.categories_present),
            "pseudonymised_categories": list(self.pseudonymised_categories),
            "waiting_for": list(self.waiting_for),
            "relied_on": list(self.relied_on),
            "regime_outcomes": {k: dict(v) for k, v in self.regime_outcomes.items()},
            "notes": list(self.notes),
        }

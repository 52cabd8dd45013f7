"""Prometheus metrics of the routing stage. Labels are ids only (regime, rule, partner, action):
never personal data.

The router calls `count_decision(partner_id, decision)` once per event × partner decision.
"""
from __future__ import annotations

from prometheus_client import Counter

POLICY_DECISIONS = Counter(
    "nqfhub_policy_decisions_total",
    "Privacy routing decisions, one increment per rule that decided (rule='none' if no rule).",
    ["regime", "rule", "partner", "action"],
)


def count_decision(partner_id: str, decision) -> None:
    """Increment the decision counter for every rule of the decision (ids only)."""
    if not decision.rules:
        POLICY_DECISIONS.labels("none", "none", partner_id, decision.action).inc()
        return
    regime_of = decision.rule_regime
    for rule in decision.rules:
        POLICY_DECISIONS.labels(regime_of.get(rule, "unknown"), rule, partner_id, decision.action).inc()


HELD_OUTCOMES = Counter(
    "nqfhub_held_outcomes_total",
    "What the router did with a release request: release | expire | erasure_request | "
    "still_hold | still_block | duplicate (a hold already closed).",
    ["partner", "outcome"],
)


def count_held_outcome(partner_id: str, outcome: str) -> None:
    HELD_OUTCOMES.labels(partner_id, outcome).inc()


__all__ = ["HELD_OUTCOMES", "POLICY_DECISIONS", "count_decision", "count_held_outcome"]

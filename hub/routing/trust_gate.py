"""Per-partner "require verified" gate (issue 13 item 3), applied after the privacy decision.

A partner whose registry entry says `require_verified: true` receives a CredentialIssued only
when its `header.verification.status` is `verified` (hub.verify: signature checked with a key
an authority in the trust registry vouches for, not revoked). Anything else (unverified,
invalid, or no verification record at all) turns the privacy decision into `block`, with rule
`trust.require-verified` and the header's reason in the audit record. Other event types pass
unchanged (a CredentialRevoked notice must still reach the partners that hold the credential).

The router calls `gate(decision, event, partner)` for every decision, right after the policy
engine (hub.routing.router); pure, cheap (a dict read), never raises for a well-formed decision.
"""
from __future__ import annotations

from dataclasses import replace

RULE_ID = "trust.require-verified"
REGIME = "HUB_TRUST"
GATED_EVENT_TYPES = frozenset({"CredentialIssued"})


def gate(decision, event: dict, partner):
    """`decision`, or a `block` copy of it when the partner requires verified credentials and
    this credential is not verified."""
    if not getattr(partner, "require_verified", False) or decision.action == "block":
        return decision
    h = event.get("header") or {}
    if h.get("event_type") not in GATED_EVENT_TYPES:
        return decision
    v = h.get("verification") or {}
    if v.get("status") == "verified":
        return decision
    status = v.get("status") or "not checked"
    return replace(decision, action="block", rules=[*decision.rules, RULE_ID],
                   legal_basis=[*decision.legal_basis, "partner agreement: verified credentials only"],
                   regimes=[*decision.regimes, REGIME], event=None, waiting_for=[],
                   rule_regime={**decision.rule_regime, RULE_ID: REGIME},
                   notes=[*decision.notes, f"credential {status}: partner {partner.id} requires verified "
                                           "credentials"])

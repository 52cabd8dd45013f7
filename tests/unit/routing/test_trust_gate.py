"""Issue 13 item 3: a partner with require_verified receives only verified credentials; the
router blocks the rest with rule trust.require-verified in the audit record."""
from __future__ import annotations

import dataclasses

import pytest

from hub.config import load_settings
from hub.routing.router import RouterCore
from hub.routing.trust_gate import RULE_ID, gate
from hub.serde import default_serde

VERIFIED = {"status": "verified", "reason": "ok", "proof": "vc-jwt/EdDSA", "issuer": "did:web:x.test",
            "key_id": "did:web:x.test#k", "vouched_by": "test-authority", "data_model": "VC 2.0"}


@pytest.fixture
def forwarded(engine, partners, load_event):
    """(event, partner) pairs the privacy rules forward, from the routing fixtures."""
    from hub.routing.router import _partner_evidence
    from hub.routing.policy import subscribed
    out = []
    for name in ("de-credential.json", "za-credential.json", "in-credential.json"):
        ev = load_event(name)
        for p in partners.values():
            if subscribed(p, ev) and engine.decide(ev, p, evidence=_partner_evidence(p, ev)).action.startswith("forward"):
                out.append((ev, p))
    assert out, "no forwarded pair in the routing fixtures"
    return out


def test_the_partner_schema_and_loader_read_require_verified(partners):
    assert all(p.require_verified is False for p in partners.values())


@pytest.mark.parametrize("verification, action", [
    (None, "block"), ({**VERIFIED, "status": "unverified"}, "block"),
    ({**VERIFIED, "status": "invalid"}, "block"), (VERIFIED, "forward"),
])
def test_router_applies_the_gate(engine, forwarded, tmp_path, verification, action):
    ev, partner = forwarded[0]
    strict = dataclasses.replace(partner, require_verified=True)
    ev = {**ev, "header": {**ev["header"], "verification": verification}}
    serde = default_serde()
    core = RouterCore(load_settings({"NQF_HUB_HOME": str(tmp_path)}), serde, engine, {strict.id: strict})
    outs = core.route(serde.encode(ev), b"k")
    audits = [serde.decode(o.value)[1] for o in outs if o.topic.endswith(".audit")]
    (audit,) = audits
    if action == "block":
        assert audit["action"] == "block" and RULE_ID in audit["rule_ids"]
        assert not [o for o in outs if ".partner." in o.topic]
    else:
        assert audit["action"].startswith("forward") and RULE_ID not in audit["rule_ids"]
        assert [o for o in outs if ".partner." in o.topic]


def test_without_the_flag_nothing_changes(forwarded, engine):
    from hub.routing.router import _partner_evidence
    ev, partner = forwarded[0]
    d = engine.decide(ev, partner, evidence=_partner_evidence(partner, ev))
    assert gate(d, ev, partner) is d


def test_revocation_notices_are_not_gated(forwarded, engine):
    from hub.routing.router import _partner_evidence
    ev, partner = forwarded[0]
    strict = dataclasses.replace(partner, require_verified=True)
    d = engine.decide(ev, partner, evidence=_partner_evidence(partner, ev))
    revoked = {**ev, "header": {**ev["header"], "event_type": "CredentialRevoked"}}
    assert gate(d, revoked, strict) is d

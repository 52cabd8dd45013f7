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


def test_a_held_unverified_credential_is_not_released_to_a_partner_that_now_requires_verified(tmp_path):
    """The flag may be switched on while a credential waits for consent: release re-decides
    through the same gate, so the consent alone does not get it through."""
    import datetime as dt
    import json
    from pathlib import Path

    import yaml

    from hub.jsonview import event_from_json
    from hub.routing.router import build_core

    root = Path(__file__).resolve().parents[3]
    pdir = tmp_path / "partners"
    pdir.mkdir()
    (pdir / "de-uni.yaml").write_text(yaml.safe_dump({
        "id": "de-uni", "name": "de-uni", "jurisdiction": "DE", "legal_nature": "public_body",
        "purposes": ["recognition"], "instruments": [], "delivery": {"type": "topic"}}))
    settings = load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_TOPIC_PREFIX": "u"})
    core = build_core(settings, partners_dir=pdir, learner_secret=bytes(range(32)))
    za = event_from_json(json.loads((root / "tests/data/privacy/za-credential.json").read_text()))
    held = [o for o in core.route(core.serde.encode(za), b"k", ("u.ingress", 0, 0), {}) if o.topic == "u.held"]
    assert held, "the fixture must be held for consent first"
    core.partners["de-uni"] = dataclasses.replace(core.partners["de-uni"], require_verified=True)
    from hub.routing.release import request_release
    from tests.fakes import FakeProducer
    _, rec = core.serde.decode(held[0].value)
    p = FakeProducer()
    request_release(core.settings, rec, ["consent:c-1"], "operator", "ops", key=b"k", producer=p, serde=core.serde)
    outs = core.release(p.sent[0][2], b"k", ("u.release", 0, 0), {}, {})
    assert not [o for o in outs if o.topic == "u.partner.de-uni"]
    assert dt  # noqa


def test_policy_explain_shows_the_gate(forwarded, tmp_path):
    """`nqf-hub policy explain` gives the decision the router takes, gate included."""
    import json
    import shutil

    import yaml
    from click.testing import CliRunner

    from hub.cli import cli
    from hub.jsonview import to_jsonable
    from hub.routing.policy._partners import PARTNER_SCHEMA
    ev, partner = forwarded[0]
    pdir = tmp_path / "partners"
    shutil.copytree(PARTNER_SCHEMA.parent, pdir)
    doc = yaml.safe_load((pdir / f"{partner.id}.yaml").read_text())
    (pdir / f"{partner.id}.yaml").write_text(yaml.safe_dump({**doc, "require_verified": True}))
    f = tmp_path / "ev.json"
    f.write_text(json.dumps(to_jsonable(ev)))
    r = CliRunner().invoke(cli, ["policy", "explain", "--event", str(f), "--partner", partner.id,
                                 "--partners-dir", str(pdir), "--json"], env={"NQF_HUB_HOME": str(tmp_path)})
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["action"] == "block" and RULE_ID in out["rules"]

"""Issue 10 item 8: one key per purpose (audit seals vs recognition decisions), retired and revoked
states in the JWKS, verification honours them; legacy key stores keep working."""
from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from click.testing import CliRunner

from hub.errors import ConfigError
from hub.recognition import RecognitionState, decide
from hub.recognition.signing import KeyStore, sign, verify
from hub.routing.audit_chain import ChainWriter, Item, public_keys_of, verify_partition

from .conftest import load_request

UTC = dt.timezone.utc


@pytest.fixture()
def decision(events, levels):
    req = load_request("ie-hons-to-germany")
    return decide(req, RecognitionState.from_events(events), levels, req["header"]["occurred_at"])


def _seal_chain(key):
    w = ChainWriter()
    rec = {"audit_id": "a-1", "event_id": "e-1", "event_type": "CredentialIssued", "trace_id": "t",
           "partner_id": "p", "action": "forward", "rule_ids": [], "legal_basis": [], "regimes": [],
           "categories_present": [], "removed_categories": [], "purpose": None,
           "decided_at": dt.datetime(2026, 1, 1, tzinfo=UTC), "prev_hash": None, "hash": None}
    items = [Item(0, "audit", w.link(rec, 0))]
    items.append(Item(1, "seal", w.seal(0, key, dt.datetime(2026, 1, 1, tzinfo=UTC))))
    return items


def test_generate_makes_one_key_per_purpose(tmp_path):
    store = KeyStore(tmp_path)
    store.generate()
    audit, rec = store.signing_key(purpose="audit"), store.signing_key(purpose="recognition")
    assert audit.key_id != rec.key_id
    by_kid = {k["kid"]: k for k in store.jwks()["keys"]}
    assert by_kid[audit.key_id]["nqfhub_purpose"] == "audit"
    assert by_kid[rec.key_id]["nqfhub_purpose"] == "recognition"
    assert {k["nqfhub_status"] for k in by_kid.values()} == {"active"}


def test_a_decision_signed_with_the_audit_key_does_not_verify(tmp_path, decision):
    store = KeyStore(tmp_path)
    store.generate()
    wrong = sign(decision, store.signing_key(purpose="audit"))
    res = verify(wrong, store.jwks())
    assert not res.valid and "audit" in res.reason
    assert verify(sign(decision, store.signing_key(purpose="recognition")), store.jwks()).valid


def test_a_seal_signed_with_the_recognition_key_does_not_verify(tmp_path):
    store = KeyStore(tmp_path)
    store.generate()
    items = _seal_chain(store.signing_key(purpose="recognition"))
    rep = verify_partition(0, items, public_keys_of(store.jwks()))
    assert any(p.kind == "seal" for p in rep.problems)
    assert verify_partition(0, _seal_chain(store.signing_key(purpose="audit")), public_keys_of(store.jwks())).ok


def test_retired_keys_still_verify_old_decisions_and_seals_but_never_sign(tmp_path, decision):
    store = KeyStore(tmp_path)
    store.generate()
    old_rec, old_audit = store.signing_key(purpose="recognition"), store.signing_key(purpose="audit")
    signed, seals = sign(decision, old_rec), _seal_chain(old_audit)
    store.generate(purpose="recognition")
    store.generate(purpose="audit")
    store.retire(old_rec.key_id)
    store.retire(old_audit.key_id)
    jwks = store.jwks()
    states = {k["kid"]: k["nqfhub_status"] for k in jwks["keys"]}
    assert states[old_rec.key_id] == states[old_audit.key_id] == "retired"
    res = verify(signed, jwks)
    assert res.valid and "retired" in res.reason
    assert verify_partition(0, seals, public_keys_of(jwks)).ok
    with pytest.raises(ConfigError, match="retired"):
        store.signing_key(old_rec.key_id)


def test_revoked_keys_fail_verification_and_lose_their_private_key(tmp_path, decision):
    store = KeyStore(tmp_path)
    store.generate()
    old_rec, old_audit = store.signing_key(purpose="recognition"), store.signing_key(purpose="audit")
    signed, seals = sign(decision, old_rec), _seal_chain(old_audit)
    store.generate(purpose="recognition")
    store.generate(purpose="audit")
    store.revoke(old_rec.key_id)
    store.revoke(old_audit.key_id)
    jwks = store.jwks()
    assert {k["kid"]: k["nqfhub_status"] for k in jwks["keys"]}[old_rec.key_id] == "revoked"
    res = verify(signed, jwks)
    assert not res.valid and "revoked" in res.reason
    assert any(p.kind == "seal" for p in verify_partition(0, seals, public_keys_of(jwks)).problems)
    assert not (store.dir / f"{old_rec.key_id}.pem").exists()
    with pytest.raises(ConfigError):
        store.signing_key(old_rec.key_id)


def test_the_active_key_of_a_purpose_cannot_be_retired_before_a_successor_exists(tmp_path):
    store = KeyStore(tmp_path)
    store.generate()
    with pytest.raises(ConfigError, match="generate"):
        store.retire(store.signing_key(purpose="audit").key_id)


def test_revoking_the_active_key_leaves_the_purpose_without_a_signer(tmp_path):
    store = KeyStore(tmp_path)
    store.generate()
    store.revoke(store.signing_key(purpose="audit").key_id)
    with pytest.raises(ConfigError, match="keys generate --purpose audit"):
        store.signing_key(purpose="audit")
    assert store.signing_key(purpose="recognition")


def test_a_legacy_store_keeps_signing_and_verifying(tmp_path, decision):
    """A home made before purposes existed: one key, an `active` file, no state. It still signs
    both purposes until the operator generates purpose keys, and its old signatures verify."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from hub.recognition.signing import public_jwk
    d = tmp_path / "keys"
    d.mkdir(mode=0o700)
    key = Ed25519PrivateKey.generate()
    jwk = public_jwk(key.public_key())
    kid = jwk["kid"]
    (d / f"{kid}.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()))
    os.chmod(d / f"{kid}.pem", 0o600)
    (d / f"{kid}.jwk.json").write_text(json.dumps({k: jwk[k] for k in ("kty", "crv", "x", "kid", "alg", "use")}))
    (d / "active").write_text(kid + "\n")
    store = KeyStore(tmp_path)
    signed = sign(decision, store.signing_key(purpose="recognition"))
    assert store.signing_key(purpose="audit").key_id == kid
    assert verify(signed, store.jwks()).valid
    assert verify_partition(0, _seal_chain(store.signing_key(purpose="audit")), public_keys_of(store.jwks())).ok
    store.generate(purpose="audit")                      # deliberate migration, one purpose at a time
    assert store.signing_key(purpose="audit").key_id != kid
    assert store.signing_key(purpose="recognition").key_id == kid
    assert verify(signed, store.jwks()).valid


def test_keys_cli_generate_purpose_list_retire_revoke_export(tmp_path):
    from hub.cli import main_group
    env = {"NQF_HUB_HOME": str(tmp_path)}
    run = lambda *a: CliRunner().invoke(main_group, ["keys", *a], env=env)   # noqa: E731
    r = run("generate")
    assert r.exit_code == 0 and "audit" in r.output and "recognition" in r.output
    r = run("generate", "--purpose", "audit")
    assert r.exit_code == 0
    store = KeyStore(tmp_path)
    audits = [k["kid"] for k in store.jwks()["keys"] if k["nqfhub_purpose"] == "audit"]
    old = next(k for k in audits if k != store.signing_key(purpose="audit").key_id)
    assert run("retire", old).exit_code == 0
    listing = run("list").output
    assert old in listing and "retired" in listing
    assert run("revoke", old, "--yes").exit_code == 0
    exported = json.loads(run("export").output)
    assert {k["kid"]: k["nqfhub_status"] for k in exported["keys"]}[old] == "revoked"
    assert all("d" not in k for k in exported["keys"])                     # never a private part


def test_demo_makes_the_missing_purpose_key(tmp_path):
    """A home with only a recognition key gets an audit key from the demo (the router needs one)."""
    from types import SimpleNamespace

    from hub.demo.runner import Demo
    store = KeyStore(tmp_path)
    rec = store.generate("recognition")
    jwks = Demo._signing_key(SimpleNamespace(base=SimpleNamespace(home=tmp_path), say=lambda *a: None))
    assert store.signing_key(purpose="audit").key_id != rec == store.active_id("recognition")
    assert {k["nqfhub_purpose"] for k in jwks["keys"]} == {"audit", "recognition"}

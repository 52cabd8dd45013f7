"""Ed25519 signing of decisions: canonical bytes, sign/verify, tampering, key files."""
from __future__ import annotations

import json
import os
import stat

import pytest

from hub.errors import ConfigError
from hub.jsonview import dumps
from hub.recognition import RecognitionState, decide
from hub.recognition.signing import KeyStore, canonical_bytes, sign, verify, verify_json

from .conftest import load_request


@pytest.fixture()
def decision(events, levels):
    req = load_request("ie-hons-to-germany")
    return decide(req, RecognitionState.from_events(events), levels, req["header"]["occurred_at"])


@pytest.fixture()
def store(tmp_path):
    s = KeyStore(tmp_path)
    s.generate()
    return s


def test_canonical_bytes_are_sorted_compact_and_exclude_signature(decision):
    b = canonical_bytes(decision)
    assert b == canonical_bytes({**decision, "signature": {"alg": "x", "key_id": "y", "value": "z"}})
    obj = json.loads(b)
    assert "signature" not in obj and list(obj) == sorted(obj)
    assert b'{"comparable_levels":[{"code":"6","framework":"DE-DQR"}],' in b
    assert json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == b


def test_integral_numbers_have_no_fraction(decision):
    d = dict(decision, qualification=dict(decision["qualification"], credits={"value": 240.0, "system": "ECTS"}))
    assert b'"value":240' in canonical_bytes(d) and b"240.0" not in canonical_bytes(d)


def test_sign_and_verify_round_trip_through_json(decision, store):
    signed = sign(decision, store.signing_key())
    assert signed["signature"]["alg"] == "Ed25519"
    jwks = store.jwks()
    assert verify(signed, jwks).valid
    # as a partner receives it: canonical JSON text
    assert verify_json(json.loads(dumps(signed)), jwks).valid
    # Ed25519 is deterministic
    assert sign(decision, store.signing_key())["signature"] == signed["signature"]


@pytest.mark.parametrize("field,value", [
    ("outcome", "NOT_RECOGNISED"), ("requesting_partner", "partner:someone-else"),
    ("comparable_levels", []), ("path", ["X:1"]),
])
def test_tampering_is_detected(decision, store, field, value):
    signed = sign(decision, store.signing_key())
    res = verify({**signed, field: value}, store.jwks())
    assert not res.valid and "does not match" in res.reason


def test_wrong_key_unknown_key_and_missing_signature(decision, store, tmp_path):
    signed = sign(decision, store.signing_key())
    other = KeyStore(tmp_path / "other")
    other.generate()
    assert "unknown key id" in verify(signed, other.jwks()).reason
    forged = {**signed, "signature": {**signed["signature"], "key_id": other.active_id()}}
    assert not verify(forged, other.jwks()).valid
    assert verify(decision, store.jwks()).reason == "the record has no signature"
    assert not verify({**signed, "signature": {**signed["signature"], "alg": "RS256"}}, store.jwks()).valid


def test_not_a_decision(store):
    assert not verify_json({"header": {"event_type": "CredentialIssued"}}, store.jwks()).valid
    assert not verify_json([1, 2], store.jwks()).valid


def test_private_key_file_permissions_and_no_private_material_in_jwks(store):
    kid = store.active_id()
    pem = store.dir / f"{kid}.pem"
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.dir.stat().st_mode) == 0o700
    jwks = json.dumps(store.jwks())
    assert '"d"' not in jwks and "PRIVATE" not in jwks
    assert kid not in repr(store.signing_key().private.__class__) and "PRIVATE" not in repr(store.signing_key())
    os.chmod(pem, 0o644)
    with pytest.raises(ConfigError, match="readable by group or others"):
        store.signing_key()


def test_no_key_yet(tmp_path):
    with pytest.raises(ConfigError, match="keys generate"):
        KeyStore(tmp_path).signing_key()

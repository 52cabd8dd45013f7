"""Ed25519 signatures over recognition decisions, verifiable offline by partners.

What is signed: the canonical JSON of the RecognitionDecided record without its `signature`
field, i.e. the canonical JSON view (dates 'YYYY-MM-DD', timestamps ISO-8601 UTC with
milliseconds and 'Z', every schema field present, nulls included) serialised with sorted keys,
no whitespace, UTF-8, integral numbers without a fraction — the RFC 8785 (JCS) form for the
values such a record holds. A verifier in any language can rebuild these bytes from the JSON it
received.

The signature is {"alg": "Ed25519", "key_id": <RFC 7638 JWK thumbprint>, "value": base64url}.

Keys live in `<Settings.home>/keys/`: `<key_id>.pem` (PKCS#8 private key, mode 0600, directory
0700), `<key_id>.jwk.json` (public JWK) and `active` (the key id used to sign). Private keys are
never printed, logged, exported or written anywhere else; loading refuses a private key file
that group or others can read.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hub.errors import ConfigError, DecodeError
from hub.jsonview import event_from_json, to_jsonable

ALG = "Ed25519"


# ---- canonical bytes ------------------------------------------------------------------------
def _norm(v):
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("non-finite number cannot be signed")
        if v.is_integer() and abs(v) < 1e21:
            return int(v)
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_norm(x) for x in v]
    return v


def canonical_bytes(record: dict) -> bytes:
    """The bytes that are signed: canonical JSON of `record` (fastavro dict) minus `signature`."""
    body = {k: v for k, v in record.items() if k != "signature"}
    return json.dumps(_norm(to_jsonable(body)), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False).encode("utf-8")


def _b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def _unb64u(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


# ---- keys -----------------------------------------------------------------------------------
def public_jwk(pub: Ed25519PublicKey) -> dict:
    x = _b64u(pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))
    thumb = _b64u(hashlib.sha256(json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x},
                                            sort_keys=True, separators=(",", ":")).encode()).digest())
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": thumb, "alg": "EdDSA", "use": "sig"}


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private: Ed25519PrivateKey

    def __repr__(self) -> str:  # never show key material
        return f"SigningKey(key_id={self.key_id!r})"

    @property
    def jwk(self) -> dict:
        return public_jwk(self.private.public_key())


class KeyStore:
    """Signing keys under `<home>/keys`. Creating a store creates nothing on disk."""

    def __init__(self, home: Path | str):
        self.dir = Path(home) / "keys"

    def generate(self, *, activate: bool = True) -> str:
        """A new Ed25519 key pair; returns its key id. The private key goes to a 0600 file only."""
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.dir, 0o700)
        key = Ed25519PrivateKey.generate()
        jwk = public_jwk(key.public_key())
        kid = jwk["kid"]
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        fd = os.open(self.dir / f"{kid}.pem", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
        (self.dir / f"{kid}.jwk.json").write_text(json.dumps(jwk, indent=2) + "\n")
        if activate or not (self.dir / "active").exists():
            (self.dir / "active").write_text(kid + "\n")
        return kid

    def key_ids(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        return sorted(p.name[:-len(".jwk.json")] for p in self.dir.glob("*.jwk.json"))

    def active_id(self) -> str | None:
        p = self.dir / "active"
        return p.read_text().strip() if p.exists() else None

    def signing_key(self, key_id: str | None = None) -> SigningKey:
        kid = key_id or self.active_id()
        if not kid:
            raise ConfigError(f"no signing key in {self.dir}; run: nqf-hub keys generate")
        path = self.dir / f"{kid}.pem"
        if not path.exists():
            raise ConfigError(f"signing key {kid} not found in {self.dir}")
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(f"{path}: private key file is readable by group or others "
                              f"(mode {mode:o}); run: chmod 600 {path}")
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError):
            raise ConfigError(f"{path}: not a readable private key") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError(f"{path}: not an Ed25519 key")
        if public_jwk(key.public_key())["kid"] != kid:
            raise ConfigError(f"{path}: key does not match its key id")
        return SigningKey(kid, key)

    def jwks(self) -> dict:
        """Public keys only, as a JWK Set (what partners need to verify)."""
        keys = []
        for kid in self.key_ids():
            jwk = json.loads((self.dir / f"{kid}.jwk.json").read_text())
            keys.append(jwk)
        return {"keys": keys}


def seal_verification_keys(home) -> dict:
    """Key id -> public key of every key that may have signed an audit seal (hub.routing)."""
    return _jwks_keys(KeyStore(home).jwks())


# ---- sign / verify --------------------------------------------------------------------------
def sign(record: dict, key: SigningKey) -> dict:
    """A copy of the decision with `signature` set. Ed25519 is deterministic: same input, same value."""
    value = key.private.sign(canonical_bytes(record))
    return {**record, "signature": {"alg": ALG, "key_id": key.key_id, "value": _b64u(value)}}


@dataclass(frozen=True)
class Verification:
    valid: bool
    reason: str
    key_id: str | None = None


def _jwks_keys(jwks: dict) -> dict[str, Ed25519PublicKey]:
    out = {}
    for k in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if not isinstance(k, dict) or k.get("kty") != "OKP" or k.get("crv") != "Ed25519":
            continue
        try:
            pub = Ed25519PublicKey.from_public_bytes(_unb64u(k["x"]))
        except (KeyError, ValueError, TypeError):
            continue
        out[k.get("kid") or public_jwk(pub)["kid"]] = pub
    return out


def verify(record: dict, jwks: dict) -> Verification:
    """Check the decision's signature against the public keys of `jwks` (fastavro dict input)."""
    sig = record.get("signature")
    if not sig:
        return Verification(False, "the record has no signature")
    if sig.get("alg") != ALG:
        return Verification(False, f"unsupported signature algorithm {sig.get('alg')!r}", sig.get("key_id"))
    kid = sig.get("key_id")
    pub = _jwks_keys(jwks).get(kid)
    if pub is None:
        return Verification(False, f"unknown key id {kid!r} (not in the key set)", kid)
    try:
        raw = _unb64u(sig.get("value") or "")
    except ValueError:
        return Verification(False, "signature value is not base64url", kid)
    try:
        pub.verify(raw, canonical_bytes(record))
    except InvalidSignature:
        return Verification(False, "signature does not match the content (tampered or wrong key)", kid)
    return Verification(True, "valid Ed25519 signature", kid)


def verify_json(obj, jwks: dict) -> Verification:
    """Verify canonical JSON of a RecognitionDecided (as a partner receives it)."""
    if not isinstance(obj, dict):
        return Verification(False, "not a JSON object")
    try:
        if obj.get("header", {}).get("event_type") != "RecognitionDecided":
            return Verification(False, "not a RecognitionDecided record")
        record = event_from_json(obj)
    except (DecodeError, AttributeError) as e:
        where = getattr(getattr(e, "location", None), "field", None)
        return Verification(False, f"not a valid RecognitionDecided record"
                                   + (f" ({where}: {e.reason})" if where else ""))
    return verify(record, jwks)

"""Ed25519 signatures over recognition decisions and audit seals, verifiable offline.

What is signed: the RFC 8785 (JSON Canonicalization Scheme) serialisation, made by the
`rfc8785` library, of the JSON view of the record without its `signature` field (dates
'YYYY-MM-DD', timestamps ISO-8601 UTC with milliseconds and 'Z', every schema field present,
nulls included): properties sorted by UTF-16 code units, no whitespace, numbers in ECMAScript
form, UTF-8. A verifier in any language rebuilds these bytes from the JSON it received with any
RFC 8785 implementation. For the values decisions and audit records hold (strings, integers,
nulls, lists, ASCII keys) the bytes are those of the earlier sorted-keys serialisation, so
signatures and seals made before RFC 8785 was adopted still verify.

The signature is {"alg": "Ed25519", "key_id": <RFC 7638 JWK thumbprint>, "value": base64url}.

One key per purpose: `audit` keys sign the router's audit seals, `recognition` keys sign
recognition decisions; a signature made with the key of the other purpose does not verify.
Keys live in `<Settings.home>/keys/`: `<key_id>.pem` (PKCS#8 private key, mode 0600, directory
0700), `<key_id>.jwk.json` (public JWK with the members `nqfhub_purpose`, `nqfhub_status`
(active | retired | revoked), `nqfhub_created_at`, `nqfhub_status_at`) and `active-<purpose>`
(the key id that signs for that purpose). Retiring a key stops it signing (its private key is
deleted) while what it signed still verifies; revoking it makes everything it signed fail
verification. Private keys are never printed, logged, exported or written anywhere else;
loading refuses a private key file that group or others can read.

Key stores made before purposes existed (one key, an `active` file, JWKs without
`nqfhub_purpose`) keep working: such a legacy key signs for every purpose that has no
`active-<purpose>` yet and verifies for both, until the operator generates purpose keys
(`nqf-hub keys generate --purpose audit`, then `--purpose recognition`) and retires it.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
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
PURPOSES = ("audit", "recognition")
STATES = ("active", "retired", "revoked")
P_PURPOSE, P_STATUS, P_CREATED, P_STATUS_AT = "nqfhub_purpose", "nqfhub_status", "nqfhub_created_at", "nqfhub_status_at"


# ---- canonical bytes ------------------------------------------------------------------------
def jcs(value) -> bytes:
    """RFC 8785 bytes of a JSON-ready value (rfc8785 library). ValueError for what JCS cannot
    represent (NaN, infinities, integers beyond 2**53)."""
    import rfc8785
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as e:
        raise ValueError(f"cannot be canonicalised by RFC 8785 ({e.__class__.__name__})") from None


def canonical_bytes(record: dict) -> bytes:
    """The bytes that are signed: RFC 8785 JSON of `record` (fastavro dict) minus `signature`."""
    return jcs(to_jsonable({k: v for k, v in record.items() if k != "signature"}))


def _b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode("ascii")


def _unb64u(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


def _check_purpose(purpose: str) -> str:
    if purpose not in PURPOSES:
        raise ConfigError(f"unknown key purpose {purpose!r}; purposes: {', '.join(PURPOSES)}")
    return purpose


class KeyStore:
    """Signing keys under `<home>/keys`. Creating a store creates nothing on disk."""

    def __init__(self, home: Path | str):
        self.dir = Path(home) / "keys"

    # -- creating ----------------------------------------------------------------------------
    def generate(self, purpose: str | None = None, *, activate: bool = True) -> str:
        """A new Ed25519 key pair for `purpose`; returns its key id. The private key goes to a
        0600 file only. Without a purpose: one new key per purpose (a fresh hub); the id of the
        recognition key is returned."""
        if purpose is None:
            ids = {p: self.generate(p, activate=activate) for p in PURPOSES}
            return ids["recognition"]
        _check_purpose(purpose)
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
        now = _now()
        self._write_jwk({**jwk, P_PURPOSE: purpose, P_STATUS: "active", P_CREATED: now, P_STATUS_AT: now})
        if activate or not (self.dir / f"active-{purpose}").exists():
            (self.dir / f"active-{purpose}").write_text(kid + "\n")
        return kid

    def _write_jwk(self, jwk: dict) -> None:
        tmp = self.dir / f".{jwk['kid']}.jwk.json.tmp"
        tmp.write_text(json.dumps(jwk, indent=2) + "\n")
        os.replace(tmp, self.dir / f"{jwk['kid']}.jwk.json")

    # -- reading -----------------------------------------------------------------------------
    def key_ids(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        return sorted(p.name[:-len(".jwk.json")] for p in self.dir.glob("*.jwk.json"))

    def info(self, key_id: str) -> dict:
        """The public JWK of `key_id` with its purpose (None: a legacy key) and status."""
        path = self.dir / f"{key_id}.jwk.json"
        if not path.is_file():
            raise ConfigError(f"no key {key_id} in {self.dir}")
        jwk = json.loads(path.read_text())
        jwk.setdefault(P_PURPOSE, None)
        jwk.setdefault(P_STATUS, "active")
        return jwk

    def active_id(self, purpose: str = "recognition") -> str | None:
        """The key id that signs for `purpose`: `active-<purpose>`, else a legacy `active` key
        that is neither retired nor revoked."""
        _check_purpose(purpose)
        for name in (f"active-{purpose}", "active"):
            p = self.dir / name
            if p.exists():
                kid = p.read_text().strip()
                if name == "active" and (not kid or (self.dir / f"{kid}.jwk.json").exists()
                                         and self.info(kid)[P_STATUS] != "active"):
                    continue
                return kid or None
        return None

    def signing_key(self, key_id: str | None = None, *, purpose: str = "recognition") -> SigningKey:
        kid = key_id or self.active_id(purpose)
        if not kid:
            raise ConfigError(f"no {purpose} signing key in {self.dir}; run: nqf-hub keys generate --purpose {purpose}")
        if (self.dir / f"{kid}.jwk.json").exists():
            meta = self.info(kid)
            if meta[P_STATUS] != "active":
                raise ConfigError(f"key {kid} is {meta[P_STATUS]}: it no longer signs; "
                                  f"run: nqf-hub keys generate --purpose {purpose}")
            if meta[P_PURPOSE] not in (None, purpose):
                raise ConfigError(f"key {kid} is a {meta[P_PURPOSE]} key, not a {purpose} key")
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
        """Public keys only, as a JWK Set with purpose and status (what partners need to verify)."""
        return {"keys": [self.info(kid) for kid in self.key_ids()]}

    # -- retiring and revoking -----------------------------------------------------------------
    def _signs_for(self, key_id: str) -> list[str]:
        return [p for p in PURPOSES if self.active_id(p) == key_id]

    def retire(self, key_id: str) -> None:
        """Stop `key_id` signing (its private key is deleted); what it signed still verifies.
        Refused while it is the signing key of a purpose: generate that purpose's successor first."""
        meta = self.info(key_id)
        if meta[P_STATUS] == "revoked":
            raise ConfigError(f"key {key_id} is revoked already")
        busy = self._signs_for(key_id)
        if busy:
            raise ConfigError(f"key {key_id} still signs {' and '.join(busy)} records: "
                              f"run nqf-hub keys generate --purpose {busy[0]} first")
        self._set_status(meta, "retired")

    def revoke(self, key_id: str) -> None:
        """Revoke `key_id` (compromised or withdrawn): its private key is deleted and everything
        it signed fails verification. If it was a signing key, that purpose has none until
        `nqf-hub keys generate --purpose P`."""
        meta = self.info(key_id)
        for p in self._signs_for(key_id):
            for name in (f"active-{p}", "active"):
                f = self.dir / name
                if f.exists() and f.read_text().strip() == key_id:
                    f.unlink()
        self._set_status(meta, "revoked")

    def _set_status(self, meta: dict, status: str) -> None:
        (self.dir / f"{meta['kid']}.pem").unlink(missing_ok=True)
        self._write_jwk({**meta, P_STATUS: status, P_STATUS_AT: _now()})


def seal_verification_keys(home) -> dict:
    """Key id -> public key of every key whose audit seals verify (hub.routing)."""
    return _jwks_keys(KeyStore(home).jwks(), purpose="audit")


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


@dataclass(frozen=True)
class PublicKey:
    key: Ed25519PublicKey
    purpose: str | None     # None: a legacy key (any purpose)
    status: str


def _jwks_entries(jwks: dict) -> dict[str, PublicKey]:
    out = {}
    for k in jwks.get("keys", []) if isinstance(jwks, dict) else []:
        if not isinstance(k, dict) or k.get("kty") != "OKP" or k.get("crv") != "Ed25519":
            continue
        try:
            pub = Ed25519PublicKey.from_public_bytes(_unb64u(k["x"]))
        except (KeyError, ValueError, TypeError):
            continue
        status = k.get(P_STATUS) if k.get(P_STATUS) in STATES else "active"
        out[k.get("kid") or public_jwk(pub)["kid"]] = PublicKey(pub, k.get(P_PURPOSE), status)
    return out


def _jwks_keys(jwks: dict, purpose: str | None = None) -> dict[str, Ed25519PublicKey]:
    """Key id -> public key of the keys that verify for `purpose`: not revoked, and of that
    purpose or a legacy key (any purpose)."""
    return {kid: e.key for kid, e in _jwks_entries(jwks).items()
            if e.status != "revoked" and (purpose is None or e.purpose in (None, purpose))}


def verify(record: dict, jwks: dict) -> Verification:
    """Check the decision's signature against the public keys of `jwks` (fastavro dict input):
    a recognition key (or a legacy one) that is active or retired; revoked keys and audit keys
    fail."""
    sig = record.get("signature")
    if not sig:
        return Verification(False, "the record has no signature")
    if sig.get("alg") != ALG:
        return Verification(False, f"unsupported signature algorithm {sig.get('alg')!r}", sig.get("key_id"))
    kid = sig.get("key_id")
    entry = _jwks_entries(jwks).get(kid)
    if entry is None:
        return Verification(False, f"unknown key id {kid!r} (not in the key set)", kid)
    if entry.status == "revoked":
        return Verification(False, f"signed with key {kid!r}, which is revoked", kid)
    if entry.purpose not in (None, "recognition"):
        return Verification(False, f"key {kid!r} is a {entry.purpose} key, not a recognition decision key", kid)
    try:
        raw = _unb64u(sig.get("value") or "")
    except ValueError:
        return Verification(False, "signature value is not base64url", kid)
    try:
        entry.key.verify(raw, canonical_bytes(record))
    except InvalidSignature:
        return Verification(False, "signature does not match the content (tampered or wrong key)", kid)
    except ValueError as e:
        return Verification(False, f"the record {e}", kid)
    return Verification(True, "valid Ed25519 signature" + (" (retired key)" if entry.status == "retired" else ""), kid)


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

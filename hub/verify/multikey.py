"""Multibase / multicodec public keys (W3C Multikey, did:key) -> `cryptography` public keys.

Called when a verification method gives `publicKeyMultibase` or is a did:key. Only the key
types the supported proofs use: Ed25519 (multicodec 0xed), P-256 (0x1200) and P-384 (0x1201),
compressed points. Everything raises `KeyProblem(reason)` naming no value.
"""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ec, ed25519

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_MAX_MULTIBASE = 4096          # a key or a signature; anything longer is not one

# multicodec varint prefixes
_ED25519 = b"\xed\x01"
_P256 = b"\x80\x24"
_P384 = b"\x81\x24"


class KeyProblem(ValueError):
    """A key or encoded value cannot be used; the message names no value."""


def b58decode(s: str) -> bytes:
    if len(s) > _MAX_MULTIBASE:
        raise KeyProblem("base58 value is too long")
    n = 0
    for c in s:
        try:
            n = n * 58 + _B58_INDEX[c]
        except KeyError:
            raise KeyProblem("not base58btc") from None
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    pad = len(s) - len(s.lstrip("1"))
    return b"\0" * pad + body


def b58encode(b: bytes) -> str:
    n = int.from_bytes(b, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(b) - len(b.lstrip(b"\0"))) + out


def multibase_decode(value: str) -> bytes:
    """'z…' (base58btc) or 'u…' (base64url, no padding) -> bytes."""
    if not isinstance(value, str) or len(value) < 2:
        raise KeyProblem("not a multibase value")
    if value[0] == "z":
        return b58decode(value[1:])
    if value[0] == "u":
        if len(value) > 16 * 1024 * 1024:
            raise KeyProblem("base64url value is too long")
        body = value[1:]
        try:
            return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, TypeError):
            raise KeyProblem("not base64url") from None
    raise KeyProblem("multibase prefix is not z (base58btc) or u (base64url)")


def public_key_from_multikey(value: str):
    """A `publicKeyMultibase` / did:key method-specific id -> Ed25519 or EC public key."""
    raw = multibase_decode(value)
    prefix, key = raw[:2], raw[2:]
    try:
        if prefix == _ED25519 and len(key) == 32:
            return ed25519.Ed25519PublicKey.from_public_bytes(key)
        if prefix == _P256 and len(key) == 33:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), key)
        if prefix == _P384 and len(key) == 49:
            return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP384R1(), key)
    except ValueError:
        raise KeyProblem("the multikey is not a valid point") from None
    raise KeyProblem("unsupported multikey type (Ed25519, P-256 and P-384 are supported)")


def multikey_of(public_key) -> str:
    """The 'z…' multikey of an Ed25519 / P-256 / P-384 public key (used by the fixture script)."""
    from cryptography.hazmat.primitives import serialization as ser
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "z" + b58encode(_ED25519 + public_key.public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw))
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        prefix = {"secp256r1": _P256, "secp384r1": _P384}.get(public_key.curve.name)
        if prefix:
            return "z" + b58encode(prefix + public_key.public_bytes(ser.Encoding.X962,
                                                                     ser.PublicFormat.CompressedPoint))
    raise KeyProblem("unsupported key type")


def did_key_public_key(did_url: str):
    """`did:key:z…` or `did:key:z…#z…` -> the public key (did:key documents are derived, never fetched)."""
    did = did_url.split("#", 1)[0]
    if not did.startswith("did:key:"):
        raise KeyProblem("not a did:key")
    return public_key_from_multikey(did[len("did:key:"):])

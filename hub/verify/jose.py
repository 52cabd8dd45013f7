"""JWS envelopes: compact (VC-JWT, `application/vc+jwt`) and JSON serialisation (JAdES, EDC).

`parse(value)` reads a compact token (str) or a general / flattened JSON serialisation (dict with
`payload` and `signatures` / `signature`) into `Envelope`: the payload bytes and one `Signer` per
signature with its merged header. `verify(signer, key)` checks one signature with joserfc and
raises `integrity.ProofMismatch` when it does not match. Allowed algorithms are asymmetric only
(no `none`, no HMAC); JAdES's `sigT` critical header is understood; detached / unencoded
payloads (`b64: false`) are `Unsupported`.
"""
from __future__ import annotations

import base64
import json
import warnings
from dataclasses import dataclass

from hub.verify.integrity import ProofMismatch, Unsupported

ALGORITHMS = ("EdDSA", "Ed25519", "ES256", "ES384", "ES512", "RS256", "RS384", "RS512",
              "PS256", "PS384", "PS512")
MAX_HEADER_BYTES = 64 * 1024


class EnvelopeProblem(ValueError):
    """The value is not a readable JWS (message names no value)."""


@dataclass
class Signer:
    header: dict            # protected merged with unprotected (protected wins)
    protected_b64: str
    signature_b64: str
    unprotected: dict | None

    @property
    def alg(self) -> str:
        return str(self.header.get("alg"))

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None

    @property
    def jades(self) -> bool:
        return any(k in self.header for k in ("sigT", "x5t#S256", "sigD", "srCms"))


@dataclass
class Envelope:
    form: str               # "compact" | "json"
    payload_b64: str
    signers: list[Signer]

    def payload(self) -> dict:
        try:
            value = json.loads(_b64(self.payload_b64))
        except (ValueError, UnicodeDecodeError):
            raise EnvelopeProblem("the JWS payload is not JSON") from None
        if not isinstance(value, dict):
            raise EnvelopeProblem("the JWS payload is not a JSON object")
        return value


def _b64(s) -> bytes:
    if not isinstance(s, str):
        raise EnvelopeProblem("a JWS part is not a string")
    try:
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    except (ValueError, TypeError):
        raise EnvelopeProblem("a JWS part is not base64url") from None


def _header(protected_b64: str) -> dict:
    if len(protected_b64) > MAX_HEADER_BYTES:
        raise EnvelopeProblem("the JWS protected header is too large")
    try:
        h = json.loads(_b64(protected_b64))
    except (ValueError, UnicodeDecodeError):
        raise EnvelopeProblem("the JWS protected header is not JSON") from None
    if not isinstance(h, dict):
        raise EnvelopeProblem("the JWS protected header is not an object")
    return h


def is_envelope(value) -> bool:
    return isinstance(value, str) or (isinstance(value, dict) and "payload" in value and
                                      ("signatures" in value or "signature" in value))


def parse(value) -> Envelope:
    if isinstance(value, str):
        parts = value.strip().split(".")
        if len(parts) != 3:
            raise EnvelopeProblem("not a compact JWS (three dot-separated parts)")
        return Envelope("compact", parts[1], [Signer(_header(parts[0]), parts[0], parts[2], None)])
    sigs = value.get("signatures")
    if sigs is None:
        sigs = [{k: value[k] for k in ("protected", "header", "signature") if k in value}]
    if not isinstance(sigs, list) or not sigs:
        raise EnvelopeProblem("signatures must be a non-empty list")
    signers = []
    for s in sigs:
        if not isinstance(s, dict) or not isinstance(s.get("protected"), str):
            raise EnvelopeProblem("every signature needs a protected header")
        unprotected = s.get("header") if isinstance(s.get("header"), dict) else None
        signers.append(Signer({**(unprotected or {}), **_header(s["protected"])}, s["protected"],
                              s.get("signature"), unprotected))
    return Envelope("json", value.get("payload"), signers)


def _jose_key(public_key):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
    from joserfc.jwk import ECKey, OKPKey, RSAKey
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return OKPKey.import_key(public_key)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return ECKey.import_key(public_key)
    if isinstance(public_key, rsa.RSAPublicKey):
        return RSAKey.import_key(public_key)
    raise ProofMismatch("the key type cannot verify a JWS")


def _registry():
    from joserfc.jws import JWSRegistry
    from joserfc.registry import HeaderParameter
    reg = JWSRegistry(header_registry={
        "sigT": HeaderParameter("JAdES claimed signing time", "str"),
        "x5t#S256": HeaderParameter("X.509 SHA-256 thumbprint", "str"),
    }, algorithms=list(ALGORITHMS))
    # the source limits (hub.sdk.limits) already bound the document; joserfc's defaults (512-byte
    # header, 128 KB payload) would refuse an x5c chain or a European Digital Credential
    reg.max_header_length = MAX_HEADER_BYTES
    reg.max_payload_length = 64 * 1024 * 1024
    reg.max_signature_length = 4096
    return reg


_REGISTRY = None


def verify(envelope: Envelope, signer: Signer, public_key) -> None:
    """Check one signature of `envelope` with `public_key`; ProofMismatch if it does not match."""
    global _REGISTRY
    from joserfc import jws
    from joserfc.errors import JoseError
    if signer.alg not in ALGORITHMS:
        raise Unsupported(f"JWS algorithm {signer.alg} is not accepted ({', '.join(ALGORITHMS)} are)")
    if signer.header.get("b64") is False:
        raise Unsupported("unencoded (b64: false) JWS payloads are not supported")
    if _REGISTRY is None:
        _REGISTRY = _registry()
    key = _jose_key(public_key)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # joserfc flags 'EdDSA' as deprecated by RFC 9864
        try:
            if envelope.form == "compact":
                jws.deserialize_compact(f"{signer.protected_b64}.{envelope.payload_b64}."
                                        f"{signer.signature_b64}", key, algorithms=list(ALGORITHMS),
                                        registry=_REGISTRY)
            else:
                flat = {"payload": envelope.payload_b64, "protected": signer.protected_b64,
                        "signature": signer.signature_b64}
                if signer.unprotected:
                    flat["header"] = signer.unprotected
                jws.deserialize_json(flat, key, algorithms=list(ALGORITHMS), registry=_REGISTRY)
        except JoseError as e:
            if e.__class__.__name__ == "BadSignatureError":
                raise ProofMismatch(f"the {signer.alg} JWS signature does not match") from None
            raise ProofMismatch(f"the JWS cannot be verified ({e.__class__.__name__})") from None
        except (ValueError, TypeError):
            raise ProofMismatch("the JWS cannot be verified (malformed)") from None


def certificate_key(signer: Signer):
    """(SHA-256 hex fingerprint, DER) of the leaf certificate in `x5c`, or None."""
    import hashlib
    x5c = signer.header.get("x5c")
    if not isinstance(x5c, list) or not x5c or not isinstance(x5c[0], str):
        return None
    try:
        der = base64.b64decode(x5c[0], validate=True)
    except ValueError:
        raise EnvelopeProblem("x5c[0] is not base64") from None
    return hashlib.sha256(der).hexdigest(), der


def thumbprint(signer: Signer) -> str | None:
    t = signer.header.get("x5t#S256")
    return _b64(t).hex() if isinstance(t, str) else None

"""W3C Data Integrity proofs embedded in a credential (`proof`), checked offline.

Cryptosuites (`DataIntegrityProof` + `cryptosuite`):

| cryptosuite | canonicalisation | hash | signature |
|---|---|---|---|
| eddsa-jcs-2022 | RFC 8785 JCS (`rfc8785`) | SHA-256 | Ed25519 |
| eddsa-rdfc-2022 | RDFC-1.0 N-Quads (`pyld`, URDNA2015, local contexts only) | SHA-256 | Ed25519 |
| ecdsa-jcs-2019 / ecdsa-rdfc-2019 | as above | SHA-256 (P-256) / SHA-384 (P-384) | ECDSA, r‖s |

Per the specifications: the proof configuration is the proof without `proofValue`, carrying the
document's `@context`; `hashData = H(canon(proofConfig)) ‖ H(canon(document without proof))`;
`proofValue` is multibase base58btc. `check(doc, proof, key, contexts)` returns nothing when the
proof verifies and raises `ProofMismatch` when it does not; `Unsupported` for what cannot be
checked here (unknown suite, a context not held locally).
"""
from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from hub.verify.contexts import ContextNotHeld, ContextStore
from hub.verify.multikey import KeyProblem, multibase_decode

SUITES = ("eddsa-jcs-2022", "eddsa-rdfc-2022", "ecdsa-jcs-2019", "ecdsa-rdfc-2019")


class ProofMismatch(Exception):
    """The proof was checked and does not match the document (message names no value)."""


class Unsupported(Exception):
    """The proof cannot be checked here (message says why)."""


def canonical_jcs(value) -> bytes:
    import rfc8785
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, ValueError, TypeError) as e:
        raise ProofMismatch(f"the document cannot be JCS-canonicalised ({e.__class__.__name__})") from None


def canonical_rdfc(value, contexts: ContextStore) -> bytes:
    """RDFC-1.0 N-Quads of `value`. A property the contexts do not define would be dropped by
    JSON-LD expansion and so not be covered by the proof: that is `Unsupported` (the outcome is
    `unverified`, naming the property), never silently accepted."""
    from pyld import jsonld
    dropped: list[str] = []
    try:
        nquads = jsonld.JsonLdProcessor(on_property_dropped=lambda p: dropped.append(str(p))).normalize(
            value, {"algorithm": "URDNA2015", "format": "application/n-quads",
                    "documentLoader": contexts.loader})
    except jsonld.JsonLdError as e:
        cause = e
        while cause is not None:
            if isinstance(cause, ContextNotHeld):
                raise Unsupported(str(cause)) from None
            cause = getattr(cause, "cause", None) or cause.__cause__ or cause.__context__
        raise ProofMismatch(f"the document is not valid JSON-LD ({e.type if hasattr(e, 'type') else 'error'})") \
            from None
    if dropped:
        raise Unsupported(f"property {dropped[0]} is not defined by the credential's JSON-LD contexts, "
                          "so the proof does not cover it")
    return nquads.encode("utf-8")


def hash_data(document: dict, proof: dict, suite: str, contexts: ContextStore, digest) -> bytes:
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in document:
        config["@context"] = document["@context"]
    if suite.endswith("-jcs-2022") or suite.endswith("-jcs-2019"):
        canon = canonical_jcs
        return digest(canon(config)).digest() + digest(canon(unsecured)).digest()
    return (digest(canonical_rdfc(config, contexts)).digest()
            + digest(canonical_rdfc(unsecured, contexts)).digest())


def check(document: dict, proof: dict, public_key, contexts: ContextStore) -> None:
    suite = proof.get("cryptosuite")
    if proof.get("type") != "DataIntegrityProof" or suite not in SUITES:
        raise Unsupported(f"proof type {proof.get('type')}/{suite} is not supported "
                          f"(DataIntegrityProof with {', '.join(SUITES)} is)")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofMismatch("proofPurpose is not assertionMethod")
    try:
        signature = multibase_decode(proof.get("proofValue"))
    except KeyProblem:
        raise ProofMismatch("proofValue is not multibase") from None
    if suite.startswith("eddsa"):
        if not isinstance(public_key, ed25519.Ed25519PublicKey):
            raise ProofMismatch("the verification method is not an Ed25519 key")
        data = hash_data(document, proof, suite, contexts, hashlib.sha256)
        try:
            public_key.verify(signature, data)
        except InvalidSignature:
            raise ProofMismatch("the Ed25519 proof does not match the document") from None
        return
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or \
            public_key.curve.name not in ("secp256r1", "secp384r1"):
        raise ProofMismatch("the verification method is not a P-256 or P-384 key")
    p384 = public_key.curve.name == "secp384r1"
    size = 48 if p384 else 32
    if len(signature) != 2 * size:
        raise ProofMismatch("the ECDSA proofValue has the wrong length")
    data = hash_data(document, proof, suite, contexts, hashlib.sha384 if p384 else hashlib.sha256)
    der = encode_dss_signature(int.from_bytes(signature[:size], "big"),
                               int.from_bytes(signature[size:], "big"))
    try:
        public_key.verify(der, data, ec.ECDSA(hashes.SHA384() if p384 else hashes.SHA256()))
    except InvalidSignature:
        raise ProofMismatch("the ECDSA proof does not match the document") from None


def sign(document: dict, proof_options: dict, private_key, contexts: ContextStore | None = None) -> dict:
    """`document` with a Data Integrity proof added (test fixtures and benchmarks only: the hub
    never signs in an issuer's name). ECDSA signatures are deterministic (RFC 6979)."""
    suite = proof_options["cryptosuite"]
    proof = {"type": "DataIntegrityProof", **proof_options}
    contexts = contexts or ContextStore()
    if suite.startswith("eddsa"):
        sig = private_key.sign(hash_data(document, proof, suite, contexts, hashlib.sha256))
    else:
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
        p384 = private_key.curve.name == "secp384r1"
        data = hash_data(document, proof, suite, contexts, hashlib.sha384 if p384 else hashlib.sha256)
        der = private_key.sign(data, ec.ECDSA(hashes.SHA384() if p384 else hashes.SHA256(),
                                              deterministic_signing=True))
        r, s = decode_dss_signature(der)
        size = 48 if p384 else 32
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    from hub.verify.multikey import b58encode
    return {**document, "proof": {**proof, "proofValue": "z" + b58encode(sig)}}

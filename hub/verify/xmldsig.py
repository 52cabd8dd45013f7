"""XML-DSig of ELMO documents (enveloped `ds:Signature`, ELMO ≥ 1.5), checked with signxml.

`check_elmo(root, verifier)` is called by the elmo connector once per file, on the tree the hub's
hardened parser built (hub.sdk.xml: no DTD, no entities, bounded); signxml re-parses only its own
canonical serialisations, with that same hardened parser. The signature must be a child of the
root, carry its X.509 certificate in KeyInfo, use one Reference with `URI=""` (the whole document,
enveloped) and SHA-256 or stronger (SHA-1 signatures, like the 2015 example in the ELMO
repository, are not accepted: `unverified`). The certificate is matched by SHA-256 fingerprint
against the trust registry (no chain building). Outcomes:

* no signature, SHA-1, no certificate, unsupported shape -> `unverified`, with the reason;
* the signature does not match the document -> `SignatureInvalid` (dead-lettered);
* it matches, certificate not in the registry -> `unverified`; registered -> `verified`.
"""
from __future__ import annotations

import base64
import hashlib

from hub.errors import DecodeError, SignatureInvalid
from hub.verify.outcome import VERIFIED, Outcome, unverified

DS = "http://www.w3.org/2000/09/xmldsig#"
LABEL = "xmldsig"


def _cert_der(signature) -> bytes | None:
    el = signature.find(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
    if el is None or not (el.text or "").strip():
        return None
    try:
        return base64.b64decode("".join(el.text.split()), validate=True)
    except ValueError:
        raise DecodeError("X509Certificate is not base64", field="/elmo/Signature/KeyInfo") from None


def check_elmo(root, verifier) -> Outcome:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from signxml import XMLVerifier
    from signxml.exceptions import InvalidInput, InvalidSignature
    from signxml.verifier import SignatureConfiguration

    from hub.sdk.xml import hardened_parser

    model = "ELMO XML"
    signatures = root.findall(f"{{{DS}}}Signature")
    if not signatures:
        return unverified("the document carries no XML signature", data_model=model)
    if len(signatures) > 1:
        return unverified("more than one enveloped signature; not checked", data_model=model)
    sig = signatures[0]
    method = sig.find(f"{{{DS}}}SignedInfo/{{{DS}}}SignatureMethod")
    alg = (method.get("Algorithm") if method is not None else "") or ""
    label = f"{LABEL}/{alg.rsplit('#', 1)[-1] or 'unknown'}"
    refs = sig.findall(f"{{{DS}}}SignedInfo/{{{DS}}}Reference")
    if len(refs) != 1 or refs[0].get("URI") != "":
        return unverified("the signature does not cover the whole document (one Reference URI=\"\")",
                          proof=label, data_model=model)
    der = _cert_der(sig)
    if der is None:
        return unverified("the signature carries no X.509 certificate", proof=label, data_model=model)
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        raise DecodeError("X509Certificate is not an X.509 certificate",
                          field="/elmo/Signature/KeyInfo") from None
    fingerprint = hashlib.sha256(der).hexdigest()
    key_id = f"x509-sha256:{fingerprint}"
    xv = XMLVerifier()
    xv._parser = hardened_parser()
    try:
        xv.verify(root, x509_cert=cert.public_bytes(Encoding.PEM).decode(),
                  expect_config=SignatureConfiguration(location="./"))
    except InvalidSignature:
        raise SignatureInvalid("the XML signature does not match the document",
                               field="/elmo/Signature") from None
    except InvalidInput as e:
        text = str(e)
        reason = ("SHA-1 XML signatures are not accepted" if "SHA1" in text.upper() else
                  "the XML signature cannot be checked (unsupported form)")
        return unverified(reason, proof=label, key_id=key_id, data_model=model)
    held = verifier.registry.issuer_for_certificate(der)
    if held is None:
        return unverified("signature verified, but the signing certificate is not in the trust registry",
                          proof=label, key_id=key_id, data_model=model)
    issuer_id, _ = held
    issuer = verifier.registry.issuer(issuer_id)
    return Outcome(VERIFIED, f"signature verified with the certificate of issuer {issuer_id}, "
                   f"vouched for by {issuer.authority}", proof=label, issuer=issuer_id, key_id=key_id,
                   vouched_by=issuer.authority, data_model=model)

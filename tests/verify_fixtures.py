"""Deterministic signed-credential fixtures for hub.verify (TEST KEYS ONLY, never trust them).

Keys derive from fixed labels (Ed25519 seeds and EC scalars are SHA-256 of the label), ECDSA
signatures are RFC 6979 deterministic, certificate dates are fixed: running this twice gives the
same bytes. Used by tests/unit/verify (through `build(directory)`) and benchmarks/verify_credentials.py.

    python tests/verify_fixtures.py OUTDIR     # writes the trust registry, caches and credentials

Layout written under OUTDIR:
    trust/test-authority.yaml, trust/dids/*.json, trust/certs/*.pem, trust/contexts/ (index.yaml)
    status/        cached status lists (a Bitstring Status List and a 1EdTech revocation list)
    credentials/   good, tampered, wrong-key, revoked, unvouched … (one file each, see FIXTURES)
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from hub.verify import integrity
from hub.verify.contexts import ContextStore
from hub.verify.multikey import multikey_of
from hub.verify.status import StatusCache

ISSUER_WEB = "did:web:issuer.nqf-hub.test"
ISSUER_WEB_KEY = ISSUER_WEB + "#key-1"
ISSUER_EDC = "https://edc-issuer.nqf-hub.test"
UNVOUCHED_NOTE = "a did:key that no authority vouches for"
STATUS_LIST_URL = "https://issuer.nqf-hub.test/status/1"
REVOCATION_LIST_URL = "https://issuer.nqf-hub.test/revocations"
TEST_CONTEXT_URL = "https://contexts.nqf-hub.test/credential-v1.jsonld"
REVOKED_INDEX = 7
OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2",
               "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
VC11_CONTEXT = ["https://www.w3.org/2018/credentials/v1",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]

# Our own JSON-LD context for the RDF-canonicalised fixtures (not a copy of any published one):
# every term falls under one test vocabulary; `proof` is a graph container as in VC 2.0.
TEST_CONTEXT = {"@context": {
    "@vocab": "https://contexts.nqf-hub.test/vocab#",
    "id": "@id", "type": "@type",
    "issuer": {"@id": "https://contexts.nqf-hub.test/vocab#issuer", "@type": "@id"},
    "verificationMethod": {"@id": "https://w3id.org/security#verificationMethod", "@type": "@id"},
    "proofPurpose": {"@id": "https://w3id.org/security#proofPurpose", "@type": "@vocab"},
    "assertionMethod": {"@id": "https://w3id.org/security#assertionMethod", "@type": "@id"},
    "cryptosuite": "https://w3id.org/security#cryptosuite",
    "proofValue": "https://w3id.org/security#proofValue",
    "created": {"@id": "http://purl.org/dc/terms/created",
                "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
    "validFrom": {"@id": "https://www.w3.org/2018/credentials#validFrom",
                  "@type": "http://www.w3.org/2001/XMLSchema#dateTime"},
    "proof": {"@id": "https://w3id.org/security#proof", "@type": "@id", "@container": "@graph"},
}}


def ed25519_key(label: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def ec_key(label: str, curve=ec.SECP256R1()) -> ec.EllipticCurvePrivateKey:
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (n - 1) + 1,
                                 curve)


class Keys:
    """The fixed test keys."""

    def __init__(self):
        self.web = ed25519_key("nqf-hub test: did:web issuer key-1")
        self.p256 = ec_key("nqf-hub test: did:key P-256 issuer")
        self.attacker = ed25519_key("nqf-hub test: attacker")
        self.unvouched = ed25519_key("nqf-hub test: unvouched did:key issuer")
        self.edc = ec_key("nqf-hub test: EDC issuer seal")
        self.elmo = ec_key("nqf-hub test: ELMO NCP signing key")

    @property
    def p256_did(self) -> str:
        return "did:key:" + multikey_of(self.p256.public_key())

    @property
    def unvouched_did(self) -> str:
        return "did:key:" + multikey_of(self.unvouched.public_key())


def certificate(key, common_name: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "ZZ"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nqf-hub test fixtures"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(int(hashlib.sha256(common_name.encode()).hexdigest()[:16], 16))
            .not_valid_before(dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc))
            .not_valid_after(dt.datetime(2035, 1, 1, tzinfo=dt.timezone.utc))
            .sign(key, hashes.SHA256(), ecdsa_deterministic=True))


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _b64u(b: bytes) -> str:
    import base64
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def jws_sign(header: dict, payload: dict, key) -> tuple[str, str, str]:
    """(protected, payload, signature) base64url parts; ES256 signatures are deterministic."""
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    protected = _b64u(json.dumps(header, separators=(",", ":")).encode())
    body = _b64u(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{protected}.{body}".encode()
    if isinstance(key, ed25519.Ed25519PrivateKey):
        sig = key.sign(signing_input)
    else:
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(hashes.SHA256(), deterministic_signing=True)))
        sig = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return protected, body, _b64u(sig)


def compact(header: dict, payload: dict, key) -> str:
    return ".".join(jws_sign(header, payload, key))


def ob3_credential(issuer: str, *, context=OB3_CONTEXT, status=None, n: int = 0) -> dict:
    from connectors.openbadges3.samples import sample_credentials
    doc = list(sample_credentials(n + 1, seed=13, jurisdictions=("ZA",)))[n]
    doc["@context"] = list(context)
    doc["issuer"] = {**doc["issuer"], "id": issuer}
    doc.pop("credentialStatus", None)      # the samples' lists are not cached: set explicitly
    if status:
        doc["credentialStatus"] = status
    return doc


def bitstring_list(revoked: set[int], size_bits: int = 131072) -> str:
    import gzip
    bits = bytearray(size_bits // 8)
    for i in revoked:
        bits[i // 8] |= 0x80 >> (i % 8)
    return "u" + _b64u(gzip.compress(bytes(bits), mtime=0))


def di(doc: dict, key, method: str, suite: str, contexts=None) -> dict:
    return integrity.sign(doc, {"cryptosuite": suite, "created": "2026-01-15T10:00:00Z",
                                "verificationMethod": method, "proofPurpose": "assertionMethod"},
                          key, contexts)


def credentials(keys: Keys, contexts: ContextStore) -> dict[str, object]:
    """name -> credential (dict, or str for compact JWTs)."""
    out: dict[str, object] = {}
    web_method = ISSUER_WEB_KEY
    good = di(ob3_credential(ISSUER_WEB), keys.web, web_method, "eddsa-jcs-2022")
    out["ob3-eddsa-jcs-good.json"] = good
    tampered = copy.deepcopy(good)
    tampered["credentialSubject"]["achievement"]["name"] += " (with honours)"
    out["ob3-eddsa-jcs-tampered.json"] = tampered
    out["ob3-eddsa-jcs-wrong-key.json"] = di(ob3_credential(ISSUER_WEB), keys.attacker, web_method,
                                             "eddsa-jcs-2022")
    p256 = keys.p256_did
    out["ob3-ecdsa-jcs-good.json"] = di(ob3_credential(p256, n=1), keys.p256,
                                        f"{p256}#{p256[len('did:key:'):]}", "ecdsa-jcs-2019")
    bsl = {"id": STATUS_LIST_URL + f"#{REVOKED_INDEX}", "type": "BitstringStatusListEntry",
           "statusPurpose": "revocation", "statusListIndex": str(REVOKED_INDEX),
           "statusListCredential": STATUS_LIST_URL}
    out["ob3-revoked-bitstring.json"] = di(ob3_credential(ISSUER_WEB, status=bsl, n=2), keys.web,
                                           web_method, "eddsa-jcs-2022")
    ok_status = {**bsl, "id": STATUS_LIST_URL + "#8", "statusListIndex": "8"}
    out["ob3-status-ok.json"] = di(ob3_credential(ISSUER_WEB, status=ok_status, n=3), keys.web,
                                   web_method, "eddsa-jcs-2022")
    revoked_1ed = ob3_credential(ISSUER_WEB, n=4, status={"id": REVOCATION_LIST_URL,
                                                          "type": "1EdTechRevocationList"})
    out["ob3-revoked-1edtech.json"] = di(revoked_1ed, keys.web, web_method, "eddsa-jcs-2022")
    uv = keys.unvouched_did
    out["ob3-unvouched.json"] = di(ob3_credential(uv, n=5), keys.unvouched, f"{uv}#{uv[len('did:key:'):]}",
                                   "eddsa-jcs-2022")
    out["ob3-unsigned.json"] = ob3_credential(ISSUER_WEB, n=6)
    # VC-JWT (VC-JOSE-COSE: the payload is the credential) and VC-JWT 1.1 (claims + vc)
    out["ob3-vc-jwt-good.jwt"] = compact({"alg": "EdDSA", "typ": "vc+jwt", "kid": web_method},
                                         ob3_credential(ISSUER_WEB, n=7), keys.web)
    out["ob3-vc-jwt-es256.jwt"] = compact({"alg": "ES256", "typ": "vc+jwt",
                                           "kid": f"{p256}#{p256[len('did:key:'):]}"},
                                          ob3_credential(p256, n=8), keys.p256)
    jwt = compact({"alg": "EdDSA", "typ": "vc+jwt", "kid": web_method}, ob3_credential(ISSUER_WEB, n=9),
                  keys.web).split(".")
    forged_body = _b64u(json.dumps({**ob3_credential(ISSUER_WEB, n=9), "name": "Forged"}).encode())
    out["ob3-vc-jwt-tampered.jwt"] = f"{jwt[0]}.{forged_body}.{jwt[2]}"
    vc11 = ob3_credential(ISSUER_WEB, context=VC11_CONTEXT, n=10)
    vc11["type"] = ["VerifiableCredential", "OpenBadgeCredential"]
    vc11["issuanceDate"] = vc11.pop("validFrom")
    claims = {"iss": ISSUER_WEB, "jti": vc11["id"], "nbf": 1767225600, "vc": vc11}
    out["ob3-vc11-jwt.jwt"] = compact({"alg": "EdDSA", "typ": "JWT", "kid": web_method}, claims, keys.web)
    # RDF-canonicalised proofs over our own test context
    rdf_doc = {"@context": [TEST_CONTEXT_URL], "id": "urn:uuid:6a1b7c1e-2f7f-4c1e-8a1d-0f1e2d3c4b5a",
               "type": ["VerifiableCredential"], "issuer": ISSUER_WEB, "validFrom": "2026-01-15T10:00:00Z",
               "credentialSubject": {"type": "AchievementSubject", "achievementName": "Test award"}}
    out["rdf-eddsa-rdfc-good.json"] = di(rdf_doc, keys.web, web_method, "eddsa-rdfc-2022", contexts)
    bad = copy.deepcopy(out["rdf-eddsa-rdfc-good.json"])
    bad["credentialSubject"]["achievementName"] = "Other award"
    out["rdf-eddsa-rdfc-tampered.json"] = bad
    out["rdf-ecdsa-rdfc-good.json"] = di({**rdf_doc, "issuer": p256}, keys.p256,
                                         f"{p256}#{p256[len('did:key:'):]}", "ecdsa-rdfc-2019", contexts)
    return out


def edc_envelope(keys: Keys, credential: dict, cert: x509.Certificate, *, tamper: bool = False) -> dict:
    """A JAdES-style JWS JSON serialisation (general form) of an EDC credential, sealed with an
    X.509 certificate in x5c, as European Digital Credentials are issued."""
    import base64
    der = cert.public_bytes(serialization.Encoding.DER)
    header = {"alg": "ES256", "typ": "jose+json", "cty": "vc+ld+json", "sigT": "2026-01-15T10:00:00Z",
              "x5c": [base64.b64encode(der).decode()], "crit": ["sigT"]}
    protected, body, sig = jws_sign(header, credential, keys.edc)
    if tamper:
        body = _b64u(json.dumps({**credential, "validFrom": "2020-01-01T00:00:00Z"}).encode())
    return {"payload": body, "signatures": [{"protected": protected, "signature": sig}]}


def signed_elmo(keys: Keys, cert: x509.Certificate, xml: bytes, *, tamper: bool = False) -> bytes:
    from lxml import etree
    from signxml import SignatureMethod, XMLSigner
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    key_pem = keys.elmo.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())
    signed = XMLSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256).sign(
        root, key=key_pem, cert=pem(cert).decode())
    out = etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    if tamper:
        out = out.replace(b"<title xml:lang=\"en\">", b"<title xml:lang=\"en\">X", 1)
    return out


def build(outdir: Path | str) -> dict[str, Path]:
    """Write everything under `outdir`; returns {'trust', 'status', 'credentials'} paths."""
    import yaml
    outdir = Path(outdir)
    keys = Keys()
    trust, status, creds = outdir / "trust", outdir / "status", outdir / "credentials"
    for d in (trust / "dids", trust / "certs", status, creds):
        d.mkdir(parents=True, exist_ok=True)
    did_doc = {"@context": ["https://www.w3.org/ns/did/v1"], "id": ISSUER_WEB,
               "verificationMethod": [{"id": ISSUER_WEB_KEY, "type": "Multikey", "controller": ISSUER_WEB,
                                       "publicKeyMultibase": multikey_of(keys.web.public_key())}],
               "assertionMethod": [ISSUER_WEB_KEY]}
    (trust / "dids" / "issuer.nqf-hub.test.json").write_text(json.dumps(did_doc, indent=2))
    edc_cert, elmo_cert = certificate(keys.edc, "EDC test issuer"), certificate(keys.elmo, "ELMO test NCP")
    (trust / "certs" / "edc-issuer.pem").write_bytes(pem(edc_cert))
    (trust / "certs" / "elmo-ncp.pem").write_bytes(pem(elmo_cert))
    authority = {
        "id": "test-authority", "name": "nqf-hub test authority (fixtures only)", "jurisdiction": "ZA",
        "source": "generated by tests/verify_fixtures.py; test keys, never trust in production",
        "issuers": [
            {"id": ISSUER_WEB, "name": "Test university (did:web)", "did_document": "dids/issuer.nqf-hub.test.json"},
            {"id": keys.p256_did, "name": "Test college (did:key, P-256)"},
            {"id": ISSUER_EDC, "name": "Test EDC issuer (X.509 seal)", "certificates": ["certs/edc-issuer.pem"]},
            {"id": "https://ncp.nqf-hub.test", "name": "Test EMREX NCP", "certificates": ["certs/elmo-ncp.pem"]},
        ]}
    (trust / "test-authority.yaml").write_text(yaml.safe_dump(authority, sort_keys=False))
    store = ContextStore(directory=trust / "contexts")
    store.add(TEST_CONTEXT_URL, json.dumps(TEST_CONTEXT, indent=2).encode())
    cache = StatusCache(status)
    cache.put(STATUS_LIST_URL, json.dumps({
        "@context": ["https://www.w3.org/ns/credentials/v2"], "id": STATUS_LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"], "issuer": ISSUER_WEB,
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": STATUS_LIST_URL + "#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": bitstring_list({REVOKED_INDEX})}}).encode())
    revoked_id = ob3_credential(ISSUER_WEB, n=4)["id"]
    cache.put(REVOCATION_LIST_URL, json.dumps({"id": REVOCATION_LIST_URL, "issuer": ISSUER_WEB,
                                               "revokedCredentials": [{"id": revoked_id,
                                                                       "revocationReason": "awarded in error"}]}).encode())
    for name, value in credentials(keys, store).items():
        data = value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
        (creds / name).write_text(data + ("\n" if isinstance(value, str) else ""), encoding="utf-8")
    from connectors.elm_edc.samples import sample_edcs
    edc = next(iter(sample_edcs(1, seed=13)))
    edc.pop("credentialStatus", None)        # the sample's list is not cached
    edc["issuer"] = {**edc["issuer"], "id": ISSUER_EDC} if isinstance(edc["issuer"], dict) else ISSUER_EDC
    (creds / "edc-jades-good.json").write_text(json.dumps(edc_envelope(keys, edc, edc_cert)))
    (creds / "edc-jades-tampered.json").write_text(json.dumps(edc_envelope(keys, edc, edc_cert, tamper=True)))
    (creds / "edc-jades-unknown-cert.json").write_text(json.dumps(
        edc_envelope(keys, edc, certificate(keys.edc, "EDC look-alike"))))
    return {"trust": trust, "status": status, "credentials": creds, "keys": keys,
            "elmo_cert": elmo_cert}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python tests/verify_fixtures.py OUTDIR")
    paths = build(sys.argv[1])
    print(json.dumps({k: str(v) for k, v in paths.items() if isinstance(v, Path)}))

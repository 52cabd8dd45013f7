"""hub.verify.Verifier over the generated fixtures: good, tampered, wrong key, revoked, unvouched."""
from __future__ import annotations

import json

import pytest

from hub.errors import DecodeError, SignatureInvalid
from hub.verify import Verifier

from .conftest import credential

EXPECTED = {   # fixture -> (status or exception, proof label prefix, data model)
    "ob3-eddsa-jcs-good.json": ("verified", "DataIntegrityProof/eddsa-jcs-2022", "VC 2.0"),
    "ob3-ecdsa-jcs-good.json": ("verified", "DataIntegrityProof/ecdsa-jcs-2019", "VC 2.0"),
    "rdf-eddsa-rdfc-good.json": ("verified", "DataIntegrityProof/eddsa-rdfc-2022", None),
    "rdf-ecdsa-rdfc-good.json": ("verified", "DataIntegrityProof/ecdsa-rdfc-2019", None),
    "ob3-vc-jwt-good.jwt": ("verified", "vc-jwt/EdDSA", "VC 2.0"),
    "ob3-vc-jwt-es256.jwt": ("verified", "vc-jwt/ES256", "VC 2.0"),
    "ob3-vc11-jwt.jwt": ("verified", "vc-jwt/EdDSA", "VC 1.1"),
    "edc-jades-good.json": ("verified", "jades/ES256", "VC 2.0"),
    "ob3-status-ok.json": ("verified", "DataIntegrityProof/eddsa-jcs-2022", "VC 2.0"),
    "ob3-revoked-bitstring.json": ("invalid", "DataIntegrityProof/eddsa-jcs-2022", "VC 2.0"),
    "ob3-revoked-1edtech.json": ("invalid", "DataIntegrityProof/eddsa-jcs-2022", "VC 2.0"),
    "ob3-unvouched.json": ("unverified", "DataIntegrityProof/eddsa-jcs-2022", "VC 2.0"),
    "edc-jades-unknown-cert.json": ("unverified", "jades/ES256", "VC 2.0"),
    "ob3-unsigned.json": ("unverified", None, "VC 2.0"),
    "ob3-eddsa-jcs-tampered.json": (SignatureInvalid, "proof", None),
    "ob3-eddsa-jcs-wrong-key.json": (SignatureInvalid, "proof", None),
    "rdf-eddsa-rdfc-tampered.json": (SignatureInvalid, "proof", None),
    "ob3-vc-jwt-tampered.jwt": (SignatureInvalid, "(root)", None),
    "edc-jades-tampered.json": (SignatureInvalid, "signatures[0]", None),
}


def test_every_generated_fixture_is_covered(signed):
    assert {p.name for p in signed["credentials"].iterdir()} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_outcome_per_fixture(signed, verifier, name):
    want, proof, model = EXPECTED[name]
    value = credential(signed, name)
    if want is SignatureInvalid:
        with pytest.raises(SignatureInvalid) as e:
            verifier.check_json(value)
        assert e.value.location.field == proof
        return
    out = verifier.check_json(value).outcome
    assert out.status == want, out.reason
    assert out.data_model == model
    assert (out.proof or None) == proof if proof is None else out.proof.startswith(proof)
    if want == "verified":
        assert out.vouched_by == "test-authority" and out.key_id


def test_revoked_names_the_list_and_unverified_says_why(signed, verifier, fx):
    out = verifier.check_json(credential(signed, "ob3-revoked-bitstring.json")).outcome
    assert out.reason == f"revoked per status list {fx.STATUS_LIST_URL}"
    out = verifier.check_json(credential(signed, "ob3-unvouched.json")).outcome
    assert "not vouched for by any authority" in out.reason


def test_reasons_never_quote_learner_data(signed, verifier):
    for name, (want, _, _) in EXPECTED.items():
        value = credential(signed, name)
        doc = value if isinstance(value, dict) else None
        try:
            text = verifier.check_json(value).outcome.reason
        except DecodeError as e:
            text = str(e)
        if doc and "credentialSubject" in doc:
            subj = doc["credentialSubject"]
            for k in ("givenName", "familyName", "dateOfBirth"):
                if subj.get(k):
                    assert subj[k] not in text, name


def test_without_a_trust_registry_good_signatures_are_only_unverified(signed):
    bare = Verifier()
    out = bare.check_json(credential(signed, "ob3-eddsa-jcs-good.json")).outcome
    assert out.status == "unverified" and "not in the trust registry" in out.reason
    # a did:key signature is still checked without any registry: verified crypto, but not vouched
    out = bare.check_json(credential(signed, "ob3-ecdsa-jcs-good.json")).outcome
    assert out.status == "unverified" and "not vouched for" in out.reason
    with pytest.raises(SignatureInvalid):     # and a did:key forgery is caught even so
        doc = credential(signed, "ob3-ecdsa-jcs-good.json")
        doc["name"] = "Forged"
        bare.check_json(doc)


def test_rdfc_needs_its_contexts_locally(signed):
    out = Verifier(registry=__import__("hub.verify.trust", fromlist=["x"]).load_trust_registry(signed["trust"])) \
        .check_json(credential(signed, "rdf-eddsa-rdfc-good.json")).outcome
    assert out.status == "unverified" and "not held in the local context store" in out.reason


def test_an_issuer_outside_its_vouching_period_is_unverified(signed, fx):
    import datetime as dt
    from hub.verify.trust import load_trust_registry
    reg = load_trust_registry(signed["trust"])
    reg.issuers[fx.ISSUER_WEB].valid_until = dt.date(2020, 1, 1)
    out = Verifier(reg).check_json(credential(signed, "ob3-eddsa-jcs-good.json")).outcome
    assert out.status == "unverified" and "on the issue date" in out.reason


def test_iss_claim_must_match_the_credential_issuer(signed, fx):
    keys = signed["keys"]
    doc = fx.ob3_credential(fx.ISSUER_WEB, n=11)
    token = fx.compact({"alg": "EdDSA", "kid": fx.ISSUER_WEB_KEY}, {"iss": "did:web:other.test", "vc": doc},
                       keys.web)
    with pytest.raises(SignatureInvalid):
        Verifier().check_json(token)


@pytest.mark.parametrize("value, field", [
    ("not-a-jwt", "(root)"),
    ("eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.", None),
    ({"payload": "e30", "signatures": []}, "signatures"),
    ({"payload": "%%%", "signatures": [{"protected": "e30", "signature": "AA"}]}, "signatures"),
])
def test_unreadable_envelopes_are_located_decode_errors(value, field):
    try:
        out = Verifier().check_json(value).outcome
    except DecodeError as e:
        assert field is None or e.location.field == field
        return
    assert out.status == "unverified"        # alg none: never accepted, never verified


def test_alg_none_and_hmac_are_never_accepted(signed, fx):
    import base64
    doc = fx.ob3_credential(fx.ISSUER_WEB, n=12)
    b = lambda x: base64.urlsafe_b64encode(json.dumps(x).encode()).rstrip(b"=").decode()
    for alg in ("none", "HS256"):
        token = f"{b({'alg': alg, 'kid': fx.ISSUER_WEB_KEY})}.{b(doc)}.AAAA"
        from hub.verify.trust import load_trust_registry
        out = Verifier(load_trust_registry(signed["trust"])).check_json(token).outcome
        assert out.status == "unverified" and "not accepted" in out.reason


def test_a_broken_seal_is_caught_even_when_its_certificate_is_not_trusted(signed, fx):
    from connectors.elm_edc.samples import sample_edcs
    keys = signed["keys"]
    edc = next(iter(sample_edcs(1, seed=2)))
    env = fx.edc_envelope(keys, edc, fx.certificate(keys.edc, "unlisted"), tamper=True)
    with pytest.raises(SignatureInvalid):
        Verifier().check_json(env)
    out = Verifier().check_json(fx.edc_envelope(keys, edc, fx.certificate(keys.edc, "unlisted"))).outcome
    assert out.status == "unverified" and out.key_id.startswith("x509-sha256:")


def test_an_rdfc_proof_does_not_cover_undefined_terms_so_they_are_not_verified(signed, verifier, fx):
    """A property the contexts do not define is dropped by JSON-LD expansion: a valid RDFC proof
    would 'verify' a document whose extra property nobody signed. The hub says unverified."""
    from hub.verify.contexts import ContextStore
    strict_ctx = {"@context": {k: v for k, v in fx.TEST_CONTEXT["@context"].items() if k != "@vocab"}}
    strict_ctx["@context"].update({"VerifiableCredential": "https://contexts.nqf-hub.test/vocab#VerifiableCredential",
                                   "DataIntegrityProof": "https://w3id.org/security#DataIntegrityProof",
                                   "credentialSubject": {"@id": "https://contexts.nqf-hub.test/vocab#credentialSubject",
                                                         "@type": "@id"}})
    url = "https://contexts.nqf-hub.test/strict.jsonld"
    store = ContextStore({url: strict_ctx})
    doc = {"@context": [url], "id": "urn:x:1", "type": ["VerifiableCredential"], "issuer": fx.ISSUER_WEB,
           "validFrom": "2026-01-15T10:00:00Z", "credentialSubject": {"id": "urn:s:1"}}
    v = Verifier(verifier.registry, contexts=store)
    good = fx.di(doc, signed["keys"].web, fx.ISSUER_WEB_KEY, "eddsa-rdfc-2022", store)
    assert v.check_json(good).outcome.status == "verified"
    smuggled = {**good, "grade": "A+"}        # undefined term added after signing
    out = v.check_json(smuggled).outcome
    assert out.status == "unverified" and "property grade is not defined" in out.reason


def test_ecdsa_p384_proofs(fx):
    """ecdsa-jcs-2019 with a P-384 did:key (SHA-384 hashes, 96-byte r||s)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from hub.verify.multikey import multikey_of
    key = fx.ec_key("nqf-hub test: P-384", ec.SECP384R1())
    did = "did:key:" + multikey_of(key.public_key())
    assert did.startswith("did:key:z82")
    doc = fx.di(fx.ob3_credential(did, n=13), key, f"{did}#{did[8:]}", "ecdsa-jcs-2019")
    out = Verifier().check_json(doc).outcome
    assert out.status == "unverified" and out.reason.startswith("signature verified")
    doc["validFrom"] = "2001-01-01T00:00:00Z"
    with pytest.raises(SignatureInvalid):
        Verifier().check_json(doc)

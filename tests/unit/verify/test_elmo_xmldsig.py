"""ELMO XML-DSig: enveloped signatures checked with signxml on the hardened parser's tree."""
from __future__ import annotations

from pathlib import Path

import pytest

from connectors.elmo.inbound import ElmoInbound
from hub.errors import DecodeError, SignatureInvalid
from hub.ingest.decoding import decode_sources
from hub.sdk.inbound import DecodeContext, Source, SourceDefaults

DATA = Path(__file__).resolve().parents[2] / "data" / "elmo"


def unsigned_elmo() -> bytes:
    candidates = sorted((DATA / "good").glob("*.xml"))
    assert candidates, "tests/data/elmo/good has no ELMO fixture"
    return candidates[0].read_bytes()


def run(verifier, path):
    ctx = DecodeContext(connector="elmo", source=SourceDefaults("emrex-ncp", "public_body", "EU"), verifier=verifier)
    return [i for i, _ in decode_sources(ElmoInbound(), [Source.from_path(path)], ctx)]


def test_signed_elmo_is_verified_with_a_registered_certificate(signed, verifier, fx, tmp_path):
    p = tmp_path / "signed.xml"
    p.write_bytes(fx.signed_elmo(signed["keys"], signed["elmo_cert"], unsigned_elmo()))
    items = run(verifier, p)
    assert items and all(not isinstance(i, DecodeError) for i in items), items
    v = items[0].event["header"]["verification"]
    assert (v["status"], v["issuer"], v["vouched_by"]) == ("verified", "https://ncp.nqf-hub.test", "test-authority")
    assert v["proof"] == "xmldsig/ecdsa-sha256" and v["data_model"] == "ELMO XML"


def test_tampered_elmo_is_one_error_with_the_file_bytes(signed, verifier, fx, tmp_path):
    p = tmp_path / "tampered.xml"
    p.write_bytes(fx.signed_elmo(signed["keys"], signed["elmo_cert"], unsigned_elmo(), tamper=True))
    (err,) = run(verifier, p)
    assert isinstance(err, SignatureInvalid) and err.raw == p.read_bytes()
    assert err.location.field == "/elmo/Signature"


def test_a_certificate_outside_the_registry_is_unverified(signed, verifier, fx, tmp_path):
    p = tmp_path / "other.xml"
    p.write_bytes(fx.signed_elmo(signed["keys"], fx.certificate(signed["keys"].elmo, "not registered"),
                                 unsigned_elmo()))
    items = run(verifier, p)
    assert items[0].event["header"]["verification"]["status"] == "unverified"
    assert "not in the trust registry" in items[0].event["header"]["verification"]["reason"]


def test_unsigned_elmo_says_so(verifier):
    items = run(verifier, sorted((DATA / "good").glob("*.xml"))[0])
    v = items[0].event["header"]["verification"]
    assert v["status"] == "unverified" and "no XML signature" in v["reason"]


def test_the_official_example_uses_sha1_and_is_not_accepted(reference, verifier):
    p = reference / "formats" / "elmo" / "v1.7.0" / "example.xml"
    if not p.is_file():
        pytest.skip("ELMO v1.7.0 example.xml not in ../shared/reference")
    items = run(verifier, p)
    decoded = [i for i in items if not isinstance(i, DecodeError)]
    assert decoded and not any(isinstance(i, SignatureInvalid) for i in items)
    v = decoded[0].event["header"]["verification"]
    assert v["status"] == "unverified" and "SHA-1" in v["reason"]

"""openbadges3 encoder: valid against the official OB3 schema, and the inbound reads it back."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from connectors._vc import canonical as c
from connectors.openbadges3 import OpenBadges3Outbound, sample_credentials
from connectors.openbadges3.inbound import CREDENTIAL_SCHEMA, OpenBadges3Inbound
from hub.errors import DecodeError, PermanentDeliveryError
from hub.ingest.decoding import decode_sources, make_context
from hub.sdk import registry
from hub.sdk.inbound import DecodeContext, Source, SourceDefaults

OB3 = Path(__file__).resolve().parents[2] / "data" / "openbadges3"
ENC = OpenBadges3Outbound()


@pytest.fixture(scope="module")
def official(reference):
    schema = json.loads((reference / "formats/openbadges3/ob_v3p0_achievementcredential_schema.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def decode_all(source: Source) -> list[dict]:
    conn = OpenBadges3Inbound()
    items = [i for i, _ in decode_sources(conn, [source], make_context(conn))]
    assert not [i for i in items if isinstance(i, DecodeError)], [str(i) for i in items]
    return [i.event for i in items]


def event(**over) -> dict:
    ctx = DecodeContext("test", SourceDefaults("test-authority", "public_body", "ZA"))
    header = ctx.header("CredentialIssued", subject="cred-1")
    base = dict(credential_id="cred-1", learner=c.learner(),
                qualification=c.qualification("48872"), issuer=c.org("provider-7"),
                awarded_on=dt.date(2024, 2, 29))
    base.update(over)
    return c.credential_issued(header, **base)


def valid(official, doc):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in official.iter_errors(doc)]
    assert not errors, errors
    assert CREDENTIAL_SCHEMA.problem(doc) is None


def good_events():
    out = []
    for p in sorted((OB3 / "good").iterdir()):
        out += decode_all(Source.from_path(p))
    data = "".join(json.dumps(d) + "\n" for d in sample_credentials(25, seed=11)).encode()
    return out + decode_all(Source(name="s.jsonl", data=data))


def test_registered_with_media_type():
    enc = registry.encoder("openbadges3")
    assert isinstance(enc, OpenBadges3Outbound)
    assert enc.media_type == "application/vc+ld+json" and enc.event_types == ("CredentialIssued",)


def test_every_decoded_fixture_encodes_valid_and_reads_back(official):
    for ev in good_events():
        doc = json.loads(ENC.encode(ev))
        valid(official, doc)
        assert "proof" not in doc
        (back,) = decode_all(Source(name="out.json", data=json.dumps(doc).encode()))
        for k in ("credential_id", "issuer", "awarded_on", "valid_until", "grade", "grading_scheme",
                  "status_ref", "credits_earned"):
            assert back[k] == ev[k], k
        q, bq = ev["qualification"], back["qualification"]
        for k in ("id", "title", "levels", "credits", "field_of_study", "awarding_body", "qualification_type"):
            assert bq[k] == q[k], k
        assert back["learner"]["email"] == ev["learner"]["email"]
        assert back["learner"]["birth_date"] == ev["learner"]["birth_date"]
        assert sorted(map(str, back["learner"]["national_ids"])) == sorted(map(str, ev["learner"]["national_ids"]))
        full = " ".join(n for n in (ev["learner"]["given_names"], ev["learner"]["family_name"]) if n) or None
        assert back["learner"]["family_name"] == full          # names travel as one 'name' identifier
        assert back["header"]["source"]["jurisdiction"] == ev["header"]["source"]["jurisdiction"]


def test_official_samples_survive_decode_encode(official, reference):
    for p in sorted((reference / "formats/openbadges3/spec_examples").glob("*.json")):
        for ev in decode_all(Source.from_path(p)):
            valid(official, json.loads(ENC.encode(ev)))


def test_minimal_event_with_non_uri_ids(official):
    doc = json.loads(ENC.encode(event()))
    valid(official, doc)
    assert doc["id"] == "urn:nqf-hub:credential:cred-1"
    assert doc["credentialSubject"]["achievement"]["id"] == "urn:nqf-hub:qualification:48872"
    assert doc["issuer"] == {"id": "urn:nqf-hub:org:provider-7", "type": ["Profile"]}
    assert doc["validFrom"] == "2024-02-29T00:00:00Z"
    assert "identifier" not in doc["credentialSubject"]


def test_free_text_type_subdivision_and_hashed_ids(official):
    ev = event(qualification=c.qualification("saqa-qual:48872", title="National Certificate: IT",
                                             qualification_type="National Certificate",
                                             levels=[{"framework": "UK-ENI-RQF", "code": "Entry 3"},
                                                     {"framework": "EQF", "code": "1"}]),
               issuer=c.org("ukprn:10000001", "Glen College", "GB-SCT"),
               learner=c.learner(given_names="Ailsa", family_name="Mac Leòid",
                                 national_ids=[{"scheme": "ob3-hash:emailAddress", "value": "sha256$abc123$pepper"},
                                               {"scheme": "za-id", "value": "8001015009087"}]))
    doc = json.loads(ENC.encode(ev))
    valid(official, doc)
    ach = doc["credentialSubject"]["achievement"]
    assert ach["achievementType"] == "ext:NationalCertificate"
    assert ach["alignment"][0]["targetUrl"] == "urn:nqf-hub:level:UK-ENI-RQF:Entry%203"
    assert doc["issuer"]["address"] == {"type": ["Address"], "addressCountryCode": "GB", "addressRegion": "GB-SCT"}
    ids = {i["identityType"]: i for i in doc["credentialSubject"]["identifier"]}
    assert ids["emailAddress"] == {"type": "IdentityObject", "identityHash": "sha256$abc123",
                                   "identityType": "emailAddress", "hashed": True, "salt": "pepper"}
    assert ids["ext:za-id"]["identityHash"] == "8001015009087" and ids["name"]["identityHash"] == "Ailsa Mac Leòid"
    (back,) = decode_all(Source(name="o.json", data=json.dumps(doc).encode()))
    assert back["issuer"]["jurisdiction"] == "GB-SCT" == back["header"]["subject_jurisdiction"]
    assert back["qualification"]["levels"] == ev["qualification"]["levels"]


def test_other_event_types_are_refused():
    ev = event()
    ev["header"]["event_type"] = "CredentialRevoked"
    with pytest.raises(PermanentDeliveryError):
        ENC.encode(ev)

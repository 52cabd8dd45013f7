"""ELMO encoder: output validates against the official ELMO v1.7 XSD and decodes back.

The official schema imports xml.xsd, xmldsig, the Europass country list and the EWP address
schema by URL. Nothing is fetched: a resolver maps the imports to the country list in
../shared/reference (present there) and to minimal stand-in schemas written to tmp_path
(xmldsig `Signature`, EWP `FlexibleAddress`, both with skip wildcards), and xml:lang to the
project's own stand-in in connectors/elmo/_schema/xml.xsd.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from connectors.elmo.outbound import RECOGNITION_NS, ElmoOutbound
from hub.errors import DecodeError, PermanentDeliveryError
from hub.ingest.decoding import decode_paths, decode_sources, make_context
from hub.sdk import registry
from hub.sdk.inbound import Source
from hub.sdk.xml import load_schema

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data"
UTC = dt.timezone.utc

DSIG_STANDIN = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
  targetNamespace="http://www.w3.org/2000/09/xmldsig#"><xs:element name="Signature"><xs:complexType>
  <xs:sequence><xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
  <xs:anyAttribute processContents="skip"/></xs:complexType></xs:element></xs:schema>"""
ADDRESS_STANDIN = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
  targetNamespace="https://github.com/erasmus-without-paper/ewp-specs-types-address/tree/stable-v1">
  <xs:complexType name="FlexibleAddress"><xs:sequence><xs:any processContents="skip" minOccurs="0"
  maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:schema>"""


@pytest.fixture(scope="module")
def official_schema(reference, tmp_path_factory):
    ref = reference / "formats" / "elmo" / "v1.7.0"
    tmp = tmp_path_factory.mktemp("elmo-standins")
    (tmp / "xmldsig.xsd").write_text(DSIG_STANDIN)
    (tmp / "address.xsd").write_text(ADDRESS_STANDIN)
    mapping = {
        "http://www.w3.org/2001/03/xml.xsd": ROOT / "connectors" / "elmo" / "_schema" / "xml.xsd",
        "https://raw.githubusercontent.com/emrex-eu/elmo-schemas/v1/references/xmldsig-core-schema.xsd":
            tmp / "xmldsig.xsd",
        "https://raw.githubusercontent.com/emrex-eu/elmo-schemas/v1/references/EUROPASS_ISOCountries_V1.1.xsd":
            ref / "EUROPASS_ISOCountries_V1.1.xsd",
        "https://raw.githubusercontent.com/erasmus-without-paper/ewp-specs-types-address/stable-v1/schema.xsd":
            tmp / "address.xsd",
    }
    schema = load_schema(ref / "schema.xsd", mapping)
    assert schema.validate(etree.parse(str(ref / "example.xml"))), "stand-ins break the example"
    return schema


def _credentials(*paths):
    return [i.event for p in paths for i, _ in decode_paths("elmo", [p])
            if not isinstance(i, DecodeError)]


def _valid(schema, xml: bytes):
    ok = schema.validate(etree.fromstring(xml))
    return ok, [f"{e.line}: {e.message}" for e in schema.error_log]


def recognition_event(**over) -> dict:
    now = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    ev = {
        "header": {"event_id": "6f1c1d1e-0000-4000-8000-000000000001",
                   "event_type": "RecognitionDecided", "occurred_at": now, "recorded_at": now,
                   "source": {"connector": "recognition", "authority": "nqf-hub",
                              "authority_type": "public_body", "jurisdiction": "IE",
                              "document_id": None, "record_ref": None},
                   "subject_jurisdiction": "IE", "trace_id": "t" * 32},
        "decision_id": "dec-1", "request_id": "req-1", "credential_id": "cred-1",
        "outcome": "RECOGNISED", "target_framework": "IE-NFQ",
        "comparable_levels": [{"framework": "IE-NFQ", "code": "9"}, {"framework": "EQF", "code": "7"}],
        "path": ["NO-NKR:7", "EQF:7", "IE-NFQ:9"],
        "reasons": [{"code": "LEVEL_MATCH", "message": "EQF 7 corresponds to NFQ 9"}],
        "requesting_partner": "ie-qqi",
        "learner": None,
        "qualification": {"id": "elmo-los:schac:uio.no:local:MAS-INF", "title": "Master of Science",
                          "levels": [{"framework": "EQF", "code": "7"}],
                          "credits": {"value": 120.0, "system": "ECTS"}, "field_of_study": "0613",
                          "awarding_body": None, "qualification_type": "Degree Programme"},
        "signature": {"alg": "Ed25519", "key_id": "k1", "value": "c2lnbmF0dXJl"},
    }
    ev.update(over)
    return ev


def test_spec_declares_both_roles():
    spec = registry.get("elmo")
    assert spec.inbound is not None and spec.encoder is not None
    assert registry.encoder("elmo").media_type == "application/xml"


def test_credentials_validate_against_official_xsd(official_schema, reference):
    evs = _credentials(DATA / "elmo" / "good" / "master_with_courses.xml",
                       DATA / "elmo" / "good" / "transcript_only_de.xml",
                       reference / "formats" / "elmo" / "v1.7.0" / "example.xml")
    assert len(evs) == 5
    enc = ElmoOutbound()
    for ev in evs:
        ok, errs = _valid(official_schema, enc.encode(ev))
        assert ok, errs


def test_minimised_learner_still_validates(official_schema):
    (ev, _) = _credentials(DATA / "elmo" / "good" / "master_with_courses.xml")
    ev["learner"] = {k: None for k in ev["learner"]} | {"national_ids": []}
    ok, errs = _valid(official_schema, ElmoOutbound().encode(ev))
    assert ok, errs


def test_recognition_decision_validates_and_carries_the_decision(official_schema):
    xml = ElmoOutbound({"hub_id": "hub.example.org", "hub_country": "IE"}).encode(recognition_event())
    ok, errs = _valid(official_schema, xml)
    assert ok, errs
    doc = etree.fromstring(xml)
    dec = doc.find(f".//{{{RECOGNITION_NS}}}recognitionDecision")
    assert dec.get("decisionId") == "dec-1" and dec.get("credentialId") == "cred-1"
    assert dec.findtext(f"{{{RECOGNITION_NS}}}outcome") == "RECOGNISED"
    assert [s.text for s in dec.iter(f"{{{RECOGNITION_NS}}}pathStep")] == ["NO-NKR:7", "EQF:7", "IE-NFQ:9"]
    ns = "{https://github.com/emrex-eu/elmo-schemas/tree/v1}"
    assert doc.findtext(f"{ns}report/{ns}issuer/{ns}identifier") == "hub.example.org"


def test_recognition_without_qualification_validates(official_schema):
    xml = ElmoOutbound().encode(recognition_event(qualification=None, signature=None,
                                                  comparable_levels=[]))
    ok, errs = _valid(official_schema, xml)
    assert ok, errs


def test_encode_then_decode_round_trips_the_credential_facts():
    (master, _) = _credentials(DATA / "elmo" / "good" / "master_with_courses.xml")
    xml = ElmoOutbound().encode(master)
    conn = registry.inbound("elmo")
    (again,) = [i.event for i, _ in decode_sources(conn, [Source(name="enc.xml", data=xml)],
                                                   make_context(conn))]
    for key in ("awarded_on", "grade", "grading_scheme", "credits_earned", "issuer"):
        assert again[key] == master[key], key
    q, q0 = again["qualification"], master["qualification"]
    assert (q["id"], q["title"], q["levels"], q["field_of_study"]) == \
        (q0["id"], q0["title"], q0["levels"], q0["field_of_study"])
    assert [(p["id"], p["parent_id"], p["credits"], p["grade"]) for p in again["parts"]] == \
        [(p["id"], p["parent_id"], p["credits"], p["grade"]) for p in master["parts"]]
    assert again["learner"] == master["learner"]


def test_encoding_is_deterministic():
    (master, _) = _credentials(DATA / "elmo" / "good" / "master_with_courses.xml")
    assert ElmoOutbound().encode(master) == ElmoOutbound().encode(master)


def test_other_event_types_are_refused():
    ev = recognition_event()
    ev["header"] = dict(ev["header"], event_type="ConsentRecorded")
    with pytest.raises(PermanentDeliveryError):
        ElmoOutbound().encode(ev)

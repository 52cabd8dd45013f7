"""elm-edc inbound: conformance kit, every real ELM/EDC sample, mapping details, limits."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from connectors.elm_edc import ElmEdcInbound
from connectors.elm_edc.inbound import ELM_SCHEMA
from hub.errors import DecodeError, InputTooLarge
from hub.ingest.decoding import decode_sources, make_context
from hub.sdk.conformance import inbound_conformance
from hub.sdk.inbound import Source
from hub.sdk.limits import Limits

ELM = Path(__file__).resolve().parents[2] / "data" / "elm-edc"

TestElmEdcConformance = inbound_conformance("elm-edc", ELM)


def decode(*sources, limits=None, **ctx_kw):
    conn = ElmEdcInbound()
    ctx = make_context(conn, **ctx_kw, **({"limits": limits} if limits else {}))
    return [item for item, _ in decode_sources(conn, list(sources), ctx)]


def events(*sources):
    items = decode(*sources)
    assert not [i for i in items if isinstance(i, DecodeError)], [str(i) for i in items]
    return [i.event for i in items]


def real_samples(reference: Path) -> list[Path]:
    d = reference / "formats" / "elm_edc"
    return sorted(d.glob("Sample-*.jsonld")) + sorted(d.glob("rdf-credential-sample.jsonld")) \
        + sorted(d.glob("ebsi_edc_schema/examples/*.json"))


def test_every_real_json_sample_decodes(reference):
    samples = real_samples(reference)
    assert len(samples) >= 5
    for p in samples:
        doc = json.loads(p.read_text(encoding="utf-8"))
        assert ELM_SCHEMA.problem(doc) is None, p.name
        evs = events(Source.from_path(p))
        issued = [e for e in evs if e["header"]["event_type"] == "CredentialIssued"]
        assert issued, p.name
        for e in issued:
            assert e["credential_id"].startswith(doc["id"]), p.name
            assert e["header"]["source"]["jurisdiction"] != "ZZ", p.name   # every sample names a country


def test_elm_v2_xml_sample_is_refused_clearly(reference):
    p = reference / "formats/elm_edc/EDC_DiplomaSupplement_AA_ELMv2.xml"
    (err,) = decode(Source.from_path(p))
    assert isinstance(err, DecodeError) and "ELM v2" in err.reason and err.location.file == str(p)


def test_micro_credential_annex1_mapping(reference):
    p = reference / "formats/elm_edc/Sample-MC-Annex1-unsigned.jsonld"
    qp, ci = events(Source.from_path(p))
    assert qp["header"]["event_type"] == "QualificationPublished"
    q = ci["qualification"]
    assert q == qp["qualification"]
    assert {"framework": "EQF", "code": "6"} in q["levels"]
    assert any(lv["framework"] == "EU-QDR" for lv in q["levels"])       # NQF level as an EU QDR concept
    assert q["credits"] == {"value": 2.0, "system": "ECTS"}
    assert q["field_of_study"] == "003"
    assert q["awarding_body"]["jurisdiction"] == "IE" and q["awarding_body"]["name"]
    assert ci["header"]["source"]["jurisdiction"] == "IE" == ci["header"]["subject_jurisdiction"]
    assert qp["attributes"]["volumeOfLearning"] == "PT60H"
    learner = ci["learner"]
    assert learner["given_names"] and learner["family_name"] and learner["email"]
    assert learner["birth_date"] == dt.date(1999, 10, 1)
    assert any(n["scheme"] == "national-id:IT" for n in learner["national_ids"])
    assert ci["grade"] is not None and ci["awarded_on"] == dt.date(2022, 12, 31)


def test_certificate_of_participation_maps_the_activity(reference):
    p = reference / "formats/elm_edc/Sample-CertOfPart-unsigned.jsonld"
    (ev,) = events(Source.from_path(p))
    assert ev["qualification"]["title"] and ev["header"]["source"]["jurisdiction"] == "BE"
    assert ev["learner"]["citizenship"] == "IT" and ev["learner"]["gender"] == "FEMALE"


def test_ebsi_example_parts_and_grading(reference):
    p = reference / "formats/elm_edc/ebsi_edc_schema/examples/DigiComp_Generic.json"
    evs = events(Source.from_path(p))
    ci = evs[-1]
    assert ci["parts"] and all(part["parent_id"] for part in ci["parts"])
    assert ci["issuer"]["jurisdiction"] == "ES" and ci["qualification"]["awarding_body"]["jurisdiction"] == "BE"
    p = reference / "formats/elm_edc/ebsi_edc_schema/examples/Microcredential_Data_and_software_business.json"
    (ci,) = events(Source.from_path(p))
    assert ci["grading_scheme"] and ci["grade"]
    assert ci["qualification"]["credits"]["system"] == "ECTS"


def test_two_achievements_in_one_credential_are_two_events_in_one_bundle():
    evs = events(Source.from_path(ELM / "good" / "two_achievements_vc11.json"))
    issued = [e for e in evs if e["header"]["event_type"] == "CredentialIssued"]
    assert len(issued) == 2 and len({e["credential_id"] for e in issued}) == 2
    doc = json.loads((ELM / "good" / "two_achievements_vc11.json").read_text(encoding="utf-8"))
    assert all(e["bundle_id"] == doc["id"] for e in issued)
    first = issued[0]
    assert {"scheme": "national-id:NL", "value": "NL-BSN-123456782"} in first["learner"]["national_ids"]
    assert first["learner"]["email"] == "fleur.bos@mail.example.org"
    (part,) = first["parts"]
    assert part["credits"] == {"value": 7.5, "system": "ECTS"} and part["grade"] == "8"
    assert {"framework": "EU-QDR", "code": "c_5f8a2c1e"} in first["qualification"]["levels"]


@pytest.mark.parametrize("name, field", [
    ("no_claims.json", "credentialSubject.hasClaim"),
    ("not_an_edc.json", "type"),
    ("credit_point_not_a_number.json", "credentialSubject.hasClaim[0].specifiedBy.creditPoint[0].point"),
    ("impossible_birth_date.json", "credentialSubject.dateOfBirth"),
])
def test_bad_fixtures_name_the_field(name, field):
    (err,) = decode(Source.from_path(ELM / "bad" / name))
    assert isinstance(err, DecodeError) and err.location.field == field and err.location.record == 1


def test_size_limits(tmp_path):
    p = tmp_path / "big.json"
    with open(p, "wb") as f:
        f.write(b'{"id": "')
        for _ in range(20):
            f.write(b"x" * (1 << 20))
        f.write(b'"}')
    (err,) = decode(Source.from_path(p))
    assert isinstance(err, InputTooLarge) and err.location.file == str(p)
    doc = json.loads((ELM / "good" / "de_bachelor.json").read_text(encoding="utf-8"))
    (err,) = decode(Source(name="s.json", data=json.dumps(doc).encode()), limits=Limits(max_string_bytes=200))
    assert isinstance(err, InputTooLarge) and err.location.field

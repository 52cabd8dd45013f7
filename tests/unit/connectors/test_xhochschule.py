"""XHochschule 1.2: award documents → CredentialIssued; real samples (enrolment certificates)."""
from __future__ import annotations

import datetime as dt
from functools import partial

import pytest

from hub.errors import DecodeError
from tests.unit.connectors import _xml_helpers as xml

DATA = xml.DATA
NAME = "xhochschule"

TestXHochschuleConformance = xml.conformance(NAME)
items = partial(xml.items, NAME)
events = partial(xml.events, NAME)


def test_avro_round_trip():
    xml.check_avro_round_trip(NAME)


def test_degree_certificate_maps_qualification_parts_and_codes():
    (ev,) = events(DATA / NAME / "good" / "hochschulabschlusszeugnis.xml")
    q = ev["qualification"]
    assert q["title"] == "Master of Science (Informatik)"
    assert q["levels"] == [{"framework": "EQF", "code": "7"}, {"framework": "ISCED-2011", "code": "767"}]
    assert q["field_of_study"] == "0613" and q["credits"] == {"value": 120.0, "system": "ECTS"}
    assert ev["issuer"] == {"id": "de-hochschulsignatur:9999",
                            "name": "Fiktive Universität Beispielstadt", "jurisdiction": "DE"}
    assert ev["awarded_on"] == dt.date(2024, 9, 30)
    assert ev["grade"] == "1,3 (magna cum laude)"
    assert ev["grading_scheme"].startswith("Deutsche Notenskala")
    parts = {p["title"]: p for p in ev["parts"]}
    assert parts["Verteilte Systeme"]["part_type"] == "Module"           # wahlpflichtmodul
    assert parts["Verteilte Systeme"]["status"] == "passed"              # bestanden
    assert parts["Klausur Verteilte Systeme"]["parent_id"] == parts["Verteilte Systeme"]["id"]
    assert parts["Masterarbeit"]["part_type"] == "Thesis"
    le = ev["learner"]
    assert (le["given_names"], le["family_name"]) == ("Lena Beispiel", "Fiktivmann")
    assert le["birth_date"] == dt.date(1999, 7, 21)
    assert ev["header"]["source"]["jurisdiction"] == "DE"


def test_transcript_keeps_unlisted_codes_as_source_text():
    (ev,) = events(DATA / NAME / "good" / "transcript_of_records.xml")
    assert ev["qualification"]["qualification_type"] == "Transcript of Records"
    assert [(p["part_type"], p["status"]) for p in ev["parts"]] == \
        [("Module", "passed"), ("Projekt", "in-progress")]
    assert ev["credits_earned"] == {"value": 6.0, "system": "ECTS"}
    assert ev["learner"]["national_ids"] == [{"scheme": "de-identifikationsnummer",
                                              "value": "FIXT-IDNR-12345"}]


def test_diploma_supplement_is_referenced():
    (ev,) = events(DATA / NAME / "good" / "diploma_supplement.xml")
    assert ev["qualification"]["levels"] == [{"framework": "EQF", "code": "7"}]
    assert ev["documents"][0]["doc_type"] == "Diploma Supplement"
    assert ev["documents"][0]["ref"].startswith("sha256:")
    assert ev["grade"] == "1,3"


SAMPLES = ["Exmatrikulationsbescheinigung", "Immatrikulationsbescheinigung",
           "ImmatrikulationsbescheinigungBaFoegP9", "Rentenbescheinigung",
           "Studienverlaufsbescheinigung"]


@pytest.mark.parametrize("sample", SAMPLES)
def test_real_samples_are_certificates_not_awards(reference, sample):
    """The official samples in ../shared are enrolment-type certificates: each gives one located
    error naming its type (so it is dead-lettered, never silently dropped), and no event."""
    path = reference / "formats" / "xhochschule" / "xml" / f"{sample}.xml"
    (err,) = items(path)
    assert isinstance(err, DecodeError) and "not an award" in err.reason
    assert err.location.line and err.location.field.startswith("/")
    text = str(err)
    assert "Duval" not in text and "123546789" not in text


@pytest.mark.parametrize("sample", SAMPLES)
def test_real_samples_share_the_building_blocks_we_read(reference, sample):
    """Student, issuing university and code elements of the real samples read as our mapping
    expects (they are the same types the award documents use)."""
    from hub.sdk.limits import Limits
    from hub.sdk.xml import parse_document
    from connectors.xhochschule._read import code_of, issuer_of, k, learner_of
    path = reference / "formats" / "xhochschule" / "xml" / f"{sample}.xml"
    root = parse_document(path.read_bytes(), Limits())
    learner, _ = learner_of(k(root, "studierender"))
    # most samples swap family and given name (noted in the reference REPORT); BAföG does not
    assert {learner["family_name"], learner["given_names"]} == {"Amélie", "Duval"}
    assert learner["birth_date"] == dt.date(2002, 4, 28)
    hs = k(root, "ausstellendeHochschule")
    if hs is not None:
        assert issuer_of(hs)["id"] == "de-hochschulsignatur:1440"
    fach = root.find(".//{http://xhochschule.de/def/xhochschule/1.2/xsd}studienfach")
    assert code_of(k(fach, "schluesselEQF")) == "6"
    assert code_of(k(fach, "schluesselISCEDF2013")) == "0610"

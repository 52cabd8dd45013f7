"""EU accreditation XML (AMS/QMS): streamed accreditations → AccreditationChanged; real sample."""
from __future__ import annotations

import datetime as dt
from functools import partial

from hub.errors import DecodeError
from tests.unit.connectors import _xml_helpers as xml

DATA = xml.DATA
NAME = "eu-qms"

TestEuQmsConformance = xml.conformance(NAME)
items = partial(xml.items, NAME)
events = partial(xml.events, NAME)


def test_avro_round_trip():
    xml.check_avro_round_trip(NAME)


def test_institutional_and_programme_accreditations():
    inst, prog = events(DATA / NAME / "good" / "accreditations.xml")
    assert inst["subject_type"] == "institution"
    assert inst["subject_id"] == "qms-org:http://qa.example.nl/org/FICT-UNI"
    assert inst["accreditor"] == {"id": "qms-org:http://qa.example.nl/org/AGENCY",
                                  "name": "Fictional Accreditation Organisation", "jurisdiction": "NL"}
    assert inst["status"] == "ACCREDITED"
    assert (inst["valid_from"], inst["valid_until"], inst["decided_on"]) == \
        (dt.date(2023, 7, 1), dt.date(2029, 6, 30), dt.date(2023, 7, 1))
    assert "review date: 2028-07-01" in inst["scope"] and "NLD_PRV_ZH" in inst["scope"]
    assert inst["header"]["source"]["jurisdiction"] == "NL"
    assert prog["subject_type"] == "programme" and prog["status"] == "CONDITIONAL"
    assert prog["qualification"]["title"] == "MSc Data Science"
    assert prog["qualification"]["levels"] == [{"framework": "EQF", "code": "7"}]
    assert prog["qualification"]["field_of_study"] == "0542"
    assert prog["valid_from"] == dt.date(2025, 1, 1)
    assert prog["institution"]["name"] == "Fictional University"


def test_bad_records_are_located_and_the_rest_decodes():
    got = items(DATA / NAME / "bad" / "bad_records.xml")
    errors = [i for i in got if isinstance(i, DecodeError)]
    assert [e.location.record for e in errors] == [1, 2]
    ok = [i.event for i in got if not isinstance(i, DecodeError)]
    assert [e["status"] for e in ok] == ["WITHDRAWN"]


def test_real_sample(reference):
    evs = events(reference / "formats" / "elm_edc" / "xsd_ams" / "ams.xml")
    assert [e["accreditation_id"] for e in evs] == ["qms:http://ACCRED-01", "qms:http://ACCRED-02"]
    assert all(e["accreditor"]["id"] == "qms-org:http://ORG-02" for e in evs)
    assert all(e["institution"]["id"] == "qms-org:http://ORG-01" for e in evs)
    assert evs[1]["valid_until"] == dt.date(2024, 1, 31)
    assert "EQF levels: 1, 7" in evs[1]["scope"]


def test_pyxb_bindings_bind_one_record(reference):
    from lxml import etree
    import connectors.eu_qms._bindings  # noqa: F401  (quiets pyxb)
    from connectors.eu_qms._bindings import ams_v3
    doc = etree.parse(str(DATA / NAME / "good" / "accreditations.xml"))
    acc = doc.getroot().find(".//{http://data.europa.eu/snb/model/ap/ams-constraints/}accreditation")
    bound = ams_v3.CreateFromDocument(etree.tostring(acc))
    assert str(bound.accreditingAgent.idref) == "http://qa.example.nl/org/AGENCY"
    assert bound.expiryDate.year == 2029

"""EU QDR (LOQ XML): streamed qualifications → QualificationPublished; real sample; pyxb path."""
from __future__ import annotations

import datetime as dt
from functools import partial

from hub.errors import DecodeError
from tests.unit.connectors import _xml_helpers as xml

DATA = xml.DATA
NAME = "eu-qdr"

TestEuQdrConformance = xml.conformance(NAME)
items = partial(xml.items, NAME)
events = partial(xml.events, NAME)


def test_avro_round_trip():
    xml.check_avro_round_trip(NAME)


def test_levels_credits_and_awarding_body():
    ie, de = events(DATA / NAME / "good" / "two_registers.xml")
    assert ie["qualification"]["levels"] == [{"framework": "EQF", "code": "6"},
                                             {"framework": "IE-NFQ", "code": "8"}]
    assert ie["qualification"]["credits"] == {"value": 240.0, "system": "ECTS"}
    assert ie["qualification"]["awarding_body"]["jurisdiction"] == "IE"
    assert ie["header"]["source"]["jurisdiction"] == "IE"
    assert ie["header"]["source"]["authority"] == "eu-qdr"
    assert ie["header"]["source"]["authority_type"] == "public_authority"
    assert ie["valid_from"] == dt.date(2015, 9, 1) and ie["status"] == "released"
    assert ie["attributes"]["volume_of_learning"] == "P4Y"
    assert de["qualification"]["levels"] == [{"framework": "EQF", "code": "4"},
                                             {"framework": "DE-DQR", "code": "4"}]
    assert de["qualification"]["credits"] == {"value": 30.5, "system": "ECVET"}
    assert de["qualification"]["qualification_type"] == "Partial qualification"
    assert de["attributes"]["nqf_unmapped"].endswith("c_00000000")
    assert de["attributes"]["isced_f_all"] == "0612,0613"


def test_bad_records_are_located_and_the_rest_decodes():
    got = items(DATA / NAME / "bad" / "bad_records.xml")
    errors = [i for i in got if isinstance(i, DecodeError)]
    assert [e.location.record for e in errors] == [1, 2, 2]
    assert errors[2].location.field.endswith("qualification[2]/NQFLevel")
    assert [i.event["qualification"]["title"] for i in got if not isinstance(i, DecodeError)] == ["Fine"]


def test_pyxb_binding_gives_the_same_events():
    paths = [DATA / NAME / "good" / "two_registers.xml"]
    a, b = events(*paths), events(*paths, options={"binding": "pyxb"})
    for x, y in zip(a, b, strict=True):
        for h in (x["header"], y["header"]):    # no `modified` in a record: timestamps are "now"
            h.pop("recorded_at"), h.pop("occurred_at")
        assert x == y


def test_real_sample(reference):
    path = reference / "formats" / "elm_edc" / "xsd_loq" / "loq.xml"
    evs = events(path)
    assert [e["qualification"]["id"] for e in evs] == ["qdr:http://Q-01", "qdr:http://Q-02"]
    q1 = evs[0]["qualification"]
    assert {"framework": "EQF", "code": "2"} in q1["levels"]
    assert {"framework": "IE-NFQ", "code": "2"} in q1["levels"]          # c_060f2f91
    assert evs[0]["attributes"]["nqf_frameworks"] == "IE-NFQ"             # c_01169e3f
    assert q1["awarding_body"]["id"] == "qdr-org:http://ORG-01"
    # random-string credit points in the generated sample are kept, not guessed
    assert "credit_points_unparsed:ECTS" in evs[0]["attributes"]
    again = events(path, options={"binding": "pyxb"})
    assert [e["qualification"] for e in again] == [e["qualification"] for e in evs]


def test_every_nqf_concept_of_the_code_list_is_classified(reference):
    import re
    from connectors.eu_qdr.frameworks import nqf_level
    text = (reference / "formats" / "elm_edc" / "xsd_loq" / "cv" / "nqf.xsd").read_text("utf-8")
    uris = re.findall(r'value="(http://data\.europa\.eu/snb/qdr/c_[0-9a-f]+)"', text)
    assert len(uris) == 424
    assert all(nqf_level(u) is not None for u in uris)
    assert nqf_level("http://data.europa.eu/snb/qdr/c_218a7e54") == ("IE-NFQ", "8", "IE")


def test_country_table_covers_the_eu_country_list(reference):
    import re
    from connectors.eu_qdr.countries import alpha2
    text = (reference / "formats" / "elm_edc" / "xsd_loq" / "cv" / "country.xsd").read_text("utf-8")
    codes = re.findall(r'country/([A-Z0-9_]+)"', text)
    missing = [c for c in codes if alpha2(c) is None]
    assert missing == ["CPT", "EUR", "OP_DATPRO"]   # Clipperton, Europe as a whole, a placeholder
    mapped = [alpha2(c) for c in codes if alpha2(c)]
    assert len(set(mapped)) == len(mapped)          # one country per code
    europass = (reference / "formats" / "elmo" / "v1.7.0" / "EUROPASS_ISOCountries_V1.1.xsd").read_text("utf-8")
    valid = set(re.findall(r"value='([A-Z]{2})'", europass))
    for a3 in ("DEU", "IRL", "NLD", "NOR", "POL", "GBR", "CHE", "ZAF"):
        assert alpha2(a3) in valid

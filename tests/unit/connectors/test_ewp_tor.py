"""EWP Transcript of Records get-response: one ELMO per mobility, mobility id as document id."""
from __future__ import annotations

from functools import partial

from hub.errors import DecodeError
from tests.unit.connectors import _xml_helpers as xml

DATA = xml.DATA
EWP_NS = ("https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tors/blob/stable-v2/"
          "endpoints/get-response.xsd")

TestEwpTorConformance = xml.conformance("ewp-tor")
items = partial(xml.items, "ewp-tor")


def test_avro_round_trip():
    xml.check_avro_round_trip("ewp-tor")


def test_each_mobility_keeps_its_id_as_document_id():
    evs = [i.event for i in items(DATA / "ewp-tor" / "good" / "two_mobilities.xml")]
    assert [e["header"]["source"]["document_id"] for e in evs] == \
        ["OMOB-2024-000017", "OMOB-2024-000018"]
    first = evs[0]
    assert first["header"]["source"]["connector"] == "ewp-tor"
    assert first["parts"][0]["id"] == "elmo-los:schac:uio.no:ewp-los-id:CR/INF3490"
    assert first["learner"]["national_ids"][0]["scheme"] == "esi"


def test_a_bad_tor_does_not_stop_the_next_ones():
    got = items(DATA / "ewp-tor" / "bad" / "tor_problems.xml")
    errors = [i for i in got if isinstance(i, DecodeError)]
    events = [i for i in got if not isinstance(i, DecodeError)]
    assert [e.location.record for e in errors] == [1, 2]
    assert errors[1].location.field == "/imobility-tors-get-response/tor[2]/elmo/learner"
    assert [e.event["header"]["source"]["document_id"] for e in events] == ["OMOB-OK-3"]


def test_official_elmo_example_inside_an_ewp_response(reference, tmp_path):
    """The EWP example response is not in ../shared; wrap the official ELMO example instead."""
    elmo = reference.joinpath("formats", "elmo", "v1.7.0", "example.xml").read_text("utf-8")
    elmo = elmo[elmo.index("<elmo"):]
    doc = (f'<imobility-tors-get-response xmlns="{EWP_NS}"><tor><omobility-id>M-1</omobility-id>'
           f"{elmo}</tor><tor><omobility-id>M-2</omobility-id>{elmo}</tor>"
           "</imobility-tors-get-response>")
    p = tmp_path / "response.xml"
    p.write_text(doc, "utf-8")
    got = items(p)
    assert not [i for i in got if isinstance(i, DecodeError)]
    assert [i.event["header"]["source"]["document_id"] for i in got] == ["M-1", "M-1", "M-2", "M-2"]
    ids = [i.event["header"]["event_id"] for i in got]
    assert len(set(ids)) == 4


def test_the_get_response_schema_file_is_the_official_one_we_follow(reference):
    xsd = reference.joinpath("formats", "ewp_imobility_tors", "get-response.xsd").read_text("utf-8")
    assert 'name="omobility-id"' in xsd and 'ref="emrex:elmo"' in xsd and EWP_NS in xsd


def test_pyxb_bindings_bind_the_wrapper():
    import connectors.ewp_tor._bindings  # noqa: F401  (quiets pyxb)
    from connectors.ewp_tor._bindings import ewp_tor_v2
    doc = ewp_tor_v2.CreateFromDocument(
        (DATA / "ewp-tor" / "good" / "two_mobilities.xml").read_bytes())
    assert [t.omobility_id for t in doc.tor] == ["OMOB-2024-000017", "OMOB-2024-000018"]

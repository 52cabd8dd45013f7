"""elm encoder: every output valid against the official EBSI EDC schema (local $refs only)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from urllib.parse import urljoin

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from connectors._vc import canonical as c
from connectors.elm_edc import ElmEdcInbound, ElmOutbound
from connectors.elm_edc.samples import sample_edcs
from hub.errors import DecodeError, PermanentDeliveryError
from hub.ingest.decoding import decode_paths, decode_sources, make_context
from hub.sdk import registry
from hub.sdk.inbound import DecodeContext, Source, SourceDefaults

DATA = Path(__file__).resolve().parents[2] / "data"
ENC = ElmOutbound()


@pytest.fixture(scope="module")
def ebsi(reference):
    """The EBSI EDC schema with its attestation-schema $ref resolved from the local copy."""
    base = reference / "formats/elm_edc/ebsi_edc_schema"
    main = json.loads((base / "schema.json").read_text(encoding="utf-8"))
    att = json.loads((base / "vcdm2.0-attestation-schema/schema.json").read_text(encoding="utf-8"))

    def no_network(uri):
        raise LookupError(f"refusing to fetch {uri}")

    reg = Registry(retrieve=no_network).with_resources([
        (main["$id"], Resource.from_contents(main, DRAFT202012)),
        (urljoin(main["$id"], "./vcdm2.0-attestation-schema/schema.json"), Resource.from_contents(att, DRAFT202012)),
    ])
    v = jsonschema.Draft202012Validator(main, registry=reg)
    for ex in (base / "examples").glob("*.json"):    # the official examples pass: the setup is right
        assert v.is_valid(json.loads(ex.read_text(encoding="utf-8"))), ex.name
    return v


def check(v, doc):
    errors = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in v.iter_errors(doc)]
    assert not errors, errors[:5]


def issued_events():
    evs = []
    for name in ("openbadges3", "clr2", "elm-edc"):
        d = DATA / ("elm-edc" if name == "elm-edc" else name) / "good"
        evs += [i.event for i, _ in decode_paths(name, [d]) if not isinstance(i, DecodeError)
                and i.event["header"]["event_type"] == "CredentialIssued"]
    return evs


def test_registered_as_the_elm_encoder():
    enc = registry.encoder("elm")
    assert isinstance(enc, ElmOutbound) and enc.media_type == "application/ld+json"
    assert registry.get("elm").roles == ["encoder"]


def test_every_fixture_event_encodes_to_a_valid_edc(ebsi):
    evs = issued_events()
    assert len(evs) > 15
    for ev in evs:
        doc = json.loads(ENC.encode(ev))
        check(ebsi, doc)
        assert "proof" not in doc


def test_real_samples_survive_decode_encode(ebsi, reference):
    d = reference / "formats/elm_edc"
    paths = sorted(d.glob("Sample-*.jsonld")) + sorted((d / "ebsi_edc_schema/examples").glob("*.json"))
    for item, _ in decode_paths("elm-edc", paths):
        if item.event["header"]["event_type"] == "CredentialIssued":
            check(ebsi, ENC.credential(item.event))


def test_encode_then_decode_keeps_the_mapped_facts():
    conn = ElmEdcInbound()
    for ev in issued_events():
        data = ENC.encode(ev)
        items = [i for i, _ in decode_sources(conn, [Source(name="x.json", data=data)], make_context(conn))]
        back = [i.event for i in items if i.event["header"]["event_type"] == "CredentialIssued"][0]
        assert back["credential_id"] == ev["credential_id"] or back["credential_id"].startswith("urn:nqf-hub:")
        for k in ("awarded_on", "valid_until", "grade", "grading_scheme", "credits_earned", "status_ref"):
            assert back[k] == ev[k], k
        q, bq = ev["qualification"], back["qualification"]
        key = lambda lv: (lv["framework"], lv["code"])  # noqa: E731
        assert sorted(bq["levels"], key=key) == sorted(q["levels"], key=key) and bq["credits"] == q["credits"]
        assert bq["field_of_study"] == q["field_of_study"] and bq["title"] == (q["title"] or q["id"])
        assert back["issuer"]["jurisdiction"] == ev["issuer"]["jurisdiction"]
        for k in ("given_names", "family_name", "birth_date", "email"):
            assert back["learner"][k] == ev["learner"][k], k
        assert len(back["parts"]) == len(ev["parts"])


def test_minimal_event_and_unknown_country(ebsi):
    ctx = DecodeContext("t", SourceDefaults("a", "private", "ZZ"))
    ev = c.credential_issued(ctx.header("CredentialIssued", subject="c-9"), credential_id="c-9",
                             learner=c.learner(), qualification=c.qualification("q 1"),
                             issuer=c.org("org-1"), awarded_on=dt.date(2021, 7, 1))
    doc = ENC.credential(ev)
    check(ebsi, doc)
    assert doc["id"] == "urn:nqf-hub:credential:c-9"
    assert doc["issuer"]["location"][0]["address"][0]["countryCode"]["prefLabel"] == {"en": ["unknown"]}


def test_sample_edcs_are_valid(ebsi):
    for doc in sample_edcs(15, seed=2):
        check(ebsi, doc)


def test_other_event_types_are_refused():
    with pytest.raises(PermanentDeliveryError):
        ENC.encode({"header": {"event_type": "QualificationPublished"}})

"""ofqual-register: conformance, mapping, accepted shapes, limits, and the register API models
documented in ../shared/reference/formats/ofqual_register/README.md (read, never copied)."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from connectors.ofqual_register import OfqualRegisterInbound
from connectors.ofqual_register._mapping import (ORGANISATION_DROPPED, ORGANISATION_FIELDS,
                                                 QUALIFICATION_DROPPED, QUALIFICATION_FIELDS)
from hub.errors import DecodeError
from hub.ingest.decoding import decode_sources, make_context
from hub.sdk.conformance import inbound_conformance
from hub.sdk.inbound import Source
from hub.sdk.limits import Limits

DATA = Path(__file__).resolve().parents[2] / "data" / "ofqual-register"

TestOfqualRegisterConformance = inbound_conformance("ofqual-register", DATA)


def decode(*sources, **kw):
    conn = OfqualRegisterInbound()
    ctx = make_context(conn, **kw)
    items = [i for i, _ in decode_sources(conn, list(sources), ctx)]
    return ([i.event for i in items if not isinstance(i, DecodeError)],
            [i for i in items if isinstance(i, DecodeError)])


def file(name):
    return Source.from_path(DATA / "good" / name)


def body(obj, name="upload.json"):
    return Source(name=name, data=json.dumps(obj).encode())


def test_avro_round_trip_of_every_good_fixture():
    from hub.serde import default_serde
    serde = default_serde()
    for p in sorted((DATA / "good").iterdir()):
        events, errors = decode(Source.from_path(p))
        assert not errors
        for ev in events:
            back = serde.decode(serde.encode(ev))[1]
            assert back == ev, p.name


# ---- mapping ---------------------------------------------------------------------------------
def test_single_qualification_mapping():
    (ev,), errors = decode(file("qualification_603-1234-5.json"))
    assert not errors
    q = ev["qualification"]
    assert q["id"] == "ofqual-qual:603/1234/5"
    assert q["levels"] == [{"framework": "UK-ENI-RQF", "code": "3"}, {"framework": "EQF", "code": "4"}]
    assert q["awarding_body"] == {"id": "ofqual-org:RN5999", "name": "Sample Awards", "jurisdiction": "GB"}
    assert q["qualification_type"] == "Vocationally-Related Qualification"
    assert q["credits"] is None
    assert ev["status"] == "Available to learners"
    assert ev["valid_from"] == dt.date(2018, 9, 1) and ev["valid_until"] == dt.date(2028, 8, 31)
    a = ev["attributes"]
    assert (a["glh"], a["tqt"], a["last_enrolment"]) == ("1080", "1200", "2026-08-31")
    assert a["offered_in_england"] == "true" and "offered_internationally" not in a
    assert "organisation_id" not in a and "level_id" not in a
    h = ev["header"]
    assert h["source"]["jurisdiction"] == "GB" and h["source"]["authority"] == "gb-ofqual"
    assert h["occurred_at"] == dt.datetime(2024, 3, 11, 10, 15, tzinfo=dt.timezone.utc)


def test_page_entry_level_level_ranges_and_number_forms():
    events, _ = decode(file("qualifications_page.json"))
    entry, gcse, l7 = (e["qualification"] for e in events)
    assert entry["levels"][0] == {"framework": "UK-ENI-RQF", "code": "Entry 3"}
    assert entry["credits"] == {"value": 6.0, "system": "UK-RQF"}
    assert [x["code"] for x in gcse["levels"]] == ["1", "2"]
    assert gcse["awarding_body"]["id"] == "ofqual-org:RN5999"          # '5999' -> 'RN5999'
    assert l7["id"] == "ofqual-qual:610/9999/0"                          # no obliques -> obliques
    assert events[0]["attributes"]["assessment_methods"] == \
        "Portfolio of Evidence; Practical Demonstration/Assignment"


def test_organisation_gives_institution_and_recognitions():
    events, _ = decode(file("organisation_RN5999.json"))
    inst, ofqual, ccea = events
    assert inst["institution"]["id"] == "ofqual-org:RN5999"
    assert {"scheme": "ukprn", "value": "10099999"} in inst["identifiers"]
    assert "contact_email" not in inst["attributes"]
    assert "register-contact@awards.example" not in json.dumps(inst, default=str)
    assert (ofqual["accreditor"]["jurisdiction"], ofqual["status"]) == ("GB-ENG", "ACCREDITED")
    assert (ccea["accreditor"]["jurisdiction"], ccea["valid_from"]) == ("GB-NIR", dt.date(2012, 6, 15))


def test_surrendered_recognition_is_withdrawn():
    events, _ = decode(file("organisations_page.json"))
    feb = [e for e in events if e["header"]["event_type"] == "AccreditationChanged"
           and e["subject_id"] == "ofqual-org:RN5100"][0]
    assert feb["status"] == "WITHDRAWN" and feb["valid_until"] == dt.date(2019, 12, 31)
    assert "surrendered" in feb["scope"]


def test_jsonl_streams_and_locates_bad_lines():
    events, errors = decode(Source.from_path(DATA / "bad" / "bad_lines.jsonl"))
    assert len(events) == 1
    assert [(e.location.line, e.location.field) for e in errors] == [(2, None), (3, "EQFLevel")]


def test_bad_records_are_located_and_the_rest_continues():
    events, errors = decode(Source.from_path(DATA / "bad" / "bad_records.json"))
    assert events == []
    assert [(e.location.record, e.location.field) for e in errors] == [
        (1, "QualificationNumber"), (2, "Level"), (3, "OperationalStartDate"), (4, "GLH"),
        (5, "QualificationNumber"), (6, "Ukprn"), (7, None)]
    text = " ".join(str(e) for e in errors)
    for value in ("Level 9", "31/08/2020", "one hundred", "not-a-number", "RN7000"):
        assert value not in text


def test_document_size_limit():
    big = body({"Results": [{"QualificationNumber": "603/0000/0", "Title": "x" * 2000}] * 20})
    _, errors = decode(big, limits=Limits(max_document_bytes=10_000))
    assert len(errors) == 1 and "limit" in errors[0].reason


def test_depth_limit():
    deep = {"QualificationNumber": "603/0000/0", "Title": "t", "Pathways": None}
    nest = deep
    for _ in range(80):
        nest["x"] = {}
        nest = nest["x"]
    _, errors = decode(body(deep))
    assert errors and "nesting" in errors[0].reason


def test_jsonl_line_limit(tmp_path):
    p = tmp_path / "dump.jsonl"
    p.write_text(json.dumps({"QualificationNumber": "603/0000/0", "Title": "y" * 5000}) + "\n"
                 + json.dumps({"QualificationNumber": "603/0000/1", "Title": "ok"}) + "\n")
    events, errors = decode(Source.from_path(p), limits=Limits(max_line_bytes=1000))
    assert len(events) == 1 and errors[0].location.line == 1


# ---- the register API models (reference README) --------------------------------------------------
def _readme_examples(reference) -> list[dict]:
    text = (reference / "formats" / "ofqual_register" / "README.md").read_text()
    blocks, current = [], None
    for line in text.splitlines():
        if line.lstrip("> ").startswith("```"):
            if current is None:
                current = []
            else:
                blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    out = []
    for block in blocks:
        if not block.lstrip().startswith("{"):
            continue
        cleaned = re.sub(r"[ \t]+//[ \t][^\n]*", "", block)    # ' // String' annotations (not URLs)
        cleaned = re.sub(r",?\s*\.{3,}\s*", "", cleaned)         # '....' elisions
        cleaned = re.sub(r",(\s*[}\]])", r"\1", cleaned)
        try:
            out.append(json.loads(cleaned))
        except json.JSONDecodeError:
            continue                                             # the scopes example is cut short
    return out


def _records(doc: dict) -> list[dict]:
    low = {k.lower(): v for k, v in doc.items()}
    return low["results"] if "results" in low else [doc]


def test_every_field_of_the_register_models_is_mapped_or_dropped_on_purpose(reference):
    examples = _readme_examples(reference)
    assert len(examples) >= 6
    known_q = {k.lower() for k in QUALIFICATION_FIELDS | QUALIFICATION_DROPPED}
    known_o = {k.lower() for k in ORGANISATION_FIELDS | ORGANISATION_DROPPED}
    seen_q = seen_o = 0
    for doc in examples:
        for rec in _records(doc):
            keys = {k.lower() for k in rec}
            if "qualificationnumber" in keys:
                seen_q += 1
                assert keys <= known_q, sorted(keys - known_q)
            elif "recognitionnumber" in keys:
                seen_o += 1
                assert keys <= known_o, sorted(keys - known_o)
    assert seen_q >= 4 and seen_o >= 4


def test_register_api_examples_decode(reference):
    examples = _readme_examples(reference)
    for i, doc in enumerate(examples):
        if not any(k.lower() in ("results", "qualificationnumber", "recognitionnumber") for k in doc):
            continue
        events, errors = decode(body(doc, name=f"readme-example-{i}.json"))
        # the README's placeholder organisation 'ABC123' / 'XYZ456' are not RN numbers but are
        # accepted as given; every example must decode without error
        assert not errors, [str(e) for e in errors]
        assert events

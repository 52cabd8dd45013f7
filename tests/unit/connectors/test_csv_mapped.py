"""csv (declarative mappings): conformance for both shipped mappings, mapping selection, the
mapping schema and its all-problems-at-once validation, transforms, streaming limits."""
from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest

from connectors.csv_mapped import CsvInbound, load_mapping
from connectors.csv_mapped import _transforms as tr
from hub.errors import DecodeError, MappingFileError
from hub.ingest.decoding import decode_sources, make_context, sources_for
from hub.sdk.conformance import inbound_conformance
from hub.sdk.inbound import Source
from hub.sdk.limits import Limits

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "csv"
MAPPINGS = ROOT / "mappings" / "fields"
NAD = "in-nad-award-upload"
SAQA = "za-saqa-qualification-register"


TestCsvNadConformance = inbound_conformance("csv", DATA / "nad", options={"mapping": NAD})
TestCsvSaqaRegisterConformance = inbound_conformance("csv", DATA / "saqa-register",
                                                     options={"mapping": SAQA})


def run(paths, mapping=None, **kw):
    conn = CsvInbound()
    ctx = make_context(conn, options={"mapping": mapping} if mapping else {}, **kw)
    items = [i for i, _ in decode_sources(conn, sources_for(conn, paths), ctx)]
    return ([i.event for i in items if not isinstance(i, DecodeError)],
            [i for i in items if isinstance(i, DecodeError)])


def test_avro_round_trip_of_both_mappings():
    from hub.serde import default_serde
    serde = default_serde()
    for mapping, p in ((NAD, DATA / "nad" / "good"), (SAQA, DATA / "saqa-register" / "good")):
        events, errors = run([p], mapping=mapping)
        assert events and not errors
        for ev in events:
            back = serde.decode(serde.encode(ev))[1]
            assert back == ev


# ---- mapping selection -------------------------------------------------------------------------
def test_first_yaml_path_selects_the_mapping():
    events, errors = run([MAPPINGS / f"{NAD}.yaml", DATA / "nad" / "good" / "awards_2024.csv"])
    assert len(events) == 2 and not errors


def test_convert_command_with_mapping_path_and_without(tmp_path):
    from click.testing import CliRunner

    from hub.cli.convert import cli
    ok = CliRunner().invoke(cli, ["csv", str(MAPPINGS / f"{SAQA}.yaml"),
                                  str(DATA / "saqa-register" / "good" / "registered_qualifications.csv")])
    assert ok.exit_code == 0 and len(ok.stdout.splitlines()) == 4
    none = CliRunner().invoke(cli, ["csv", str(DATA / "saqa-register" / "good" / "registered_qualifications.csv")])
    assert none.exit_code == 1 and "no CSV mapping selected" in none.output and NAD in none.output


def test_unknown_mapping_name_lists_the_known_ones():
    with pytest.raises(MappingFileError) as e:
        run([DATA / "nad" / "good"], mapping="no-such-mapping")
    assert NAD in str(e.value) and SAQA in str(e.value)


def test_mapping_defaults_apply_unless_the_caller_names_the_source():
    events, _ = run([DATA / "nad" / "good"], mapping=NAD)
    assert events[0]["header"]["source"]["authority"] == "in-nad"
    assert events[0]["header"]["source"]["jurisdiction"] == "IN"
    events, _ = run([DATA / "nad" / "good"], mapping=NAD, authority="in-esu", jurisdiction="IN-KA")
    src = events[0]["header"]["source"]
    assert (src["authority"], src["jurisdiction"], src["authority_type"]) == ("in-esu", "IN-KA", "public_body")


# ---- the two shipped mappings --------------------------------------------------------------------
def test_nad_mapping():
    conn = CsvInbound()
    ctx = make_context(conn, options={"mapping": NAD})
    items = list(conn.decode(Source.from_path(DATA / "nad" / "good" / "awards_2024.csv"), ctx))
    a, b = (i.event for i in items)
    assert conn.last_summary["filtered_out"] == 1                      # the FAIL row
    assert a["credential_id"] == "nad-cert:example-state-university:ESU-C-000042"
    assert (a["learner"]["given_names"], a["learner"]["family_name"]) == ("Asha Kumari", "Example")
    assert a["learner"]["birth_date"] == dt.date(2003, 3, 14)
    assert b["learner"]["birth_date"] == dt.date(2002, 11, 2)           # DD-MM-YYYY also accepted
    assert a["learner"]["national_ids"][0] == {"scheme": "in-abc", "value": "123456789012"}
    assert a["awarded_on"] == dt.date(2024, 7, 15) and a["grade"] == "8.1"
    assert a["credits_earned"] == {"value": 132.0, "system": "NCrF"}
    assert [p["title"] for p in a["parts"]] == ["Quantum Mechanics", "Solid State Physics"]
    assert a["parts"][0]["credits"] == {"value": 4.0, "system": "NCrF"}
    assert b["parts"] == []
    assert a["header"]["subject_jurisdiction"] == "IN"
    text = json.dumps(a, default=str)
    assert "Father Example" not in text and "Mother Example" not in text


def test_saqa_register_mapping_levels_and_constants():
    events, _ = run([DATA / "saqa-register" / "good"], mapping=SAQA)
    by_id = {e["qualification"]["id"]: e for e in events}
    assert by_id["saqa-qual:58761"]["qualification"]["levels"] == [
        {"framework": "ZA-NQF", "code": "7"}, {"framework": "ZA-NQF-pre2009", "code": "6"}]
    legacy = by_id["saqa-qual:23833"]
    assert legacy["qualification"]["levels"] == [{"framework": "ZA-NQF-pre2009", "code": "4"}]
    assert legacy["attributes"]["nqf_level_as_published"] == "Level TBA: Pre-2009 was L4"
    assert legacy["valid_until"] == dt.date(2012, 6, 30)
    assert by_id["saqa-qual:48872"]["qualification"]["credits"] == {"value": 120.0, "system": "SAQA"}
    assert by_id["saqa-qual:48872"]["header"]["occurred_at"] == dt.datetime(2024, 7, 1, tzinfo=dt.timezone.utc)


def test_constant_only_objects_are_dropped(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text("SAQA QUAL ID,QUALIFICATION TITLE,NQF LEVEL,REGISTRATION STATUS,MINIMUM CREDITS,ORIGINATOR\n"
                 "1,T,NQF Level 05,Registered,,\n")
    (ev,), errors = run([p], mapping=SAQA)
    assert not errors
    assert ev["qualification"]["credits"] is None                        # system const alone
    assert ev["qualification"]["awarding_body"] is None                  # jurisdiction const alone


def test_bad_rows_are_located_by_column_and_never_quote_values():
    events, errors = run([DATA / "nad" / "bad" / "awards_bad.csv"], mapping=NAD)
    assert len(events) == 1
    got = [(e.location.record, e.location.line, e.location.field) for e in errors]
    assert got == [(1, 2, "DOB"), (2, 3, "GENDER"), (3, 4, "CERT_NO"), (4, 5, "TOT_CREDIT"),
                   (5, 6, "(row)"), (6, 7, "ABC_ACCOUNT_ID"), (7, 8, "SUB1")]
    text = " ".join(str(e) for e in errors)
    for v in ("31/02/2003", "Badbirth", "Kiran", "lots", "12AB", "ESU2021"):
        assert v not in text


# ---- the mapping schema and checks ---------------------------------------------------------------
def write_mapping(tmp_path, body: str, name="test-map") -> Path:
    p = tmp_path / f"{name}.yaml"
    p.write_text(textwrap.dedent(body))
    return p


def test_every_problem_is_reported_at_once(tmp_path):
    p = write_mapping(tmp_path, """
        mapping: other-name
        title: Broken
        event_type: CredentialIssued
        defaults: {authority: x, authority_type: private, jurisdiction: ZA}
        fields:
          - {target: learner.no_such_field, column: A}
          - {target: learner.national_ids, column: B}
          - {target: header.event_id, column: C}
          - {target: grade, column: D, transforms: [{lookup: missing}]}
          - {target: awarded_on, column: E, transforms: [{date: "DD/MM"}]}
          - {target: qualification.title, template: "no holes"}
    """)
    with pytest.raises(MappingFileError) as e:
        load_mapping(p)
    problems = e.value.problems
    assert len(problems) == 7, problems
    joined = "\n".join(problems)
    for needle in ("must equal the file name", "no field learner.no_such_field", "write national_ids[]",
                   "header is built by the hub", "lookup table 'missing'", "strftime", "placeholder"):
        assert needle in joined


def test_schema_violations_are_all_listed(tmp_path):
    p = write_mapping(tmp_path, """
        mapping: test-map
        event_type: NotAnEvent
        defaults: {authority: x, authority_type: nobody, jurisdiction: south-africa}
        fields:
          - {target: grade, column: A, const: B}
        surprise: 1
    """)
    with pytest.raises(MappingFileError) as e:
        load_mapping(p)
    assert len(e.value.problems) >= 5                                   # title, enum x2, pattern, oneOf, extra key


def test_shipped_mappings_load():
    for p in sorted(MAPPINGS.glob("*.yaml")):
        m = load_mapping(p)
        assert m.name == p.stem and m.fields


# ---- streaming and limits ------------------------------------------------------------------------
def test_overlong_line_is_rejected_and_the_file_continues(tmp_path):
    src = (DATA / "saqa-register" / "good" / "registered_qualifications.csv").read_text().splitlines()
    long_row = "99," + "x" * 5000 + ",,,,,,,,,,,NQF Level 05,,Registered,,,,,,"
    p = tmp_path / "q.csv"
    p.write_text("\n".join([src[0], src[1], long_row, src[2]]) + "\n")
    events, errors = run([p], mapping=SAQA, limits=Limits(max_line_bytes=2000))
    assert len(events) == 2
    assert [(e.location.line, e.location.field) for e in errors] == [(3, "(row)")]


def test_non_utf8_line_is_rejected(tmp_path):
    src = (DATA / "saqa-register" / "good" / "registered_qualifications.csv").read_bytes().split(b"\n")
    p = tmp_path / "q.csv"
    p.write_bytes(b"\n".join([src[0], src[1].replace(b"Example", b"Ex\xffmple"), src[2]]) + b"\n")
    events, errors = run([p], mapping=SAQA)
    assert len(events) == 1 and errors[0].location.line == 2


def test_empty_file_and_bom(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    _, errors = run([tmp_path / "empty.csv"], mapping=SAQA)
    assert errors[0].location.field == "(header)"
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + (DATA / "saqa-register" / "good" / "registered_qualifications.csv").read_bytes())
    events, errors = run([bom], mapping=SAQA)
    assert len(events) == 4 and not errors


# ---- transforms ----------------------------------------------------------------------------------
def test_split_name_orders_and_commas():
    assert tr.split_name("given")("Asha Kumari Example") == "Asha Kumari"
    assert tr.split_name("family")("Asha Kumari Example") == "Example"
    assert tr.split_name("family", "family_first")("Nguyen Van An") == "Nguyen"
    assert tr.split_name("given", "family_first")("Nguyen Van An") == "Van An"
    assert tr.split_name("given")("Example, Asha") == "Asha"
    assert tr.split_name("given")("Madonna") is None and tr.split_name("family")("Madonna") == "Madonna"


def test_level_transform():
    f = tr.level("ZA-NQF", r"NQF Level (\d{1,2})", "skip")
    assert f("NQF Level 07") == {"framework": "ZA-NQF", "code": "7"}
    assert f("NQF Level 10") == {"framework": "ZA-NQF", "code": "10"}
    assert f("Not Applicable") is None
    with pytest.raises(tr.CellError):
        tr.level("EQF", r"(\d)")("seven")
    assert tr.level("UK-ENI-RQF")("Entry 3") == {"framework": "UK-ENI-RQF", "code": "Entry 3"}


def test_lookup_date_number():
    assert tr.lookup({"m": "M"}, "g")("M") == "M"
    assert tr.lookup({"m": "M"}, "g", "keep")("X") == "X"
    assert tr.lookup({"m": "M"}, "g", "null")("X") is None
    assert tr.date(["%d/%m/%Y", "%Y%m%d"])("20240131") == "2024-01-31"
    assert tr.SIMPLE["number"]("1,200.5") == 1200.5
    for bad in ("nan", "inf", "x"):
        with pytest.raises(tr.CellError):
            tr.SIMPLE["number"](bad)
    assert tr.SIMPLE["slug"]("École Supérieure d'Ex") == "ecole-superieure-d-ex"


# ---- the real column list (../shared/reference/formats/REPORT.md, India NAD) ---------------------
def test_nad_mapping_reads_only_columns_named_in_the_reference(reference):
    import re
    report = (reference / "formats" / "REPORT.md").read_text()
    line = next(x for x in report.splitlines() if "ORG_NAME, ACADEMIC_COURSE_ID" in x)
    tokens = re.split(r"[\s,`()]+", line)
    named = {t for t in tokens if re.fullmatch(r"[A-Z][A-Z0-9_{}n]*[A-Z0-9}]", t)}
    named = {c.replace("{n}", "1") for c in named}
    m = load_mapping(MAPPINGS / f"{NAD}.yaml")
    used = {re.sub(r"^SUB\d+", "SUB1", c) for c in m.columns}
    assert used <= named, sorted(used - named)
    assert set(m.required_columns) <= named


def test_compiled_shape_agrees_with_the_json_view():
    from connectors.csv_mapped._shape import compile_body
    from hub.jsonview import dumps, event_from_json
    for mapping, p in ((NAD, DATA / "nad" / "good"), (SAQA, DATA / "saqa-register" / "good")):
        events, _ = run([p], mapping=mapping)
        for ev in events:
            obj = json.loads(dumps(ev))
            reference = event_from_json(obj)
            body = {k: v for k, v in obj.items() if k != "header"}
            assert compile_body(ev["header"]["event_type"])(body) == \
                {k: v for k, v in reference.items() if k != "header"}
    with pytest.raises(DecodeError) as e:
        compile_body("QualificationPublished")({"qualification": {"id": "x", "levels": [{"framework": "EQF"}]}})
    assert e.value.location.field == "qualification.levels[].code"

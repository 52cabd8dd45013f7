"""saqa-nlrd: conformance, the 25+29 join, located rejections, file recognition, progress."""
from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from connectors.saqa_nlrd import NlrdInbound
from connectors.saqa_nlrd._progress import Progress
from connectors.saqa_nlrd._writer import format_line
from hub.errors import DecodeError
from hub.ingest.decoding import decode_sources, make_context, sources_for
from hub.sdk.conformance import inbound_conformance
from hub.sdk.inbound import Source

DATA = Path(__file__).resolve().parents[2] / "data" / "saqa-nlrd"

TestSaqaNlrdConformance = inbound_conformance("saqa-nlrd", DATA)


def test_avro_and_json_round_trip_of_a_whole_load():
    from hub.jsonview import dumps, event_from_json
    from hub.serde import default_serde
    serde = default_serde()
    _, events, _ = run([DATA / "load-ok"])
    for ev in events:
        back = serde.decode(serde.encode(ev))[1]
        assert back == ev
        assert event_from_json(json.loads(dumps(ev))) == ev


def run(paths, options=None):
    conn = NlrdInbound()
    ctx = make_context(conn, options=options or {"progress": False})
    items = [i for i, _ in decode_sources(conn, sources_for(conn, paths), ctx)]
    events = [i.event for i in items if not isinstance(i, DecodeError)]
    errors = [i for i in items if isinstance(i, DecodeError)]
    return conn, events, errors


def by_type(events, t):
    return [e for e in events if e["header"]["event_type"] == t]


# ---- a complete load ---------------------------------------------------------------------
def test_load_joins_persons_and_emits_credentials_for_achievements_only():
    conn, events, errors = run([DATA / "load-ok"])
    assert errors == []
    assert len(by_type(events, "InstitutionPublished")) == 1
    creds = by_type(events, "CredentialIssued")
    assert [c["qualification"]["id"] for c in creds] == ["saqa-qual:48872", "saqa-qual:58761",
                                                         "saqa-qual:48872"]
    first = creds[0]
    assert first["learner"]["national_ids"] == [{"scheme": "za-id", "value": "8001015009087"}]
    assert first["learner"]["given_names"] == "Thandi Grace"
    assert first["learner"]["family_name"] == "Examplename"
    assert first["learner"]["birth_date"] == dt.date(1990, 5, 17)
    assert first["learner"]["ethnicity"] == "BA"
    assert first["learner"]["disability"] == "N"
    assert first["learner"]["functional_ratings"] == {"seeing": "1", "walking": "2"}
    assert first["awarded_on"] == dt.date(2024, 11, 30)
    assert first["grade"] == "CL"
    assert first["issuer"] == {"id": "saqa-provider:PRV0001", "name": "Example Skills Academy",
                               "jurisdiction": "ZA"}
    assert first["header"]["subject_jurisdiction"] == "ZA"
    assert first["header"]["source"]["document_id"] == "TEST29250131.dat"
    # alternate id + type, and a person found through the alternate id of a two-id record
    assert creds[1]["learner"]["national_ids"] == [{"scheme": "za-alt-527", "value": "P1234567"}]
    assert creds[2]["learner"]["family_name"] == "Invented"
    assert conn.last_summary["credentials"] == 3
    assert conn.last_summary["persons"] == 3
    assert conn.last_summary["enrolments_not_achieved"] == {"3 Enrolled": 1, "5 Re-enrolled": 1}


def test_credential_ids_hold_no_personal_data_and_are_stable_across_locations(tmp_path):
    _, a, _ = run([DATA / "load-ok"])
    moved = tmp_path / "elsewhere"
    shutil.copytree(DATA / "load-ok", moved)
    _, b, _ = run([moved])
    assert [e["header"]["event_id"] for e in a] == [e["header"]["event_id"] for e in b]
    for c in by_type(a, "CredentialIssued"):
        assert "8001015009087" not in c["credential_id"] and "P1234567" not in c["credential_id"]


def test_special_category_fields_are_tagged_in_the_schema():
    from hub.schemas import catalog
    cats = {c.path: c.category for c in catalog().for_event_type("CredentialIssued").categories}
    assert cats["learner.ethnicity"] == "special.ethnicity"
    assert cats["learner.disability"] == "special.disability"
    assert cats["learner.functional_ratings"] == "special.disability"


def test_report_callable_receives_the_summary():
    got = []
    run([DATA / "load-ok"], options={"progress": False, "report": got.append})
    assert got and got[0]["credentials"] == 3 and got[0]["rejected"] == 0


def test_decode_one_file_with_related_files_of_the_load():
    conn = NlrdInbound()
    ctx = make_context(conn)
    src = Source.from_path(DATA / "load-ok" / "TEST29250131.dat")
    src.related = (Source.from_path(DATA / "load-ok" / "TEST25250131.dat"),)
    items = list(conn.decode(src, ctx))
    assert len(items) == 3 and not any(isinstance(i, DecodeError) for i in items)


# ---- rejections ----------------------------------------------------------------------------
def test_bad_lines_are_located_and_the_rest_of_the_file_continues():
    conn, events, errors = run([DATA / "load-bad"])
    got = [(Path(e.location.file).name, e.location.line, e.location.field) for e in errors]
    assert got == [
        ("TEST25250131.dat", 2, "(record length)"),
        ("TEST25250131.dat", 3, "Person_Birth_Date"),
        ("TEST25250131.dat", 4, "Equity_Code"),
        ("TEST25250131.dat", 5, "National_Id"),
        ("TEST25250131.dat", 6, "National_Id"),
        ("TEST29250131.dat", 2, "National_Id"),        # its person line was rejected
        ("TEST29250131.dat", 3, "National_Id"),        # achievement without person
        ("TEST29250131.dat", 4, "Learner_Achievement_Date"),
        ("TEST29250131.dat", 5, "Learner_Achievement_Status_Id"),
        ("TEST29250131.dat", 6, "Learner_Achievement_Date"),
    ]
    assert [e["header"]["source"]["record_ref"] for e in events] == ["line 1", "line 7"]
    assert conn.last_summary["rejected"] == 10
    assert all(e.raw for e in errors)


def test_errors_never_quote_personal_data():
    _, _, errors = run([DATA / "load-bad"])
    text = "\n".join(str(e) + json.dumps(e.as_dict()) for e in errors)
    for value in ("8001015009087", "7501015800084", "6601015800089", "12345", "Examplename",
                  "Thandi", "Birthdate", "Badday", "19750230", "20241301", "XX", "Noid"):
        assert value not in text


def test_convert_exits_2_and_prints_good_events(tmp_path):
    from click.testing import CliRunner

    from hub.cli.convert import cli
    res = CliRunner().invoke(cli, ["saqa-nlrd", str(DATA / "load-bad")])
    assert res.exit_code == 2
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.startswith("{\"header\"")]
    assert len(lines) == 2


def test_unsupported_and_unknown_files_are_reported_once(tmp_path):
    (tmp_path / "TEST22250131.dat").write_bytes(b"x" * 213 + b"\r\n")
    (tmp_path / "export.dat").write_bytes(b"y" * 157 + b"\r\n" + b"y" * 157 + b"\r\n")
    _, events, errors = run([tmp_path])
    assert events == []
    assert sorted((Path(e.location.file).name, e.location.field) for e in errors) == [
        ("TEST22250131.dat", "(file type)"), ("export.dat", "(file type)")]
    assert "File 26" in next(str(e) for e in errors if e.location.file.endswith("export.dat"))


def test_type_is_told_by_record_length_when_the_name_is_not_conventional(tmp_path):
    shutil.copy(DATA / "good" / "TEST21250131.dat", tmp_path / "providers.txt")
    _, events, errors = run([tmp_path / "providers.txt"])
    assert not errors and len(events) == 3


def test_header_line_blank_lines_and_lf_endings_are_accepted(tmp_path):
    lines = (DATA / "good" / "TEST24250131.dat").read_bytes().split(b"\r\n")
    body = b"HEADER599Provider Accreditation000000003".ljust(135) + b"\n" + b"\n".join(lines)
    (tmp_path / "TEST24250131.dat").write_bytes(body + b"\n\n")
    _, events, errors = run([tmp_path / "TEST24250131.dat"])
    assert not errors and len(events) == 3


def test_overlong_line_is_rejected_without_holding_it(tmp_path):
    good = (DATA / "good" / "TEST21250131.dat").read_bytes()
    (tmp_path / "TEST21250131.dat").write_bytes(b"z" * 200_000 + b"\r\n" + good)
    _, events, errors = run([tmp_path / "TEST21250131.dat"])
    assert len(events) == 3
    assert len(errors) == 1 and errors[0].location.line == 1 and "limit" in errors[0].reason
    assert len(errors[0].raw) <= 256


def test_accreditation_mapping():
    _, events, _ = run([DATA / "good" / "TEST24250131.dat"])
    q, lp, us = events
    assert (q["subject_type"], q["subject_id"], q["status"]) == ("qualification", "saqa-qual:48872", "ACCREDITED")
    assert (lp["subject_type"], lp["subject_id"], lp["status"]) == ("programme", "saqa-learnership:LP0042", "CONDITIONAL")
    assert (us["subject_id"], us["status"]) == ("saqa-us:115753", "WITHDRAWN")
    assert q["accreditor"]["id"] == "saqa-etqa:599"
    assert q["valid_from"] == dt.date(2021, 3, 1) and q["valid_until"] == dt.date(2026, 2, 28)
    assert "ETQA decision DEC-2021-07" in q["scope"]


def test_provider_mapping_drops_contact_person():
    _, events, _ = run([DATA / "good" / "TEST21250131.dat"])
    p = events[1]
    assert p["institution"]["id"] == "saqa-provider:PRV0002"
    assert p["legal_nature"] == "public_body" and p["status"] == "Reaccredited"
    assert {"scheme": "za-sars", "value": "9000000001"} in p["identifiers"]
    assert not any("contact" in k for k in p["attributes"])


# ---- streaming ----------------------------------------------------------------------------
def test_person_index_is_removed_when_the_consumer_stops_early(monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    conn = NlrdInbound()
    ctx = make_context(conn)
    it = conn.decode_many(sources_for(conn, [DATA / "load-ok"]), ctx)
    next(it)                                  # the File 21 event
    next(it)                                  # first credential: index exists now
    assert any(p.name.startswith("nqfhub-nlrd-") for p in tmp_path.iterdir())
    it.close()
    assert not any(p.name.startswith("nqfhub-nlrd-") for p in tmp_path.iterdir())


def test_progress_lines_when_enabled_at_most_once_per_interval():
    out = io.StringIO()
    now = [0.0]
    p = Progress({"progress": True}, stream=out, clock=lambda: now[0])
    for i in range(256 * 4):
        now[0] += 0.01                      # ~2.56 s per 256 calls
        p.tick("HWSE25250131.dat", i + 1, i, 2048, {"persons": i})
    lines = out.getvalue().splitlines()
    assert 1 <= len(lines) <= 4
    assert all(x.startswith("saqa-nlrd: HWSE25250131.dat line ") for x in lines)


def test_progress_off_when_not_a_tty_and_not_asked():
    out = io.StringIO()
    p = Progress({}, stream=out)
    assert not p.enabled


def test_writer_refuses_values_that_would_shift_columns():
    with pytest.raises(ValueError):
        format_line("29", {"Qualification_Id": "12345678901"})
    assert len(format_line("25", {})) == 791


def test_a_generated_load_round_trips(tmp_path):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
    from nlrd_generate import generate
    paths = generate(tmp_path, persons=200, seed=7)
    conn, events, errors = run(paths)
    assert errors == []
    assert conn.last_summary["persons"] == 200
    assert len(by_type(events, "CredentialIssued")) == conn.last_summary["credentials"] > 0
    assert sum(conn.last_summary["enrolments_not_achieved"].values()) > 0
    assert os.path.getsize(paths[1]) == 200 * 793

"""ELMO inbound: conformance, mapping of the project fixtures and of the official example."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from hub.errors import DecodeError
from hub.ingest.decoding import decode_paths
from tests.unit.connectors import _xml_helpers as xml

DATA = xml.DATA
ELMO_EXAMPLE = ("formats", "elmo", "v1.7.0", "example.xml")

TestElmoConformance = xml.conformance("elmo")


def test_avro_round_trip():
    xml.check_avro_round_trip("elmo")


def events(path) -> list[dict]:
    out = []
    for item, _ in decode_paths("elmo", [path]):
        assert not isinstance(item, DecodeError), str(item)
        out.append(item.event)
    return out


def test_programme_becomes_one_credential_with_courses_as_parts():
    evs = events(DATA / "elmo" / "good" / "master_with_courses.xml")
    # the passed master + one transcript for the loose course; the failed bachelor is not issued
    assert [e["qualification"]["qualification_type"] for e in evs] == \
        ["Degree Programme", "Transcript of Records"]
    master = evs[0]
    q = master["qualification"]
    assert q["id"] == "elmo-los:schac:uio.no:local:MAS-INF"
    assert q["title"] == "Master of Science in Informatics"
    assert q["levels"] == [{"framework": "EQF", "code": "7"}, {"framework": "NO-NKR", "code": "7"}]
    assert q["field_of_study"] == "0613"
    assert master["issuer"] == {"id": "schac:uio.no", "name": "University of Oslo", "jurisdiction": "NO"}
    assert master["credential_id"] == "elmo-loi:schac:uio.no:local:LOI-MAS-INF-2024-0042"
    assert master["awarded_on"] == dt.date(2024, 6, 14)
    assert master["grade"] == "B"
    assert master["grading_scheme"].startswith("Norwegian A-F")
    # the programme has no own credits: the passed parts' ECTS are summed (10 + 60)
    assert master["credits_earned"] == {"value": 70.0, "system": "ECTS"}
    parts = {p["id"]: p for p in master["parts"]}
    module = "elmo-los:schac:uio.no:local:IN5000"
    course = "elmo-los:schac:uio.no:local:IN5010"
    assert parts[module]["parent_id"] is None and parts[course]["parent_id"] == module
    assert parts[course]["credits"] == {"value": 10.0, "system": "ECTS"}
    assert parts[course]["grade"] == "A" and parts[course]["completed_on"] == dt.date(2023, 1, 10)
    thesis = parts["elmo-los:schac:uio.no:local:MAS-THESIS"]
    assert thesis["completed_on"] == dt.date(2024, 6, 14)   # academic term end
    learner = master["learner"]
    assert learner["family_name"] == "Testesen" and learner["birth_date"] == dt.date(1998, 2, 14)
    assert {"scheme": "esi", "value": "urn:schac:personalUniqueCode:int:esi:uio.no:FIXTURE4711"} \
        in learner["national_ids"]
    assert learner["gender"] == "2" and learner["citizenship"] == "NO"
    h = master["header"]
    assert h["source"]["jurisdiction"] == "NO" and h["source"]["authority"] == "emrex-ncp"
    assert h["source"]["authority_type"] == "public_body"
    assert h["source"]["document_id"] == "master_with_courses.xml"


def test_diploma_supplement_and_attachments_are_referenced_not_inlined():
    master = events(DATA / "elmo" / "good" / "master_with_courses.xml")[0]
    docs = {d["doc_type"]: d for d in master["documents"]}
    ds = docs["Diploma Supplement"]
    assert ds["ref"].startswith("sha256:") and len(ds["ref"]) == 71
    assert ds["media_type"] == "application/xml" and ds["title"] == "Diploma Supplement 2018"
    assert docs["Diploma"]["media_type"] == "application/pdf"
    text = json.dumps([master["documents"]], default=str)
    assert "JVBERi0" not in text and "Second cycle" not in text


def test_loose_courses_form_a_transcript_with_failed_ones_kept_as_parts():
    (tr,) = events(DATA / "elmo" / "good" / "transcript_only_de.xml")
    assert tr["qualification"]["id"] == "elmo-transcript:erasmus:D  BEISPIE01"
    assert tr["issuer"]["jurisdiction"] == "DE"
    assert [p["status"] for p in tr["parts"]] == ["passed", "failed"]
    assert tr["parts"][0]["levels"] == [{"framework": "DE-DQR", "code": "6"}]
    assert tr["credits_earned"] == {"value": 7.5, "system": "ECTS"}   # failed course not counted
    assert tr["awarded_on"] == dt.date(2023, 3, 1)
    assert tr["parts"][0]["id"] == "elmo-los:erasmus:D  BEISPIE01:ewp-los-id:CR/INF-101"


def test_schema_errors_are_located_and_do_not_quote_values():
    items = [i for i, _ in decode_paths("elmo", [DATA / "elmo" / "bad" / "bad_birth_date.xml"])]
    assert all(isinstance(i, DecodeError) for i in items) and len(items) == 2
    bday = items[0]
    assert bday.location.line == 8 and bday.location.field == "/elmo/learner/bday"
    assert "1998-02-31" not in str(bday)
    assert "completed" not in str(items[1]) and items[1].location.field.endswith("/status")


def test_official_example_decodes(reference):
    evs = events(reference.joinpath(*ELMO_EXAMPLE))
    assert len(evs) == 2
    degree, transcript = evs
    assert degree["qualification"]["title"] == "Master of Science in Biology"
    assert degree["qualification"]["credits"] == {"value": 120.0, "system": "ECTS"}
    assert degree["issuer"]["id"] == "schac:uw.edu.pl"
    assert degree["issuer"]["jurisdiction"] == "PL"
    assert degree["learner"]["birth_date"] == dt.date(1983, 4, 12)
    assert degree["documents"][0]["doc_type"] == "Diploma Supplement"
    titles = [p["title"] for p in transcript["parts"]]
    assert "Compiler construction" in titles and "The importance of <br> in HTML" in titles
    compiler = next(p for p in transcript["parts"] if p["title"] == "Compiler construction")
    assert {"framework": "EQF", "code": "5"} in compiler["levels"]
    assert compiler["grade"] == "45.1" and compiler["field_of_study"] == "0612"


def test_cli_convert_official_example_end_to_end(reference):
    from hub.cli import main_group as main
    path = str(reference.joinpath(*ELMO_EXAMPLE))
    res = CliRunner().invoke(main, ["convert", "elmo", path])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]
    assert [x["header"]["event_type"] for x in lines] == ["CredentialIssued"] * 2


def test_cli_convert_subprocess_bad_file_exit_2_and_good_file_still_printed(reference, tmp_path):
    exe = Path(sys.executable).parent / "nqf-hub"
    good = str(reference.joinpath(*ELMO_EXAMPLE))
    bad = str(DATA / "elmo" / "bad" / "missing_family_name.xml")
    p = subprocess.run([str(exe), "convert", "elmo", bad, good], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2
    assert len([x for x in p.stdout.splitlines() if x.strip()]) == 2
    err = [json.loads(x) for x in p.stderr.splitlines() if x.startswith("{")]
    assert err and err[0]["file"].endswith("missing_family_name.xml")
    assert err[0]["line"] == 7 and err[0]["field"] == "/elmo/learner/bday"

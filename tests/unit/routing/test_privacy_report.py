"""`nqf-hub privacy report`: records of processing per partner from audit records (offline mode)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json

from click.testing import CliRunner

from hub.cli.privacy import cli
from hub.routing.processing_records import ProcessingReport, to_json_line

from .conftest import PARTNERS

UTC = dt.timezone.utc


def rec(pid, action, *, purpose="recognition", present=("identity.name", "identity.national_id", "identity.record_link"),
        removed=("identity.national_id",), basis=("POPIA s72(1)(a)",), relied=(), day=1, et="CredentialIssued"):
    return {"audit_id": f"a-{pid}-{action}-{day}", "event_id": f"e-{day}", "event_type": et, "trace_id": "t",
            "partner_id": pid, "action": action, "rule_ids": ["R"], "legal_basis": list(basis),
            "regimes": ["ZA_POPIA", "HUB_POLICY"], "categories_present": list(present),
            "removed_categories": list(removed), "purpose": purpose, "relied_on": list(relied),
            "decided_at": dt.datetime(2026, 3, day, 10, tzinfo=UTC), "prev_hash": None, "hash": "h"}


RECORDS = [
    rec("in-recognition-body", "forward_minimised", relied=["instrument:popia-72-1-a:example-za-in-recognition-agreement"]),
    rec("in-recognition-body", "forward_minimised", day=2, relied=["instrument:popia-72-1-a:example-za-in-recognition-agreement"]),
    rec("de-uni-admissions", "hold", removed=(), basis=("POPIA s72(1)(b)",)),
    rec("de-uni-admissions", "release", day=3, relied=["consent:c-1"], basis=("POPIA s72(1)(b)",)),
    rec("de-uni-admissions", "block", day=4, present=("identity.name", "special.ethnicity"), removed=()),
    rec("us-credential-evaluator", "block", day=20, removed=()),
]


def test_report_aggregates_per_partner_without_personal_data():
    from hub.routing.policy import load_partners
    r = ProcessingReport(load_partners(PARTNERS))
    for x in RECORDS:
        assert r.add(x)
    rows = {row["partner_id"]: row for row in r.rows()}
    ind = rows["in-recognition-body"]
    assert ind["counts"]["forward_minimised"] == 2 and ind["decisions"] == 2
    assert ind["categories_sent"] == ["identity.name", "identity.record_link"]     # removed ones not counted as sent
    assert ind["categories_removed"] == ["identity.national_id"]
    assert ind["instruments_relied_on"] == ["popia-72-1-a:example-za-in-recognition-agreement"]
    assert ind["jurisdiction"] == "IN" and ind["legal_bases"] == ["POPIA s72(1)(a)"]
    de = rows["de-uni-admissions"]
    assert de["counts"] == {"forward": 0, "forward_minimised": 0, "hold": 1, "block": 1, "release": 1,
                            "expire": 0, "erasure_request": 0}
    assert de["consents_relied_on"] == 1 and "c-1" not in json.dumps(r.as_json("t"))
    assert "special.ethnicity" not in de["categories_sent"]       # blocked: nothing sent
    assert de["first_decision"] == "2026-03-01T10:00:00.000Z" and de["last_decision"] == "2026-03-04T10:00:00.000Z"


def test_cli_offline_json_and_csv_with_a_period(tmp_path):
    f = tmp_path / "audit.jsonl"
    f.write_text("".join(to_json_line(x) + "\n" for x in RECORDS))
    env = {"NQF_HUB_HOME": str(tmp_path)}
    r = CliRunner().invoke(cli, ["report", "--records", str(f), "--partners-dir", str(PARTNERS)], env=env)
    assert r.exit_code == 0, r.output
    j = json.loads(r.output)
    assert j["audit_records"] == 6 and [p["partner_id"] for p in j["partners"]] == \
        ["de-uni-admissions", "in-recognition-body", "us-credential-evaluator"]
    r = CliRunner().invoke(cli, ["report", "--records", str(f), "--format", "csv", "--until", "2026-03-10",
                                 "--partners-dir", str(PARTNERS)], env=env)
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert [x["partner_id"] for x in rows] == ["de-uni-admissions", "in-recognition-body"]   # day 20 excluded
    assert rows[1]["categories_sent"] == "identity.name; identity.record_link" and rows[1]["forward_minimised"] == "2"
    out = tmp_path / "ropa.csv"
    r = CliRunner().invoke(cli, ["report", "--records", str(f), "--format", "csv", "-o", str(out),
                                 "--partners-dir", str(PARTNERS)], env=env)
    assert r.exit_code == 0 and out.read_text().startswith("partner_id,partner_name,")


def test_cli_reports_unreadable_lines_by_number(tmp_path):
    f = tmp_path / "audit.jsonl"
    f.write_text(to_json_line(RECORDS[0]) + "\nnot json 9804120000000\n[1]\n" + json.dumps({"x": 1}) + "\n")
    r = CliRunner().invoke(cli, ["report", "--records", str(f), "--partners-dir", str(PARTNERS)],
                           env={"NQF_HUB_HOME": str(tmp_path)})
    assert r.exit_code == 2
    assert "3 line(s)" in r.output and "lines 2, 3, 4" in r.output
    assert "9804120000000" not in r.output

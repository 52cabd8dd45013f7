"""`nqf-hub recognise`, `nqf-hub keys generate|export`, `nqf-hub verify`."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from hub.cli import main_group

from .conftest import DATA

EVENTS = str(DATA / "events.jsonl")


def req(name):
    return str(DATA / "requests" / f"{name}.json")


@pytest.fixture()
def runner(tmp_path, monkeypatch):
    for k in list(__import__("os").environ):
        if k.startswith("NQF_HUB_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("NQF_HUB_HOME", str(tmp_path / "home"))
    return CliRunner()


def test_recognise_text_and_json(runner):
    r = runner.invoke(main_group, ["recognise", "--events", EVENTS, "--request", req("nz-hons-to-ireland")])
    assert r.exit_code == 0, r.output
    assert "NOT_RECOGNISED" in r.output and "NO_COMPARABLE_LEVEL" in r.output
    r = runner.invoke(main_group, ["recognise", "--events", EVENTS, "--request", req("ie-hons-to-germany"), "--json"])
    d = json.loads(r.output)
    assert d["outcome"] == "RECOGNISED" and d["comparable_levels"] == [{"framework": "DE-DQR", "code": "6"}]
    assert d["signature"] is None


def test_as_of_changes_the_revocation_cut_off(runner):
    args = ["recognise", "--events", EVENTS, "--request", req("za-revoked"), "--json"]
    assert json.loads(runner.invoke(main_group, args).output)["outcome"] == "NOT_RECOGNISED"
    early = json.loads(runner.invoke(main_group, args + ["--as-of", "2022-01-01T00:00:00Z"]).output)
    assert early["outcome"] == "PARTIALLY_RECOGNISED"


def test_rejected_event_lines_are_located_and_exit_2(runner, tmp_path):
    bad = tmp_path / "events.jsonl"
    lines = (DATA / "events.jsonl").read_text().splitlines()
    broken = json.loads(lines[0])
    broken["header"]["occurred_at"] = "yesterday"
    bad.write_text("\n".join([lines[0], "{not json", json.dumps(broken)] + lines[1:]) + "\n")
    r = runner.invoke(main_group, ["recognise", "--events", str(bad), "--request", req("ie-hons-to-germany"), "--json"])
    assert r.exit_code == 2
    errs = [json.loads(x) for x in r.stderr.splitlines()]
    assert {e["line"] for e in errs} == {2, 3}
    assert any(e.get("field") == "header.occurred_at" for e in errs)
    assert json.loads(r.stdout)["outcome"] == "RECOGNISED"


def test_bad_request_file_exits_1(runner):
    r = runner.invoke(main_group, ["recognise", "--events", EVENTS, "--request", EVENTS])
    assert r.exit_code == 1


def test_keys_sign_verify_and_tamper(runner, tmp_path):
    r = runner.invoke(main_group, ["verify", req("ie-hons-to-germany")])
    assert r.exit_code == 1
    r = runner.invoke(main_group, ["keys", "generate"])
    assert r.exit_code == 0 and "generated Ed25519 recognition key" in r.output and "audit key" in r.output
    assert "PRIVATE" not in r.output
    r = runner.invoke(main_group, ["keys", "export"])
    jwks = json.loads(r.output)
    assert jwks["keys"][0]["kty"] == "OKP" and "d" not in jwks["keys"][0]
    (tmp_path / "jwks.json").write_text(r.output)
    r = runner.invoke(main_group, ["recognise", "--events", EVENTS, "--request", req("ie-hons-to-germany"),
                                   "--json", "--sign"])
    signed = tmp_path / "decision.json"
    signed.write_text(r.stdout)
    r = runner.invoke(main_group, ["verify", str(signed)])
    assert r.exit_code == 0 and r.output.startswith("valid")
    r = runner.invoke(main_group, ["verify", str(signed), "--jwks", str(tmp_path / "jwks.json")])
    assert r.exit_code == 0
    tampered = tmp_path / "tampered.json"
    tampered.write_text(signed.read_text().replace('"RECOGNISED"', '"NOT_RECOGNISED"'))
    r = runner.invoke(main_group, ["verify", str(tampered)])
    assert r.exit_code == 1 and "does not match" in r.stderr
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{nope")
    r = runner.invoke(main_group, ["verify", str(garbage)])
    assert r.exit_code == 1 and "not valid JSON" in r.stderr


def test_export_without_keys_fails(runner):
    r = runner.invoke(main_group, ["keys", "export"])
    assert r.exit_code == 1 and "keys generate" in r.stderr

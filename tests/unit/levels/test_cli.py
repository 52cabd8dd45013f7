"""`nqf-hub levels list|show|compare|validate`."""
from __future__ import annotations

import json

from click.testing import CliRunner

from hub.cli import main_group


def run(*args):
    return CliRunner().invoke(main_group, ["levels", *args])


def test_list_json_is_an_array_of_frameworks():
    r = run("list", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert isinstance(data, list) and len(data) >= 24
    assert sum(1 for f in data if f["kind"] == "national") >= 20
    ie = next(f for f in data if f["code"] == "IE-NFQ")
    assert ie["levels"][0] == "1" and ie["links"][0]["to"] == "EQF"


def test_list_text_and_show():
    r = run("list")
    assert r.exit_code == 0 and "UK-SCO-SCQF" in r.output
    r = run("show", "NZQF")
    assert r.exit_code == 0
    assert "NZ-NZQCF" in r.output and "8 -> EQF none" in r.output
    r = run("show", "UK-ENI-RQF", "--json")
    assert json.loads(r.output)["links"][0]["mappings"][0]["inferred"] is True


def test_compare_json():
    r = run("compare", "--from", "IE-NFQ:8", "--to", "UK-SCO-SCQF", "--json")
    assert r.exit_code == 0, r.output
    d = json.loads(r.output)
    assert d["status"] == "comparable" and d["levels"] == ["9", "10"]
    assert d["path"] == ["IE-NFQ:8", "EQF:6", "UK-SCO-SCQF:9|10"]
    assert d["confidence"] == "verbatim_secondary"


def test_compare_text_none_and_level_with_space():
    r = run("compare", "--from", "UK-ENI-QCF:Entry 1", "--to", "EQF")
    assert r.exit_code == 0 and ": none" in r.output


def test_compare_bad_input_is_a_usage_error():
    for args in (["--from", "XX:1", "--to", "EQF"], ["--from", "EQF:9", "--to", "IE-NFQ"],
                 ["--from", "EQF", "--to", "IE-NFQ"], ["--from", "EQF:1", "--to", "NOPE"]):
        r = run("compare", *args)
        assert r.exit_code == 2, (args, r.output)


def test_validate_and_bad_dir(tmp_path):
    assert run("validate").exit_code == 0
    (tmp_path / "X.yaml").write_text("code: X\n")
    r = CliRunner().invoke(main_group, ["levels", "--dir", str(tmp_path), "validate"])
    assert r.exit_code == 1 and "X.yaml" in r.output

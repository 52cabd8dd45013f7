"""The operator commands are wired into `nqf-hub` and parse their options."""
from __future__ import annotations

import time

import click
import pytest
from click.testing import CliRunner

from hub.cli import main_group
from hub.cli.ops import _since_ms


@pytest.mark.parametrize("args", [["status"], ["tail"], ["dlq"], ["dlq", "list"], ["dlq", "show"],
                                  ["dlq", "replay"], ["held"], ["held", "list"], ["held", "release"],
                                  ["held", "expire"], ["trace"], ["serve"]])
def test_help(args):
    r = CliRunner().invoke(main_group, [*args, "--help"])
    assert r.exit_code == 0, r.output
    assert "Usage:" in r.output


def test_every_list_command_has_json():
    for args in (["status"], ["tail"], ["dlq", "list"], ["dlq", "show"], ["dlq", "replay"],
                 ["held", "list"], ["held", "release"], ["held", "expire"], ["trace"]):
        assert "--json" in CliRunner().invoke(main_group, [*args, "--help"]).output, args


def test_replay_needs_ids_or_all(tmp_path):
    r = CliRunner().invoke(main_group, ["dlq", "replay"], env={"NQF_HUB_HOME": str(tmp_path)})
    assert r.exit_code == 2 and "--all" in r.output


def test_release_needs_evidence():
    r = CliRunner().invoke(main_group, ["held", "release", "abc"])
    assert r.exit_code == 2 and "--evidence" in r.output


def test_since():
    now = time.time() * 1000
    assert abs(_since_ms("2h") - (now - 7200_000)) < 5000
    assert _since_ms("2026-01-01T00:00:00Z") == 1767225600000
    assert _since_ms(None) is None
    with pytest.raises(click.BadParameter):
        _since_ms("yesterday")


def test_issue_token_prints_hash_line_and_token_once(tmp_path):
    r = CliRunner().invoke(main_group, ["serve", "--issue-token", "za-saqa"], env={"NQF_HUB_HOME": str(tmp_path)})
    assert r.exit_code == 0
    line = [x for x in r.stdout.splitlines() if x.startswith("  - ")][0]
    import json

    from hub.serve.tokens import hash_token
    entry = json.loads(line[4:])
    token = [x for x in r.stderr.splitlines() if x.startswith("#   ")][0][4:]
    assert entry["id"] == "za-saqa" and entry["token_sha256"] == hash_token(token)
    assert token not in r.stdout
    # without the authority's facts the entry has placeholders the schema refuses
    from hub.errors import MappingFileError
    from hub.serve.tokens import TokenBook
    (tmp_path / "t.yaml").write_text("authorities:\n" + line + "\n")
    with pytest.raises(MappingFileError):
        TokenBook.load(tmp_path / "t.yaml")


def test_issue_token_with_connectors_jurisdiction_and_type_gives_a_loadable_entry(tmp_path):
    r = CliRunner().invoke(main_group, ["serve", "--issue-token", "za-saqa", "--connector", "saqa-nlrd",
                                        "--connector", "csv", "--jurisdiction", "ZA",
                                        "--authority-type", "public_authority"], env={"NQF_HUB_HOME": str(tmp_path)})
    assert r.exit_code == 0
    line = [x for x in r.stdout.splitlines() if x.startswith("  - ")][0]
    (tmp_path / "t.yaml").write_text("authorities:\n" + line + "\n")
    from hub.serve.tokens import TokenBook
    a = TokenBook.load(tmp_path / "t.yaml").get("za-saqa")
    assert a.may_use("csv") and a.jurisdiction == "ZA" and a.authority_type == "public_authority"

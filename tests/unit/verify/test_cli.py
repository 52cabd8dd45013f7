"""`nqf-hub trust show|verify|status-put|context-add` over the generated fixtures."""
from __future__ import annotations

import json

from click.testing import CliRunner

from hub.cli import cli


def invoke(args, signed, tmp_path, status_dir=None):
    env = {"NQF_HUB_HOME": str(tmp_path / "home"), "NQF_HUB_TRUST_DIR": str(signed["trust"]),
           "NQF_HUB_STATUS_CACHE_DIR": str(status_dir or signed["status"])}
    return CliRunner().invoke(cli, args, env=env)


def test_show_lists_authorities_and_issuers(signed, tmp_path, fx):
    r = invoke(["trust", "show", "--json"], signed, tmp_path)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert fx.ISSUER_WEB in doc["authorities"]["test-authority"]["issuers"]
    assert doc["contexts"] == [fx.TEST_CONTEXT_URL] and doc["cached_status_lists"] == 2


def test_verify_prints_one_line_per_file_and_exits_2_unless_all_verified(signed, tmp_path):
    c = signed["credentials"]
    r = invoke(["trust", "verify", str(c / "ob3-vc-jwt-good.jwt"), str(c / "edc-jades-good.json")], signed, tmp_path)
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["status"] for x in r.output.splitlines()] == ["verified", "verified"]
    r = invoke(["trust", "verify", str(c / "ob3-vc-jwt-good.jwt"), str(c / "ob3-vc-jwt-tampered.jwt")], signed, tmp_path)
    assert r.exit_code == 2
    assert json.loads(r.output.splitlines()[1])["status"] == "signature-invalid"


def test_status_put_makes_a_revocation_visible(signed, tmp_path, fx):
    cache = tmp_path / "cache"
    cred = str(signed["credentials"] / "ob3-revoked-bitstring.json")
    r = invoke(["trust", "verify", cred], signed, tmp_path, cache)
    assert json.loads(r.output)["status"] == "unverified"          # list not cached yet
    listed = next(p for p in signed["status"].glob("*.json") if "BitstringStatusList" in p.read_text())
    r = invoke(["trust", "status-put", fx.STATUS_LIST_URL, str(listed)], signed, tmp_path, cache)
    assert r.exit_code == 0, r.output
    r = invoke(["trust", "verify", cred], signed, tmp_path, cache)
    assert json.loads(r.output)["status"] == "invalid"


def test_an_invalid_registry_is_reported_with_every_problem(tmp_path):
    (tmp_path / "x.yaml").write_text("id: y\nname: n\njurisdiction: ZA\nsource: s\nissuers: [{id: 'did:web:a.test'}]\n")
    r = CliRunner().invoke(cli, ["trust", "show"], env={"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_TRUST_DIR": str(tmp_path)})
    assert r.exit_code == 1
    assert "x.yaml: id: file must be named y.yaml" in r.output and "did_document" in r.output

"""`nqf-hub policy explain|lint|keys` through click's runner."""
from __future__ import annotations

import json

from click.testing import CliRunner

from hub.cli.policy import cli

from .conftest import PARTNERS, PRIVACY_DATA, RULES


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env or {}, catch_exceptions=False)


def test_explain_json_contract(tmp_path):
    r = run("explain", "--event", str(PRIVACY_DATA / "za-credential.json"), "--partner", "in-recognition-body",
            "--partners-dir", str(PARTNERS), "--at", "2026-07-01", "--json", env={"NQF_HUB_HOME": str(tmp_path)})
    assert r.exit_code == 0, r.output
    j = json.loads(r.output)
    assert {"action", "rules", "legal_basis", "removed_categories", "event"} <= set(j)
    assert j["action"] == "forward_minimised"
    assert j["event"]["learner"]["ethnicity"] is None
    assert "9804120000000" not in r.output


def test_explain_consent_and_at_options(tmp_path):
    base = ["explain", "--event", str(PRIVACY_DATA / "za-credential.json"), "--partner", "de-uni-admissions",
            "--partners-dir", str(PARTNERS), "--at", "2026-07-01", "--json"]
    env = {"NQF_HUB_HOME": str(tmp_path)}
    held = json.loads(run(*base, env=env).output)
    assert held["action"] == "hold" and held["event"] is None
    sent = json.loads(run(*base, "--consent", "consent-1", env=env).output)
    assert sent["action"] == "forward_minimised" and sent["event"] is not None


def test_explain_readable_and_jsonl_line(tmp_path):
    r = run("explain", "--event", str(PRIVACY_DATA / "mixed.jsonl"), "--line", "2", "--partner",
            "us-credential-evaluator", "--partners-dir", str(PARTNERS), "--at", "2026-07-01",
            env={"NQF_HUB_HOME": str(tmp_path)})
    assert r.exit_code == 0
    assert "Decision: BLOCK" in r.output and "Art. 49(3)" in r.output and "confidence high" in r.output


def test_explain_bad_event_exit_2(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"header": {"event_type": "CredentialIssued"}}))
    r = run("explain", "--event", str(bad), "--partner", "x", "--partners-dir", str(PARTNERS),
            env={"NQF_HUB_HOME": str(tmp_path)})
    assert r.exit_code == 2


def test_explain_unknown_partner_exit_1(tmp_path):
    r = CliRunner().invoke(cli, ["explain", "--event", str(PRIVACY_DATA / "de-credential.json"), "--partner", "nope",
                                 "--partners-dir", str(PARTNERS)], env={"NQF_HUB_HOME": str(tmp_path)})
    assert r.exit_code == 1 and "unknown partner" in r.output


def test_lint_ok_and_failing(tmp_path):
    r = run("lint", "--rules-dir", str(RULES), "--partners-dir", str(PARTNERS))
    assert r.exit_code == 0 and "0 problem(s)" in r.output
    bad = tmp_path / "rules"
    bad.mkdir()
    for p in RULES.glob("*.*"):
        (bad / p.name).write_text(p.read_text())
    (bad / "ke-dpa.yaml").write_text((bad / "ke-dpa.yaml").read_text().replace("version: 1\n", "version: x\n"))
    (bad / "nz-ipp12.yaml").write_text((bad / "nz-ipp12.yaml").read_text().replace("kind: fallback", "kind: nope"))
    r = CliRunner().invoke(cli, ["lint", "--rules-dir", str(bad), "--partners-dir", str(PARTNERS), "--json"])
    assert r.exit_code == 1
    probs = json.loads(r.output)["problems"]
    assert any(p.startswith("ke-dpa.yaml") for p in probs) and any(p.startswith("nz-ipp12.yaml") for p in probs)


def test_keys_generate_rotate_delete(tmp_path):
    env = {"NQF_HUB_HOME": str(tmp_path)}
    r = run("keys", "generate", "--all", "--partners-dir", str(PARTNERS), env=env)
    assert r.exit_code == 0 and "created" in r.output
    key_file = tmp_path / "keys" / "pseudonym" / "de-uni-admissions.key"
    first = key_file.read_text()
    assert first.strip() not in r.output
    assert run("keys", "rotate", "de-uni-admissions", env=env).exit_code == 0
    assert key_file.read_text() != first
    assert "de-uni-admissions" in run("keys", "list", env=env).output
    assert run("keys", "delete", "de-uni-admissions", "--yes", env=env).exit_code == 0
    assert not key_file.exists()


def test_explain_consent_by_and_relied_on(tmp_path):
    """A child's own consent does not count under POPIA (s35: a competent person consents); a
    parent's does, and the explanation names what the decision relied on."""
    base = ["explain", "--event", str(PRIVACY_DATA / "za-child-credential.json"), "--partner", "de-uni-admissions",
            "--partners-dir", str(PARTNERS), "--at", "2026-07-01", "--consent", "c-9", "--json"]
    env = {"NQF_HUB_HOME": str(tmp_path)}
    own = json.loads(run(*base, "--consent-by", "learner", env=env).output)
    parent = json.loads(run(*base, "--consent-by", "parent_guardian", env=env).output)
    assert "consent" in own["waiting_for"]
    assert "consent" not in parent["waiting_for"]
    human = run(*base[:-1], "--consent-by", "parent_guardian", "--authorisation", "popia-s57:none", env=env).output
    assert "popia-s57:none is not in the instrument register" in human

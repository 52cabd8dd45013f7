"""Issue 13 on the embedded broker: `nqf-hub ingest` of signed credentials puts the verified one
on hub.ingress with its outcome in the header, and the forged one on hub.deadletter with its
original bytes and error class SignatureInvalid."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from hub.runtime.deadletter import headers_dict

from .test_spine import as_authority, nqf, read_all

pytestmark = pytest.mark.integration


def _fixtures(tmp_path):
    script = Path(__file__).resolve().parents[1] / "verify_fixtures.py"
    spec = importlib.util.spec_from_file_location("verify_fixtures", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build(tmp_path / "signed")


def test_ingest_verifies_and_dead_letters_forgeries(hub_env, hub_settings, tmp_path):
    from hub.runtime.topics import ensure_topics
    from hub.serde import default_serde
    ensure_topics(hub_settings, [])
    built = _fixtures(tmp_path)
    env = dict(hub_env, NQF_HUB_TRUST_DIR=str(built["trust"]), NQF_HUB_STATUS_CACHE_DIR=str(built["status"]))
    good = built["credentials"] / "ob3-vc-jwt-good.jwt"
    forged = built["credentials"] / "ob3-eddsa-jcs-wrong-key.json"
    r = nqf(env, "ingest", "openbadges3", str(good), str(forged), "--json", *as_authority(tmp_path))
    assert r.returncode == 2, r.stderr[-2000:]
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    assert (summary["ingested"], summary["rejected"]) == (1, 1)
    (msg,) = read_all(hub_settings, hub_settings.topic("ingress"), 1)
    _, event = default_serde().decode(msg.value())
    v = event["header"]["verification"]
    assert (v["status"], v["vouched_by"], v["proof"]) == ("verified", "test-authority", "vc-jwt/EdDSA")
    (dead,) = read_all(hub_settings, hub_settings.topic("deadletter"), 1)
    assert dead.value() == forged.read_bytes()
    h = headers_dict(dead.headers())
    assert h["error.class"] == "SignatureInvalid" and h["stage"] == "ingest" and "wrong-key" in h["source"]

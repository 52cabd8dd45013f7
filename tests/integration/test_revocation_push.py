"""Revocation push: issue -> delivered to two partners -> revoke -> both get the notice once."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml

pytestmark = pytest.mark.integration


def test_revocation_reaches_exactly_the_partners_that_received_the_credential_across_a_restart(hub_env, hub_settings, tmp_path):
    from hub.delivery.receiver import PartnerReceiver
    from hub.routing.policy import load_partners
    from hub.runtime.topics import ensure_topics

    from connectors.webhook import new_secret
    secrets = {pid: new_secret().encode() for pid in ("uni-a", "uni-b", "other")}
    receiver = PartnerReceiver(secrets).start()
    pdir = tmp_path / "partners"
    pdir.mkdir()
    env = dict(hub_env, NQF_HUB_PARTNERS_DIR=str(pdir))
    for pid in secrets:
        subscribe = {"event_types": ["CredentialIssued", "CredentialRevoked"]}
        if pid == "other":   # never sent the credential: must not get the revocation either
            subscribe["source_jurisdictions"] = ["FR"]
        (pdir / f"{pid}.yaml").write_text(yaml.safe_dump({
            "id": pid, "name": pid, "jurisdiction": "DE", "legal_nature": "public_body",
            "purposes": ["recognition"], "instruments": [], "subscribe": subscribe,
            "delivery": {"type": "webhook", "url": f"{receiver.url}/{pid}", "format": "canonical-json",
                         "secret_ref": f"rv-{pid}"}}))
        env[f"NQF_HUB_SECRET_RV_{pid.upper().replace('-', '_')}"] = secrets[pid].decode()
    ensure_topics(hub_settings, load_partners(pdir))

    issued, revoked, _ = (json.loads(x) for x in
                          open(os.path.join(os.path.dirname(__file__), "..", "data", "canonical-json",
                                            "good", "lifecycle.jsonl")).read().splitlines())
    for ev in (issued, revoked):   # German credentials (GDPR intra-EU transfer)
        ev["header"]["source"]["jurisdiction"] = ev["header"]["subject_jurisdiction"] = "DE"
    # N credentials, so the recipients table's changelog holds rows written in shared batches:
    # all of them must come back after the restart (Tansu watermark caveat, hub.routing.app)
    n = 12

    def copy(ev, i):
        ev = json.loads(json.dumps(ev))
        ev["credential_id"] += f"-{i}"
        ev["header"]["event_id"] = ev["header"]["event_id"][:-3] + f"{i:03d}"
        return json.dumps(ev)
    (tmp_path / "issued.jsonl").write_text("".join(copy(issued, i) + "\n" for i in range(n)))
    (tmp_path / "revoked.jsonl").write_text("".join(copy(revoked, i) + "\n" for i in range(n)))

    procs = [subprocess.Popen([sys.executable, "-m", "hub", w], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / f"{w}.log", "wb")) for w in ("router", "deliver")]
    try:
        from tests.authorities import write_authorities
        write_authorities(tmp_path / "authorities.yaml", [issued])
        run = lambda f: subprocess.run([sys.executable, "-m", "hub", "ingest", "canonical-json", str(f),
                                        "--quiet", "--authority", issued["header"]["source"]["authority"],
                                        "--tokens", str(tmp_path / "authorities.yaml")],
                                       env=env, capture_output=True, text=True, timeout=60)
        assert run(tmp_path / "issued.jsonl").returncode == 0

        def received():
            return {p: sorted(v.values()) for p, v in receiver.received.items()}
        issued_only = {"uni-a": ["CredentialIssued"] * n, "uni-b": ["CredentialIssued"] * n}
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and received() != issued_only:
            time.sleep(0.3)
        assert received() == issued_only, (tmp_path / "router.log").read_text()[-2000:]
        # restart the router: who received the credential must survive (table restored from
        # its changelog), or the revocation would reach nobody
        procs[0].terminate()
        assert procs[0].wait(30) is not None
        procs[0] = subprocess.Popen([sys.executable, "-m", "hub", "router"], env=env, stdout=subprocess.DEVNULL,
                                    stderr=open(tmp_path / "router2.log", "wb"))
        assert run(tmp_path / "revoked.jsonl").returncode == 0
        assert run(tmp_path / "revoked.jsonl").returncode == 0   # a replayed revocation: still once
        both = ["CredentialIssued"] * n + ["CredentialRevoked"] * n
        want = {"uni-a": both, "uni-b": both}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and received() != want:
            time.sleep(0.3)
        time.sleep(2)   # give a duplicate the chance to show up
        assert received() == want
        assert "other" not in receiver.received
    finally:
        for p in procs:
            p.terminate()
            p.wait(20)
        receiver.stop()

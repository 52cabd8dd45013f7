"""Router table retention across a restart: expired `recipients` rows are deleted by tombstones
that survive the restart, rows within their TTL are restored in full (on the embedded broker by
default; on the real cluster in CI's cluster run)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.integration, pytest.mark.slow]
DATA = Path(__file__).resolve().parents[1] / "data"
TTL_S = 40


def _events(tag: str, n: int):
    issued, revoked, _ = (json.loads(x) for x in (DATA / "canonical-json" / "good" / "lifecycle.jsonl")
                          .read_text().splitlines())
    for ev in (issued, revoked):   # German credentials (GDPR intra-EU transfer)
        ev["header"]["source"]["jurisdiction"] = ev["header"]["subject_jurisdiction"] = "DE"

    def copy(ev, i):
        ev = json.loads(json.dumps(ev))
        ev["credential_id"] += f"-{tag}{i}"
        ev["header"]["event_id"] = ev["header"]["event_id"][:-4] + f"{ord(tag) % 10}{i:03d}"
        return ev
    return [copy(issued, i) for i in range(n)], [copy(revoked, i) for i in range(n)]


def _tombstoned(settings, cred_ids) -> set[str]:
    from hub.observability.reading import TopicReader
    topic = f"{settings.topic_prefix}-router-recipients-changelog"
    gone = set()
    with TopicReader(settings) as r:
        if topic not in r.topics():
            return gone
        for m in r.read([topic]):
            key = (m.key() or b"").decode(errors="replace")
            for c in cred_ids:
                if c in key:
                    gone.add(c) if m.value() is None else gone.discard(c)
    return gone


def test_expired_recipients_stay_deleted_and_live_ones_are_restored_after_restart(hub_env, hub_settings, tmp_path):
    from hub.delivery.receiver import PartnerReceiver
    from hub.routing.policy import load_partners
    from hub.runtime.topics import ensure_topics
    from tests.authorities import write_authorities

    from connectors.webhook import new_secret
    secret = new_secret()                           # Standard Webhooks form (whsec_<base64>)
    receiver = PartnerReceiver({"uni-a": secret.encode()}).start()
    pdir = tmp_path / "partners"
    pdir.mkdir()
    env = dict(hub_env, NQF_HUB_PARTNERS_DIR=str(pdir), NQF_HUB_SECRET_RT_UNI_A=secret)
    (pdir / "uni-a.yaml").write_text(yaml.safe_dump({
        "id": "uni-a", "name": "uni-a", "jurisdiction": "DE", "legal_nature": "public_body",
        "purposes": ["recognition"], "instruments": [],
        "subscribe": {"event_types": ["CredentialIssued", "CredentialRevoked"]},
        "delivery": {"type": "webhook", "url": f"{receiver.url}/uni-a", "format": "canonical-json",
                     "secret_ref": "rt-uni-a"}}))
    ensure_topics(hub_settings, load_partners(pdir))
    old_issued, old_revoked = _events("A", 3)     # expire before the restart
    new_issued, new_revoked = _events("B", 3)     # within their TTL at the restart
    write_authorities(tmp_path / "authorities.yaml", old_issued)

    def ingest(events, name):
        f = tmp_path / f"{name}.jsonl"
        f.write_text("".join(json.dumps(e) + "\n" for e in events))
        r = subprocess.run([sys.executable, "-m", "hub", "ingest", "canonical-json", str(f), "--quiet",
                            "--authority", events[0]["header"]["source"]["authority"],
                            "--tokens", str(tmp_path / "authorities.yaml")],
                           env=env, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr[-2000:]

    def router(log):
        return subprocess.Popen([sys.executable, "-m", "hub", "router", "--recipients-ttl", f"{TTL_S}s",
                                 "--retention-interval", "1"], env=env, stdout=subprocess.DEVNULL,
                                stderr=open(tmp_path / log, "wb"))

    def received(etype):
        return sorted(k for k, t in receiver.received.get("uni-a", {}).items() if t == etype)

    def wait(cond, timeout, what, log="router.log"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.5)
        raise AssertionError(f"timed out: {what}\n" + (tmp_path / log).read_text()[-2000:])

    procs = [router("router.log"),
             subprocess.Popen([sys.executable, "-m", "hub", "deliver"], env=env, stdout=subprocess.DEVNULL,
                              stderr=open(tmp_path / "deliver.log", "wb"))]
    try:
        ingest(old_issued, "old")
        wait(lambda: len(received("CredentialIssued")) == 3, 90, "old credentials delivered")
        old_ids = {e["credential_id"] for e in old_issued}
        wait(lambda: _tombstoned(hub_settings, old_ids) == old_ids, TTL_S + 60,
             "tombstones for the expired recipients rows")
        ingest(new_issued, "new")
        wait(lambda: len(received("CredentialIssued")) == 6, 60, "new credentials delivered")
        procs[0].terminate()
        assert procs[0].wait(30) is not None
        procs[0] = router("router2.log")
        ingest(old_revoked + new_revoked, "revoked")
        # only the three credentials whose rows were live reach the partner
        wait(lambda: len(received("CredentialRevoked")) >= 3, 60, "revocations of the live rows", "router2.log")
        time.sleep(3)     # an expired row brought back by the restart would send more by now
        assert len(received("CredentialRevoked")) == 3, receiver.received
    finally:
        for p in procs:
            p.terminate()
            p.wait(20)
        receiver.stop()

"""The spine on the embedded broker: ingest, router, delivery, demo — and their guarantees."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
import yaml

from hub.runtime.deadletter import headers_dict

pytestmark = pytest.mark.integration


def read_all(settings, topic: str, expect: int, timeout: float = 60.0):
    """Read `topic` from the beginning (direct assignment, no group) until `expect` records."""
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    from hub.runtime.kafka import consumer_config
    c = Consumer(consumer_config(settings, "test-reader"))
    md = c.list_topics(topic, timeout=10)
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in md.topics[topic].partitions])
    out, deadline = [], time.monotonic() + timeout
    while len(out) < expect and time.monotonic() < deadline:
        out += [m for m in c.consume(500, timeout=0.5) if not m.error()]
    c.close()
    return out


def nqf(env, *args, timeout=180):
    return subprocess.run([sys.executable, "-m", "hub", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


def as_authority(tmp_path) -> list[str]:
    """`--authority ID --tokens FILE` of a ZA authority allowed to use openbadges3."""
    from hub.serve.tokens import issue_token
    path = tmp_path / "authorities.yaml"
    path.write_text("authorities:\n  - {id: za-test, token_sha256: %s, connectors: [openbadges3], "
                    "jurisdiction: ZA, authority_type: public_body}\n" % issue_token()[1])
    return ["--authority", "za-test", "--tokens", str(path)]


def sample_file(tmp_path, n, bad_lines=()):
    from connectors.openbadges3.samples import sample_credentials
    lines = [json.dumps(c) for c in sample_credentials(n, seed=3, jurisdictions=("ZA",))]
    for i, bad in bad_lines:
        lines.insert(i, bad)
    p = tmp_path / "creds.jsonl"
    p.write_text("\n".join(lines) + "\n")
    return p


def test_demo_accounts_for_every_event(hub_env):
    r = nqf(hub_env, "demo", "--events", "60", "--json")
    assert r.returncode == 0, r.stderr[-3000:]
    last = json.loads(r.stdout.strip().splitlines()[-1])
    assert last["ingested"] == 60
    assert last["delivered"] + last["held"] + last["blocked"] + last["dead_lettered"] == 60
    assert last["delivered"] > 0
    assert "signed deliveries accepted" in r.stderr and "0 bad signatures" in r.stderr


def test_ingest_rejects_bad_records_to_dead_letter_with_original_bytes(hub_env, hub_settings, tmp_path):
    from hub.runtime.topics import ensure_topics
    ensure_topics(hub_settings, [])
    bad = '{"@context": ["x"], "type": "not a credential", "credentialSubject": 7}'
    path = sample_file(tmp_path, 5, bad_lines=[(2, bad)])
    r = nqf(hub_env, "ingest", "openbadges3", str(path), "--json", *as_authority(tmp_path))
    assert r.returncode == 2, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1])["ingested"] == 5
    assert json.loads(r.stdout.strip().splitlines()[-1])["rejected"] == 1
    err = [json.loads(x) for x in r.stderr.splitlines() if x.startswith('{"error"')]
    assert err and err[0]["file"].endswith("creds.jsonl") and ("line" in err[0] or "record" in err[0])
    dl = read_all(hub_settings, hub_settings.topic("deadletter"), 1)
    assert dl[0].value() == bad.encode()
    h = headers_dict(dl[0].headers())
    assert h["stage"] == "ingest" and h["connector"] == "openbadges3" and "creds.jsonl" in h["source"]
    assert len(read_all(hub_settings, hub_settings.topic("ingress"), 5)) == 5


def test_router_dead_letters_an_undecodable_record_and_keeps_going(hub_env, hub_settings, tmp_path):
    from confluent_kafka import Producer

    from hub.routing.policy import load_partners
    from hub.runtime.kafka import producer_config
    from hub.runtime.topics import ensure_topics
    ensure_topics(hub_settings, load_partners(hub_settings.partners_path))
    p = Producer(producer_config(hub_settings))
    p.produce(hub_settings.topic("ingress"), value=b"\x00garbage", key=b"k")
    p.flush(10)
    path = sample_file(tmp_path, 3)
    assert nqf(hub_env, "ingest", "openbadges3", str(path), "--quiet", *as_authority(tmp_path)).returncode == 0
    router = subprocess.Popen([sys.executable, "-m", "hub", "router"], env=hub_env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        dl = read_all(hub_settings, hub_settings.topic("deadletter"), 1, timeout=60)
        assert dl and dl[0].value() == b"\x00garbage"
        h = headers_dict(dl[0].headers())
        assert h["stage"] == "router" and h["reason_class"] == "schema"
        assert h["original.topic"] == hub_settings.topic("ingress")
        from hub.serde import default_serde
        decided = set()
        deadline = time.monotonic() + 60
        while len(decided) < 3 and time.monotonic() < deadline:
            for m in read_all(hub_settings, hub_settings.topic("audit"), 1, timeout=5):
                name, rec = default_serde().decode(m.value())
                if name == "nqfhub.internal.AuditRecord":   # seals share the topic
                    decided.add(rec["event_id"])
        assert len(decided) == 3   # every good event was decided
    finally:
        router.terminate()
        router.wait(20)


def test_delivery_retries_then_dead_letters_and_receipts(hub_settings, tmp_path):
    from confluent_kafka import Producer

    from hub.delivery.receiver import PartnerReceiver
    from hub.delivery.worker import DeliveryWorker, build_channels
    from hub.routing.policy import load_partners
    from hub.runtime.kafka import producer_config
    from hub.runtime.topics import ensure_topics, partner_topic
    from hub.serde import default_serde

    from connectors.webhook import new_secret
    sec = {pid: new_secret() for pid in ("ok", "flaky", "broken")}
    receiver = PartnerReceiver({pid: s.encode() for pid, s in sec.items()},
                               fail_first={"flaky": (2, 503), "broken": (99, 400)}).start()
    pdir = tmp_path / "partners"
    pdir.mkdir()
    for pid in ("ok", "flaky", "broken"):
        (pdir / f"{pid}.yaml").write_text(yaml.safe_dump({
            "id": pid, "name": pid, "jurisdiction": "DE", "legal_nature": "public_body",
            "purposes": ["recognition"], "instruments": [],
            "delivery": {"type": "webhook", "url": f"{receiver.url}/{pid}", "format": "canonical-json",
                         "secret_ref": f"t-{pid}", "max_attempts": 3, "backoff_s": 0.01}}))
    import os
    for pid, s in sec.items():
        os.environ[f"NQF_HUB_SECRET_T_{pid.upper()}"] = s
    try:
        partners = load_partners(pdir)
        ensure_topics(hub_settings, partners)
        serde = default_serde()
        from hub.ingest.decoding import decode_paths
        events = [data for item, data in decode_paths("openbadges3", [sample_file(tmp_path, 2)]) if data]
        p = Producer(producer_config(hub_settings))
        for pid in partners:
            for v in events:
                p.produce(partner_topic(hub_settings, pid), value=v, key=b"k")
        p.flush(10)
        worker = DeliveryWorker(hub_settings, serde, partners, channels=build_channels(hub_settings, partners))
        t = threading.Thread(target=worker.run, kwargs={"idle_exit_s": 8}, daemon=True)
        t.start()
        receipts = read_all(hub_settings, hub_settings.topic("delivery"), 6, timeout=90)
        t.join(60)
        status = {}
        for m in receipts:
            r = serde.decode(m.value())[1]
            status.setdefault(r["partner_id"], []).append((r["status"], r["attempts"]))
        assert sorted(s for s, _ in status["ok"]) == ["delivered", "delivered"]
        assert sorted(s for s, _ in status["flaky"]) == ["delivered", "delivered"]
        assert max(a for _, a in status["flaky"]) == 3          # two 503s, then success
        assert status["broken"] == [("dead_lettered", 1), ("dead_lettered", 1)]   # 400 is permanent
        dl = read_all(hub_settings, hub_settings.topic("deadletter"), 2)
        assert {m.value() for m in dl} == set(events)            # original bytes kept
        assert all(headers_dict(m.headers())["partner"] == "broken" for m in dl)
        assert receiver.stats()["received"] == {"ok": 2, "flaky": 2}
    finally:
        receiver.stop()

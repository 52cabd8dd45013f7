"""A partner that is down does not hold up another partner, and gets everything exactly once.

Evidence by order of events, not by timing thresholds: while partner `down` answers 503, partner
`up` receives a second round of events produced *after* the outage began; `down` has then
received nothing and nothing of it was dead-lettered (its records are waiting, not lost). When
`down` comes back it receives each event once, in the order routed.
"""
from __future__ import annotations

import os
import threading
import time

import pytest
import yaml

from tests.integration.test_spine import read_all, sample_file

pytestmark = pytest.mark.integration


def wait_for(cond, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_partner_outage_does_not_stall_other_partners_and_delivers_exactly_once(hub_settings, tmp_path):
    from confluent_kafka import Consumer, Producer, TopicPartition

    from hub.delivery.receiver import PartnerReceiver
    from hub.delivery.worker import DeliveryWorker, build_channels
    from hub.ingest.decoding import decode_paths
    from hub.routing.policy import load_partners
    from hub.runtime.kafka import consumer_config, producer_config
    from hub.runtime.topics import ensure_topics, partner_topic
    from hub.serde import default_serde

    from connectors.webhook import new_secret
    secrets = {"up": new_secret().encode(), "down": new_secret().encode()}
    receiver = PartnerReceiver(secrets).start()
    receiver.outage.add("down")
    pdir = tmp_path / "partners"
    pdir.mkdir()
    for pid in secrets:
        (pdir / f"{pid}.yaml").write_text(yaml.safe_dump({
            "id": pid, "name": pid, "jurisdiction": "DE", "legal_nature": "public_body",
            "purposes": ["recognition"], "instruments": [],
            "delivery": {"type": "webhook", "url": f"{receiver.url}/{pid}", "format": "canonical-json",
                         "secret_ref": f"out-{pid}", "max_attempts": 100000, "backoff_s": 0.05,
                         "backoff_max_s": 0.5}}))
        os.environ[f"NQF_HUB_SECRET_OUT_{pid.upper()}"] = secrets[pid].decode()
    partners = load_partners(pdir)
    ensure_topics(hub_settings, partners)
    serde = default_serde()
    events = [(item.event["header"]["event_id"], data)
              for item, data in decode_paths("openbadges3", [sample_file(tmp_path, 12)]) if data]
    first, second = events[:6], events[6:]
    t_up, t_down = partner_topic(hub_settings, "up"), partner_topic(hub_settings, "down")
    p = Producer(producer_config(hub_settings))

    def send(topic, batch):
        for _, v in batch:
            p.produce(topic, value=v, key=b"one-subject")    # one key: one partition, ordered
        p.flush(10)

    send(t_down, events)                                     # everything for `down` up front
    send(t_up, first)
    p.produce(t_up, value=b"\x00not an event", key=b"one-subject")   # a poison record for `up`
    p.flush(10)
    worker = DeliveryWorker(hub_settings, serde, partners, channels=build_channels(hub_settings, partners))
    t = threading.Thread(target=worker.run, daemon=True)
    t.start()
    try:
        wait_for(lambda: len(receiver.accepted["up"]) == len(first), "the first round at `up`")
        wait_for(lambda: receiver.unavailable["down"] >= 2, "`down` to be tried")
        send(t_up, second)                                   # produced during the outage
        wait_for(lambda: len(receiver.accepted["up"]) == len(events), "the second round at `up`")
        tried_during = receiver.unavailable["down"]
        assert receiver.accepted["down"] == []
        receipts = [serde.decode(m.value())[1] for m in read_all(hub_settings, hub_settings.topic("delivery"),
                                                                   len(events), timeout=10)]
        assert [r for r in receipts if r["partner_id"] == "down"] == []       # not dead-lettered
        assert t.is_alive()                                  # the poison record did not stop it
        wait_for(lambda: receiver.unavailable["down"] > tried_during, "`down` to be retried")

        receiver.outage.discard("down")                        # the partner comes back
        wait_for(lambda: len(receiver.accepted["down"]) == len(events), "`down` to catch up")
        assert receiver.accepted["down"] == [eid for eid, _ in events]        # once each, in order
        assert receiver.accepted["up"] == [eid for eid, _ in events]
        assert receiver.stats()["duplicates"] == {}
        receipts = [serde.decode(m.value())[1] for m in read_all(hub_settings, hub_settings.topic("delivery"),
                                                                   2 * len(events), timeout=30)]
        by = {(r["partner_id"], r["event_id"]): r for r in receipts}
        assert len(receipts) == len(by) == 2 * len(events)
        assert {r["status"] for r in receipts} == {"delivered"}
        assert by[("down", events[0][0])]["attempts"] > 2
        dl = read_all(hub_settings, hub_settings.topic("deadletter"), 1, timeout=10)
        assert [m.value() for m in dl] == [b"\x00not an event"]
    finally:
        worker.stop()
        t.join(60)
        receiver.stop()
    assert not t.is_alive()
    # every source offset was committed (after its receipt or dead letter): nothing left behind
    c = Consumer(consumer_config(hub_settings, f"{hub_settings.topic_prefix}-delivery"))
    for topic, n in ((t_up, len(events) + 1), (t_down, len(events))):
        ends = {}
        for m in read_all(hub_settings, topic, n, timeout=10):
            ends[m.partition()] = max(ends.get(m.partition(), 0), m.offset() + 1)
        committed = c.committed([TopicPartition(topic, i) for i in ends], timeout=10)
        assert {tp.partition: tp.offset for tp in committed} == ends, topic
    c.close()


def test_a_rebalance_during_an_outage_does_not_leave_partitions_paused(hub_settings, tmp_path):
    """librdkafka keeps a pause across revoke/assign: a worker whose paused partitions come back
    after a rebalance must fetch them again, or a partner outage that overlaps a worker restart
    would strand records forever."""
    from confluent_kafka import Producer

    from connectors.webhook import new_secret
    from hub.delivery.receiver import PartnerReceiver
    from hub.delivery.worker import DeliveryWorker, build_channels
    from hub.ingest.decoding import decode_paths
    from hub.routing.policy import load_partners
    from hub.runtime.kafka import producer_config
    from hub.runtime.topics import ensure_topics, partner_topic
    from hub.serde import default_serde

    secret = new_secret()
    receiver = PartnerReceiver({"rb": secret.encode()}).start()
    receiver.outage.add("rb")
    pdir = tmp_path / "partners"
    pdir.mkdir()
    (pdir / "rb.yaml").write_text(yaml.safe_dump({
        "id": "rb", "name": "rb", "jurisdiction": "DE", "legal_nature": "public_body",
        "purposes": ["recognition"], "instruments": [],
        "delivery": {"type": "webhook", "url": f"{receiver.url}/rb", "format": "canonical-json",
                     "secret_ref": "rebalance-rb", "max_attempts": 100000, "backoff_s": 0.05,
                     "backoff_max_s": 0.5}}))
    os.environ["NQF_HUB_SECRET_REBALANCE_RB"] = secret
    partners = load_partners(pdir)
    ensure_topics(hub_settings, partners)
    events = [(item.event["header"]["event_id"], data)
              for item, data in decode_paths("openbadges3", [sample_file(tmp_path, 8)]) if data]
    p = Producer(producer_config(hub_settings))
    for i, (_, v) in enumerate(events):       # several keys: several partitions, all paused
        p.produce(partner_topic(hub_settings, "rb"), value=v, key=f"subject-{i}".encode())
    p.flush(10)

    def new_worker():
        w = DeliveryWorker(hub_settings, default_serde(), partners, channels=build_channels(hub_settings, partners))
        t = threading.Thread(target=w.run, daemon=True)
        t.start()
        return w, t

    a, ta = new_worker()
    try:
        wait_for(lambda: receiver.unavailable["rb"] >= 3, "the outage to be hit (partitions paused)")
        b, tb = new_worker()                  # a second member joins: everything is reassigned
        time.sleep(0.5)
        wait_for(lambda: receiver.unavailable["rb"] >= 6, "retries across the rebalance")
        b.stop()
        tb.join(60)                           # and leaves: a gets every partition back
        receiver.outage.discard("rb")
        wait_for(lambda: len(receiver.accepted["rb"]) == len(events), "every event after the rebalance")
        assert sorted(receiver.accepted["rb"]) == sorted(eid for eid, _ in events)
        assert receiver.stats()["duplicates"] == {}
    finally:
        a.stop()
        ta.join(60)
        receiver.stop()

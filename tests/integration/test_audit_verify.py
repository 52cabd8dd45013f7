"""`nqf-hub audit verify` on a real router run: intact, then three tampered copies of the topic
(one record changed, one removed, two swapped), each detected with its partition and offset."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from hub.cli import main_group

pytestmark = pytest.mark.integration


def _cli(env, *args):
    return CliRunner().invoke(main_group, list(args), env=env, catch_exceptions=False)


def _audit_items(settings, topic):
    from hub.routing.audit_read import read_partitions
    from hub.serde import default_serde
    return read_partitions(settings, topic, default_serde())


def _copy(settings, src: dict, name: str, tamper) -> str:
    """Write the records of `src` ({partition: [Item]}) to a new topic, through `tamper`."""
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    from hub.routing.audit_chain import AUDIT, SEAL
    from hub.runtime.kafka import admin_config, producer_config
    from hub.serde import default_serde
    topic = settings.topic(name)
    admin = AdminClient(admin_config(settings))
    admin.create_topics([NewTopic(topic, num_partitions=settings.partitions, replication_factor=1)])[topic].result(30)
    p = Producer(producer_config(settings))
    for part, items in src.items():
        for it in tamper(part, list(items)):
            value = default_serde().encode(it.record, SEAL if it.kind == "seal" else AUDIT)
            p.produce(topic, value=value, partition=part)
    assert p.flush(30) == 0
    return topic


def test_verify_passes_on_a_real_run_and_names_each_kind_of_tampering(hub_env, hub_settings, tmp_path):
    from connectors.openbadges3.samples import sample_credentials
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.producer import produce_all
    from hub.routing.policy import load_partners
    from hub.runtime.topics import ensure_topics
    from hub.sdk import registry
    from hub.sdk.inbound import Source

    s = hub_settings
    ensure_topics(s, load_partners(s.partners_path))
    conn = registry.inbound("openbadges3")
    doc = "\n".join(json.dumps(c) for c in sample_credentials(12, seed=5)).encode()
    summary = produce_all(s, decode_sources(conn, [Source("load.jsonl", data=doc)], make_context(conn)),
                          connector="openbadges3")
    assert summary.ingested == 12
    log = tmp_path / "router.log"
    router = subprocess.Popen([sys.executable, "-m", "hub", "router", "--batch", "5"], env=hub_env,
                              stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    try:
        deadline = time.monotonic() + 45
        items = {}
        while time.monotonic() < deadline:
            items = _audit_items(s, s.topic("audit"))
            audits = [i for v in items.values() for i in v if i.kind == "audit"]
            if len({i.record["event_id"] for i in audits}) == 12 and all(
                    v[-1].kind == "seal" for v in items.values() if v):
                break
            time.sleep(0.5)
        else:
            raise AssertionError("router did not audit every event:\n" + log.read_text()[-2000:])
    finally:
        router.terminate()
        router.wait(20)
    assert sum(1 for v in items.values() for i in v if i.kind == "seal") >= 2

    ok = _cli(hub_env, "audit", "verify", "--json")
    assert ok.exit_code == 0, ok.output
    summary = json.loads(ok.output.splitlines()[-1])["summary"]
    assert summary["ok"] and summary["records"] == sum(len(v) for v in items.values())

    part = max(items, key=lambda p: len(items[p]))
    victims = [i for i, it in enumerate(items[part]) if it.kind == "audit"][1:]
    assert len(victims) >= 3, "need a partition with a few audit records"
    k = victims[1]

    def changed(p, its):
        if p == part:
            rec = dict(its[k].record, action="forward")    # rewrite the decision, keep the hash
            if rec == its[k].record:
                rec["action"] = "block"
            its[k] = type(its[k])(its[k].offset, "audit", rec)
        return its

    def removed(p, its):
        return its[:k] + its[k + 1:] if p == part else its

    def reordered(p, its):
        if p == part:
            its[k], its[k + 1] = its[k + 1], its[k]
        return its

    for name, tamper, kind, offset in (("changed", changed, "changed", k), ("removed", removed, "removed", k),
                                       ("reordered", reordered, "reordered", k)):
        topic = _copy(s, items, f"audit-copy-{name}", tamper)
        res = _cli(hub_env, "audit", "verify", "--topic", topic, "--json")
        assert res.exit_code == 1, (name, res.output)
        lines = [json.loads(x) for x in res.output.splitlines()]
        probs = [p for ln in lines if "problems" in ln for p in ln["problems"]]
        assert any(p["problem"] == kind and p["partition"] == part and p["offset"] == offset for p in probs), \
            (name, probs)
        # the human form names partition and offset too
        human = _cli(hub_env, "audit", "verify", "--topic", topic).output
        assert f"partition {part} offset {offset}" in human and "NOT intact" in human

    # an untampered copy verifies: the check is about content and order, not the topic name
    same = _copy(s, items, "audit-copy-same", lambda p, its: its)
    assert _cli(hub_env, "audit", "verify", "--topic", same).exit_code == 0

    # seals are required: the same records without their seals, and an empty audit topic, fail
    unsealed = _copy(s, items, "audit-copy-unsealed", lambda p, its: [i for i in its if i.kind != "seal"])
    res = _cli(hub_env, "audit", "verify", "--topic", unsealed)
    assert res.exit_code == 1 and "UNSEALED" in res.output and "no seal" in res.output
    empty = _copy(s, {}, "audit-copy-empty", lambda p, its: its)
    assert _cli(hub_env, "audit", "verify", "--topic", empty).exit_code == 1
    assert _cli(hub_env, "audit", "verify", "--topic", empty, "--allow-empty").exit_code == 0

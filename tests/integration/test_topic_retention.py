"""`topics ensure` gives each topic its retention (issue 10 item 6), read back with describe_configs
on the embedded broker: audit forever, ingress/held/partner/deadletter from settings, and an
existing topic with another retention is brought in line."""
from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.integration


def _retention(settings, topics):
    from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

    from hub.runtime.kafka import admin_config
    admin = AdminClient(admin_config(settings))
    out = {}
    for res, f in admin.describe_configs([ConfigResource(ResourceType.TOPIC, t) for t in topics]).items():
        cfg = f.result(30)
        out[res.name] = (cfg["retention.ms"].value, cfg["retention.bytes"].value if "retention.bytes" in cfg else None)
    return out


def test_ensure_sets_and_realigns_retention(hub_settings):
    from confluent_kafka.admin import AdminClient, NewTopic

    from hub.runtime.kafka import admin_config
    from hub.runtime.topics import ensure_topics
    s = hub_settings.with_(retention_ingress_ms=3_600_000)
    # the audit topic exists already with a 1-hour retention (e.g. created by hand)
    admin = AdminClient(admin_config(s))
    admin.create_topics([NewTopic(s.topic("audit"), num_partitions=s.partitions, replication_factor=1,
                                  config={"retention.ms": "3600000"})])[s.topic("audit")].result(30)
    result = ensure_topics(s, ["uni-x"])
    assert result[s.topic("audit")] == "updated" and result[s.topic("ingress")] == "created"
    names = [s.topic(t) for t in ("audit", "release", "ingress", "held", "partner.uni-x", "deadletter")]
    # on a multi-broker cluster the altered config reaches the broker that answers a moment later
    deadline = time.monotonic() + 15
    while (got := _retention(s, names))[s.topic("audit")] != ("-1", "-1") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert got[s.topic("audit")] == ("-1", "-1") and got[s.topic("release")][0] == "-1"
    assert got[s.topic("ingress")][0] == "3600000"
    assert got[s.topic("held")][0] == str(s.retention_held_ms)
    assert got[s.topic("partner.uni-x")][0] == str(s.retention_partner_ms)
    assert got[s.topic("deadletter")][0] == str(s.retention_deadletter_ms)
    # idempotent: nothing left to change. On a multi-broker cluster a config change reaches every
    # broker's metadata a moment after AlterConfigs returns, so a read at once may still see the
    # old value (and set it again): settle first
    deadline = time.monotonic() + 15
    while set((again := ensure_topics(s, ["uni-x"])).values()) != {"exists"} and time.monotonic() < deadline:
        time.sleep(0.5)
    assert set(again.values()) == {"exists"}

"""Consumer lag per partition from a real group's committed offsets, exposed on /metrics."""
from __future__ import annotations

import time
import urllib.request

import pytest

pytestmark = pytest.mark.integration


def test_lag_monitor_reports_committed_vs_end_per_partition(hub_settings):
    from confluent_kafka import Consumer, TopicPartition
    from prometheus_client import REGISTRY

    from hub.observability.lag import group_lag, stage_groups
    from hub.observability.metrics import StageMetrics
    from hub.observability.producing import OperatorProducer
    from hub.observability.reading import TopicReader
    from hub.runtime.broker import free_port
    from hub.runtime.kafka import consumer_config
    from hub.runtime.topics import ensure_topics

    s = hub_settings
    ensure_topics(s, [])
    ingress = s.topic("ingress")
    out = OperatorProducer(s)
    for i in range(40):                      # 10 per partition, in several batches
        out.send(ingress, f"k{i}".encode(), b"v", [])
        if i % 7 == 0:
            out.flush()
    out.flush()
    group = f"{s.topic_prefix}-router"
    with TopicReader(s) as r:
        ends = r.end_offsets(r.partitions([ingress]))
    assert sum(hi for _, hi in ends.values()) == 40          # exact end offsets, also on the embedded broker
    c = Consumer(consumer_config(s, group))
    c.commit(offsets=[TopicPartition(ingress, 0, 3), TopicPartition(ingress, 1, ends[(ingress, 1)][1])],
             asynchronous=False)
    c.close()
    expected = {p: hi - (3 if p == 0 else hi if p == 1 else 0) for (_, p), hi in
                ((tp, v[1]) for tp, v in ends.items())}

    with TopicReader(s) as r:
        res = group_lag(r, stage_groups(s)["router"])
    assert {x["partition"]: x["lag"] for x in res["partitions"]} == expected

    port = free_port()
    m = StageMetrics.serve("router", port, addr="127.0.0.1", settings=s, lag_interval_s=0.5)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and m.lag_monitor.rounds < 1:
            time.sleep(0.2)
        for p, lag in expected.items():
            assert REGISTRY.get_sample_value("nqfhub_consumer_lag",
                                             {"group": group, "topic": ingress, "partition": str(p)}) == lag
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
        assert f'nqfhub_consumer_lag{{group="{group}",partition="0",topic="{ingress}"}} {float(expected[0])}' in body
        assert "nqfhub_topic_end_offset" in body
    finally:
        m.close()

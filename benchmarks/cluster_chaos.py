"""Broker failures for benchmarks/chaos.py on the local 3-node cluster (`nqf-hub cluster`).

`BrokerKiller.kill_busiest_leader(topics)` reads the partition leaders of the given topics from
the cluster's metadata, picks the broker that leads most of them, and crashes its JVM with
SIGKILL through `hub.runtime.kafka_cluster.stop` (which finds the node's pid in the cluster
state under $NQF_HUB_HOME/kafka-cluster and checks the process is that node's JVM);
`restart(node)` starts that node again and waits until all three brokers serve clients.
"""
from __future__ import annotations

import signal
import time
from collections import Counter

from hub.errors import ConfigError


class BrokerKiller:
    def __init__(self, settings):
        from hub.runtime import kafka_cluster as kc
        self.kc = kc
        self.settings = settings
        st = kc.status(settings)
        if not st["nodes"] or not st["running"]:
            raise ConfigError("the broker scenario needs the local cluster running under this NQF_HUB_HOME "
                              "(`nqf-hub cluster start`, then `eval \"$(nqf-hub cluster env)\"`)")
        self.pids = {n: v["pid"] for n, v in st["nodes"].items()}

    def leaders(self, topics) -> Counter:
        """Partitions led per broker id, over `topics`."""
        from confluent_kafka.admin import AdminClient

        from hub.runtime.kafka import admin_config
        md = AdminClient(admin_config(self.settings)).list_topics(timeout=15)
        led: Counter = Counter()
        for t in topics:
            for p in md.topics[t].partitions.values():
                led[p.leader] += 1
        return led

    def kill_busiest_leader(self, topics) -> dict:
        led = self.leaders(topics)
        node, count = led.most_common(1)[0]
        if node not in self.pids:
            raise ConfigError(f"broker {node} leads the most partitions but is not a node of the local cluster")
        t0 = time.monotonic()
        stopped = self.kc.stop(self.settings, nodes=(node,), sig=signal.SIGKILL)
        if stopped != [node]:
            raise ConfigError(f"broker {node} was not running")
        return {"node_id": node, "pid": self.pids[node], "led": count, "leaders_before": dict(led),
                "kill_s": round(time.monotonic() - t0, 2)}

    def restart(self, node: int) -> None:
        st = self.kc.start(self.settings, nodes=(node,), timeout=300, log=lambda *_: None)
        self.pids[node] = st["pids"][str(node)] if "pids" in st else self.pids[node]

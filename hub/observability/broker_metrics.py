"""Metrics of the embedded broker (Tansu), collected when Prometheus scrapes.

The embedded broker keeps every topic in memory, so its resident memory is the number to watch.
`BrokerCollector` reads the recorded broker state ($NQF_HUB_HOME/broker.json), checks that it
answers a metadata request and reads the process's resident memory from /proc. It is registered
by `nqf-hub serve` and by `serve_broker_metrics` (for a supervisor process of the broker).
With an external Kafka cluster it reports only whether the cluster answers; use the cluster's
own exporter for the rest.
"""
from __future__ import annotations

import time
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class BrokerCollector(Collector):
    def __init__(self, settings, timeout_s: float = 1.0):
        self.settings = settings
        self.timeout_s = timeout_s

    def describe(self):
        return []

    def collect(self):
        from hub.runtime import broker
        up = GaugeMetricFamily("nqfhub_broker_up", "1 when the broker answers a metadata request.",
                               labels=["mode"])
        mode = "external" if self.settings.bootstrap else "embedded"
        st = None if self.settings.bootstrap else broker.read_state(self.settings)
        bootstrap = self.settings.bootstrap or (st.bootstrap if st and st.alive else None)
        topics = partitions = None
        ok = False
        if bootstrap:
            try:
                from confluent_kafka.admin import AdminClient

                from hub.runtime.security import librdkafka
                md = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0, **librdkafka(self.settings),
                                  "socket.timeout.ms": int(self.timeout_s * 1000)}).list_topics(timeout=self.timeout_s)
                ok = len(md.brokers) > 0
                own = [t for t in md.topics if t.startswith(self.settings.topic_prefix + ".")]
                topics = len(own)
                partitions = sum(len(md.topics[t].partitions) for t in own)
            except Exception:  # noqa: BLE001 - down is a value here, not an error
                ok = False
        up.add_metric([mode], 1.0 if ok else 0.0)
        yield up
        if topics is not None:
            g = GaugeMetricFamily("nqfhub_broker_topics", "Topics with the hub's prefix.")
            g.add_metric([], topics)
            yield g
            g = GaugeMetricFamily("nqfhub_broker_partitions", "Partitions of the hub's topics.")
            g.add_metric([], partitions)
            yield g
        if st is not None and st.alive:
            g = GaugeMetricFamily("nqfhub_broker_uptime_seconds", "Seconds since the embedded broker started.")
            g.add_metric([], max(0.0, time.time() - st.started_at))
            yield g
            rss = _rss_bytes(st.pid)
            if rss is not None:
                g = GaugeMetricFamily("nqfhub_broker_resident_memory_bytes",
                                      "Resident memory of the embedded broker (it keeps all data in memory).")
                g.add_metric([], rss)
                yield g


def _rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


_registered = False


def register(settings, registry=None) -> None:
    """Add the collector to `registry` (default registry) once per process."""
    global _registered
    if _registered:
        return
    from prometheus_client import REGISTRY
    (registry or REGISTRY).register(BrokerCollector(settings))
    _registered = True


def serve_broker_metrics(settings, port: int, addr: str = "0.0.0.0"):
    """For a process that supervises the embedded broker: /metrics with the broker gauges."""
    from prometheus_client import start_http_server
    register(settings)
    return start_http_server(port, addr=addr)

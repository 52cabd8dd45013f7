"""confluent-kafka client configuration from Settings: bootstrap, the security settings
(hub.runtime.security) and, for consumers, the consumer-timeout profile. Every confluent-kafka
client of the hub is built from one of these three functions."""
from __future__ import annotations

from hub.config import Settings
from hub.runtime.broker import bootstrap_servers
from hub.runtime.security import librdkafka


def producer_config(settings: Settings, **extra) -> dict:
    """Idempotent producer: acks=all, ordered per partition, retries without duplicates."""
    cfg = {
        "bootstrap.servers": bootstrap_servers(settings),
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "batch.num.messages": 10000,
        "compression.type": "none",
        # the Java client's partitioner, as faust/aiokafka use: a key lands on the same partition
        # whoever produces it, so topics keyed by credential id stay co-partitioned
        "partitioner": "murmur2_random",
        "log_level": 3,
        **librdkafka(settings),
    }
    cfg.update(extra)
    return cfg


def consumer_config(settings: Settings, group: str, **extra) -> dict:
    """Manual commits only (the runtime commits after outputs are acknowledged)."""
    cfg = {
        "bootstrap.servers": bootstrap_servers(settings),
        "group.id": group,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "log_level": 3,
        **settings.consumer_profile.librdkafka(),
        **librdkafka(settings),
    }
    cfg.update(extra)
    return cfg


def admin_config(settings: Settings) -> dict:
    return {"bootstrap.servers": bootstrap_servers(settings), "log_level": 3, **librdkafka(settings)}


def produce(producer, topic: str, value: bytes, key: bytes | None = None, headers=None, *,
            partition: int | None = None, on_delivery=None) -> None:
    """confluent-kafka produce that waits out a full local queue (serving delivery reports)
    instead of raising BufferError; every caller still checks its delivery reports."""
    kw = {} if partition is None else {"partition": partition}
    while True:
        try:
            producer.produce(topic, value=value, key=key, headers=headers, on_delivery=on_delivery, **kw)
            return
        except BufferError:
            producer.poll(0.1)

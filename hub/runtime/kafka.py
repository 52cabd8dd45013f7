"""confluent-kafka client configuration from Settings, with the consumer-timeout profile applied."""
from __future__ import annotations

from hub.config import Settings
from hub.runtime.broker import bootstrap_servers


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
    }
    cfg.update(extra)
    return cfg


def admin_config(settings: Settings) -> dict:
    return {"bootstrap.servers": bootstrap_servers(settings), "log_level": 3}

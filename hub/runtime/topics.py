"""The hub's topics (DESIGN.md), named with the configurable prefix, and their creation."""
from __future__ import annotations

from collections.abc import Iterable

from hub.config import Settings
from hub.errors import BrokerError

CORE = ("ingress", "audit", "held", "recognition", "deadletter", "delivery",
        "consent-join", "release")   # consent join (learner keys) and release requests: hub.routing


def core_topics(settings: Settings) -> list[str]:
    return [settings.topic(t) for t in CORE]


def partner_topic(settings: Settings, partner_id: str) -> str:
    return settings.topic(f"partner.{partner_id}")


def all_topics(settings: Settings, partner_ids: Iterable[str]) -> list[str]:
    return core_topics(settings) + [partner_topic(settings, p) for p in sorted(partner_ids)]


def ensure_topics(settings: Settings, partner_ids: Iterable[str], timeout: float = 30.0) -> dict:
    """Create missing topics; returns {topic: 'created' | 'exists'}. Raises BrokerError otherwise."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    from hub.runtime.kafka import admin_config

    admin = AdminClient(admin_config(settings))
    wanted = all_topics(settings, partner_ids)
    try:
        existing = set(admin.list_topics(timeout=timeout).topics)
    except KafkaException as e:
        raise BrokerError(f"cannot list topics: {e.args[0].str() if e.args else e}") from None
    result = {t: "exists" for t in wanted if t in existing}
    missing = [t for t in wanted if t not in existing]
    if missing:
        futures = admin.create_topics(
            [NewTopic(t, num_partitions=settings.partitions, replication_factor=settings.replication_factor)
             for t in missing], operation_timeout=timeout)
        for t, f in futures.items():
            try:
                f.result(timeout)
                result[t] = "created"
            except KafkaException as e:
                err = e.args[0]
                if err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    result[t] = "exists"
                else:
                    raise BrokerError(f"cannot create topic {t}: {err.str()}") from None
    return result

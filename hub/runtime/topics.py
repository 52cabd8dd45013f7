"""The hub's topics (DESIGN.md), named with the configurable prefix, their creation and their
retention: `nqf-hub topics ensure` gives the audit chain and release requests infinite
retention and ingress, held, partner and dead-letter topics the retention of their settings
(NQF_HUB_RETENTION_{INGRESS,HELD,PARTNER,DEADLETTER}_MS), also on topics that already exist."""
from __future__ import annotations

from collections.abc import Iterable

from hub.config import Settings
from hub.errors import BrokerError, ConfigError

CORE = ("ingress", "audit", "held", "recognition", "deadletter", "delivery",
        "consent-join", "release", "release.auto")
# consent join (learner keys) and release requests: hub.routing. `release` carries the operator's
# requests (only the operator principal writes it), `release.auto` the router's own (consent
# arrived, hold expired, consent withdrawn), so the ACLs can tell them apart.


#: topics that keep everything: the signed audit chain and the release requests (operator, router)
KEEP_FOREVER = ("audit", "release", "release.auto")
#: topic kind -> Settings field with its retention (ms)
RETENTION_SETTINGS = {"ingress": "retention_ingress_ms", "held": "retention_held_ms",
                      "partner": "retention_partner_ms", "deadletter": "retention_deadletter_ms"}
MIN_RETENTION_MS = 60_000


def topic_configs(settings: Settings, name: str) -> dict[str, str]:
    """The topic-level configs `ensure_topics` sets on topic `name` (unprefixed, e.g. 'audit',
    'partner.x'): infinite retention (retention.ms = retention.bytes = -1) for KEEP_FOREVER,
    the configured retention.ms for ingress, held, partner.* and deadletter, nothing (broker
    default) for the others. ConfigError for a retention that is neither -1 nor at least 1 min."""
    kind = "partner" if name.startswith("partner.") else name
    if kind in KEEP_FOREVER:
        return {"retention.ms": "-1", "retention.bytes": "-1"}
    key = RETENTION_SETTINGS.get(kind)
    if key is None:
        return {}
    ms = getattr(settings, key)
    if ms != -1 and ms < MIN_RETENTION_MS:
        raise ConfigError(f"setting {key} must be -1 (keep forever) or at least {MIN_RETENTION_MS} ms")
    return {"retention.ms": str(ms)}


def core_topics(settings: Settings) -> list[str]:
    return [settings.topic(t) for t in CORE]


def partner_topic(settings: Settings, partner_id: str) -> str:
    return settings.topic(f"partner.{partner_id}")


def all_topics(settings: Settings, partner_ids: Iterable[str]) -> list[str]:
    return core_topics(settings) + [partner_topic(settings, p) for p in sorted(partner_ids)]


def ensure_topics(settings: Settings, partner_ids: Iterable[str], timeout: float = 30.0) -> dict:
    """Create missing topics with their configs (`topic_configs`) and set those configs on
    topics that exist with other values; returns {topic: 'created' | 'exists' | 'updated'}.
    Raises BrokerError otherwise."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    from hub.runtime.kafka import admin_config

    admin = AdminClient(admin_config(settings))
    partner_ids = sorted(partner_ids)
    wanted = all_topics(settings, partner_ids)
    short = {settings.topic(n): n for n in (*CORE, *(f"partner.{p}" for p in partner_ids))}
    configs = {t: topic_configs(settings, short[t]) for t in wanted}
    try:
        existing = set(admin.list_topics(timeout=timeout).topics)
    except KafkaException as e:
        raise BrokerError(f"cannot list topics: {e.args[0].str() if e.args else e}") from None
    result = {t: "exists" for t in wanted if t in existing}
    missing = [t for t in wanted if t not in existing]
    if missing:
        futures = admin.create_topics(
            [NewTopic(t, num_partitions=settings.partitions, replication_factor=settings.replication_factor,
                      config=configs[t])
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
    for t in _align_configs(admin, {t: configs[t] for t, r in result.items() if r == "exists" and configs[t]},
                            timeout):
        result[t] = "updated"
    return result


def _align_configs(admin, wanted: dict[str, dict[str, str]], timeout: float) -> list[str]:
    """Set `wanted` configs on existing topics where they differ (incremental: other configs stay);
    returns the topics changed."""
    if not wanted:
        return []
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType
    try:
        described = admin.describe_configs([ConfigResource(ResourceType.TOPIC, t) for t in wanted])
        current = {res.name: {k: v.value for k, v in f.result(timeout).items()} for res, f in described.items()}
    except KafkaException as e:
        raise BrokerError(f"cannot read topic configs: {e.args[0].str() if e.args else e}") from None
    changes = {t: {k: v for k, v in cfg.items() if current.get(t, {}).get(k) != v} for t, cfg in wanted.items()}
    changes = {t: c for t, c in changes.items() if c}
    if not changes:
        return []
    resources = [ConfigResource(ResourceType.TOPIC, t, incremental_configs=[
        ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in c.items()])
        for t, c in changes.items()]
    for res, f in admin.incremental_alter_configs(resources).items():
        try:
            f.result(timeout)
        except KafkaException as e:
            raise BrokerError(f"cannot set retention of topic {res.name}: "
                              f"{e.args[0].str() if e.args else e}") from None
    return sorted(changes)

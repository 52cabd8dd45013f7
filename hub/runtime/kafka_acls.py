"""Kafka principals and ACLs per hub service (least privilege), derived from the topic prefix.

`service_acls(settings)` is the one definition; `nqf-hub cluster start` applies it to the local
cluster and `nqf-hub cluster acls` prints it for a production cluster (as `kafka-acls.sh` lines).

Who may write what (the guarantees the ACL tests check):
- only `router` writes `<p>.audit`, `<p>.held`, `<p>.partner.*`, `<p>.consent-join` and
  `<p>.release.auto` (its own release requests: consent arrived, hold expired, withdrawal);
- only `ingest` (serve and the ingest CLI) writes `<p>.ingress`;
- only `operator` writes `<p>.release`;
- `recognition` writes `<p>.recognition`; `delivery` writes `<p>.delivery` receipts;
- the workers, ingest and the operator write `<p>.deadletter`;
- `admin` is a super user (creates topics with `nqf-hub topics ensure`, replays dead letters to
  their original topics, which no single service may write).
faust keeps its internal topics (table changelogs) under the app id (`<p>-router-…`): each faust
service owns the topics and consumer groups starting with its app id.
"""
from __future__ import annotations

from dataclasses import dataclass

from hub.config import Settings

SERVICES = ("router", "ingest", "delivery", "recognition", "operator")
ADMIN = "admin"


@dataclass(frozen=True)
class Acl:
    principal: str          # user name, e.g. 'router' (Kafka principal User:router)
    resource: str           # 'topic' | 'group'
    name: str
    pattern: str            # 'literal' | 'prefixed'
    operation: str          # 'read' | 'write' | 'create' | 'describe' | 'all' ...

    def kafka_acls_args(self) -> str:
        kind = {"topic": "--topic", "group": "--group"}[self.resource]
        return (f"--add --allow-principal User:{self.principal} --operation {self.operation.title()} "
                f"{kind} {self.name} --resource-pattern-type {self.pattern}")


def service_acls(settings: Settings) -> list[Acl]:
    p, t = settings.topic_prefix, settings.topic
    acl: list[Acl] = []

    def allow(user, resource, name, op, pattern="literal"):
        acl.append(Acl(user, resource, name, pattern, op))

    # every service may see the hub's topic metadata and read what it consumes
    for user in SERVICES:
        allow(user, "topic", f"{p}.", "describe", "prefixed")
    # router: reads the hub's topics (ingress, recognition, release, its audit tail), writes decisions
    allow("router", "topic", f"{p}.", "read", "prefixed")
    for name in ("audit", "held", "deadletter", "consent-join", "release.auto"):
        allow("router", "topic", t(name), "write")
    allow("router", "topic", t("partner."), "write", "prefixed")
    # recognition: reads ingress (and its own outputs when restoring), writes decisions
    allow("recognition", "topic", t("ingress"), "read")
    allow("recognition", "topic", t("recognition"), "read")
    allow("recognition", "topic", t("recognition"), "write")
    allow("recognition", "topic", t("deadletter"), "write")
    # faust apps own their internal topics and consumer groups (app id = '<p>-router' ...)
    for user in ("router", "recognition"):
        allow(user, "topic", f"{p}-{user}", "all", "prefixed")
        allow(user, "group", f"{p}-{user}", "read", "prefixed")
    # delivery: reads partner topics, writes receipts and dead letters
    allow("delivery", "topic", t("partner."), "read", "prefixed")
    allow("delivery", "topic", t("delivery"), "write")
    allow("delivery", "topic", t("deadletter"), "write")
    allow("delivery", "group", f"{p}-delivery", "read", "prefixed")
    # ingest (serve + ingest CLI): writes ingress and dead letters; its status page reads counts
    allow("ingest", "topic", t("ingress"), "write")
    allow("ingest", "topic", t("deadletter"), "write")
    allow("ingest", "topic", f"{p}.", "read", "prefixed")
    allow("ingest", "group", f"{p}-status-page", "read", "prefixed")
    allow("ingest", "group", f"{p}-ops-", "read", "prefixed")
    # operator: reads everything, releases held records, inspects the workers' groups
    allow("operator", "topic", f"{p}.", "read", "prefixed")
    allow("operator", "topic", t("release"), "write")
    allow("operator", "topic", t("deadletter"), "write")
    allow("operator", "group", f"{p}-", "describe", "prefixed")
    allow("operator", "group", f"{p}-ops-", "read", "prefixed")
    allow("operator", "group", f"{p}-status-page", "read", "prefixed")
    return acl


def acl_bindings(acls: list[Acl]):
    """confluent-kafka AclBinding objects for AdminClient.create_acls."""
    from confluent_kafka.admin import (AclBinding, AclOperation, AclPermissionType, ResourcePatternType,
                                       ResourceType)
    out = []
    for a in acls:
        out.append(AclBinding(
            ResourceType.TOPIC if a.resource == "topic" else ResourceType.GROUP, a.name,
            ResourcePatternType.PREFIXED if a.pattern == "prefixed" else ResourcePatternType.LITERAL,
            f"User:{a.principal}", "*", AclOperation[a.operation.upper()], AclPermissionType.ALLOW))
    return out


def writers(acls: list[Acl], topic: str) -> set[str]:
    """Principals allowed to write `topic` (literal or by prefix); super users not included."""
    def matches(a: Acl) -> bool:
        return a.resource == "topic" and a.operation in ("write", "all") and (
            topic == a.name if a.pattern == "literal" else topic.startswith(a.name))
    return {a.principal for a in acls if matches(a)}


def _admin(admin_settings: Settings):
    from confluent_kafka.admin import AdminClient

    from hub.runtime.kafka import admin_config
    return AdminClient({**admin_config(admin_settings), "log_level": 0})


def apply_acls(admin_settings: Settings, acls: list[Acl], timeout: float = 30.0) -> None:
    """Create the ACLs (idempotent) as a principal allowed to alter ACLs (a super user)."""
    from hub.errors import BrokerError
    admin = _admin(admin_settings)          # referenced until every future resolved
    for binding, fut in admin.create_acls(acl_bindings(acls)).items():
        try:
            fut.result(timeout)
        except Exception as e:
            raise BrokerError(f"cannot create ACL for {binding.principal} on {binding.name}: {e}") from None


def delete_acls(admin_settings: Settings, acls: list[Acl], timeout: float = 30.0) -> None:
    from confluent_kafka.admin import AclBindingFilter
    filters = [AclBindingFilter(b.restype, b.name, b.resource_pattern_type, b.principal, b.host,
                                b.operation, b.permission_type) for b in acl_bindings(acls)]
    admin = _admin(admin_settings)
    for fut in admin.delete_acls(filters).values():
        fut.result(timeout)

"""Each hub process of a chaos or latency run (benchmarks/hubrun.py) as its own Kafka principal.

On a SASL cluster that has one SCRAM user per hub service beside the caller's password file (the
layout of `nqf-hub cluster`: users router, ingest, delivery, recognition, operator next to
admin), `RunPrincipals.detect` returns the principals of a run and the run uses them:

  router worker       User:router        recognition worker   User:recognition
  outbound worker     User:delivery      feed (ingest path)   User:ingest
  `nqf-hub audit verify`                 User:operator
  topics, ACLs, the accounting reader    the caller (a super user, e.g. admin)

`grant()` creates, as the caller, exactly the ACLs production gets for the run's topic prefix
(`hub.runtime.kafka_acls.service_acls`, what `NQF_HUB_TOPIC_PREFIX=<prefix> nqf-hub cluster acls
--kafka-acls` prints for an operator to apply) and waits until every broker enforces them;
`revoke()` deletes them again. So a run that loses nothing also shows that the per-service ACLs
are sufficient for the whole hub under failures. Anywhere else (the embedded broker, PLAINTEXT,
a cluster without per-service users) `detect` returns None and everything runs as the caller.
"""
from __future__ import annotations

import time
from pathlib import Path

from hub.config import Settings
from hub.errors import HubError
from hub.runtime.kafka_acls import SERVICES, apply_acls, delete_acls, service_acls

WORKER_SERVICE = {"router": "router", "deliver": "delivery", "recognition": "recognition"}
SECRET_KEYS = ("NQF_HUB_SASL_PASSWORD", "NQF_HUB_SASL_PASSWORD_FILE", "NQF_HUB_SASL_USERNAME")


class RunPrincipals:
    def __init__(self, settings: Settings, users_dir: Path):
        """`settings`: the run's settings as the caller (a super user), with the run's prefix."""
        self.admin = settings
        self.users_dir = users_dir
        self.acls = service_acls(settings)
        self.granted = False

    @classmethod
    def detect(cls, settings: Settings) -> "RunPrincipals | None":
        """The run's principals, or None when the caller's cluster has no per-service users."""
        if not (settings.security_protocol or "").upper().startswith("SASL") or not settings.sasl_password_file:
            return None
        users = Path(settings.sasl_password_file).parent
        if not all((users / u).is_file() for u in SERVICES):
            return None
        return cls(settings, users)

    def settings(self, service: str) -> Settings:
        """Client settings for `service` (one of hub.runtime.kafka_acls.SERVICES)."""
        if service not in SERVICES:
            raise HubError(f"no Kafka principal for service {service!r}; known: {', '.join(SERVICES)}")
        return self.admin.with_(sasl_username=service, sasl_password=None,
                                sasl_password_file=self.users_dir / service)

    def env(self, base: dict, service: str) -> dict:
        """`base` (a worker environment) with the client credentials of `service`."""
        env = {k: v for k, v in base.items() if k not in SECRET_KEYS}
        env.update(NQF_HUB_SASL_USERNAME=service, NQF_HUB_SASL_PASSWORD_FILE=str(self.users_dir / service))
        return env

    def describe(self) -> dict:
        return {**{w: s for w, s in WORKER_SERVICE.items()}, "feed": "ingest", "audit_verify": "operator",
                "setup_and_accounting": self.admin.sasl_username}

    def grant(self, timeout: float = 60.0) -> None:
        """Create the run's ACLs as the caller and wait until every broker enforces them."""
        try:
            apply_acls(self.admin, self.acls)
        except HubError as e:
            raise HubError(f"cannot grant the run's ACLs as {self.admin.sasl_username} (the harness "
                           f"needs a super user, e.g. `nqf-hub cluster env --user admin`): {e}") from None
        self.granted = True
        self._wait_enforced(timeout)

    def revoke(self) -> None:
        if self.granted:
            delete_acls(self.admin, self.acls)
            self.granted = False

    def _wait_enforced(self, timeout: float) -> None:
        """New ACLs reach each broker through the metadata log a moment after CreateAcls returns:
        ask every broker, as every service, for the run's ingress topic until each answers."""
        from confluent_kafka.admin import AdminClient

        from hub.runtime.kafka import admin_config
        topic = self.admin.topic("ingress")
        brokers = [b.strip() for b in (self.admin.bootstrap or "").split(",") if b.strip()]
        waiting = {(u, b) for u in SERVICES for b in brokers}
        deadline = time.monotonic() + timeout
        while waiting:
            for user, broker in sorted(waiting):
                cfg = {**admin_config(self.settings(user)), "bootstrap.servers": broker, "log_level": 0}
                try:
                    md = AdminClient(cfg).list_topics(topic, timeout=10).topics.get(topic)
                except Exception:  # noqa: BLE001 - not answering yet: ask again
                    md = None
                if md is not None and md.error is None:
                    waiting.discard((user, broker))
            if waiting and time.monotonic() > deadline:
                raise HubError(f"the run's ACLs were not enforced within {timeout:.0f}s by: "
                               + ", ".join(f"{u}@{b}" for u, b in sorted(waiting)))
            if waiting:
                time.sleep(0.5)

"""Per-service ACLs on a real Kafka cluster with SASL_SSL (the local cluster of `nqf-hub cluster`).

Runs when the integration session uses the local cluster (NQF_HUB_TEST_KAFKA_ENV from
`nqf-hub cluster env`): it connects as the hub services' SCRAM principals and shows that the
broker refuses what hub.runtime.kafka_acls does not allow.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from hub.runtime.kafka_acls import apply_acls, delete_acls, service_acls

pytestmark = pytest.mark.integration


@pytest.fixture
def principals(hub_settings, on_cluster):
    s = hub_settings
    if not on_cluster or not (s.security_protocol or "").startswith("SASL") or not s.sasl_password_file:
        pytest.skip("needs the local SASL_SSL cluster (NQF_HUB_TEST_KAFKA_ENV from `nqf-hub cluster env`)")
    users = Path(s.sasl_password_file).parent
    if not (users / "ingest").exists():
        pytest.skip(f"no per-service users beside {s.sasl_password_file} (not a `nqf-hub cluster`)")
    from hub.runtime.topics import ensure_topics
    ensure_topics(s, ["x-partner"])
    acls = service_acls(s)                     # for this test's topic prefix
    apply_acls(s, acls)
    yield lambda user: s.with_(sasl_username=user, sasl_password_file=users / user)
    delete_acls(s, acls)


def _produce(settings, topic: str):
    from confluent_kafka import Producer

    from hub.runtime.kafka import producer_config
    errors = []
    p = Producer(producer_config(settings, **{"message.timeout.ms": 20000}))
    p.produce(topic, b"acl-probe", key=b"k", on_delivery=lambda err, _m: errors.append(err))
    assert p.flush(30) == 0
    return errors[0]


def _produces(settings, topic: str, within: float = 20.0) -> bool:
    """True once a write succeeds: new ACLs reach every broker through the metadata log a
    moment after CreateAcls returns, so permitted writes are retried for a few seconds."""
    import time

    from confluent_kafka import KafkaError
    deadline = time.monotonic() + within
    while True:
        err = _produce(settings, topic)
        if err is None:
            return True
        if err.code() != KafkaError.TOPIC_AUTHORIZATION_FAILED or time.monotonic() > deadline:
            return False
        time.sleep(0.5)


@pytest.mark.slow
def test_only_permitted_principals_write_each_topic(principals, hub_settings):
    from confluent_kafka import KafkaError
    t = hub_settings.topic
    refused = KafkaError.TOPIC_AUTHORIZATION_FAILED
    ingest, router, operator = principals("ingest"), principals("router"), principals("operator")
    delivery = principals("delivery")

    # permitted writes first (they also wait for the new ACLs to reach every broker)
    assert _produces(ingest, t("ingress"))
    for name in ("audit", "held", "partner.x-partner", "release.auto"):
        assert _produces(router, t(name)), name
    assert _produces(operator, t("release"))
    # the ingest principal (serve, ingest CLI) may not write decisions
    err = _produce(ingest, t("audit"))
    assert err is not None and err.code() == refused
    # the router writes audit, held and partner topics, but not ingress or release
    for name in ("ingress", "release"):
        err = _produce(router, t(name))
        assert err is not None and err.code() == refused, name
    # only the operator releases held records
    for who in (ingest, delivery):
        err = _produce(who, t("release"))
        assert err is not None and err.code() == refused
    err = _produce(operator, t("release.auto"))     # the router's own requests (consent join)
    assert err is not None and err.code() == refused
    err = _produce(delivery, t("partner.x-partner"))
    assert err is not None and err.code() == refused


@pytest.mark.slow
def test_router_runs_with_only_its_own_acls(principals, hub_settings, hub_env, tmp_path):
    """The whole router (faust app: changelog topics, consumer group, librdkafka outputs) works as
    the `router` principal: ingest (as `ingest`) -> router -> audit and partner topic."""
    import subprocess
    import sys
    import time

    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.producer import produce_all
    from hub.observability.reading import TopicReader
    from hub.routing.policy import load_partners
    from hub.runtime.topics import ensure_topics
    from hub.sdk import registry
    from hub.sdk.inbound import Source

    data = (Path(__file__).resolve().parents[1] / "data" / "canonical-json" / "good" / "lifecycle.jsonl").read_bytes()
    ensure_topics(hub_settings, load_partners(hub_settings.partners_path))
    router_env = dict(hub_env, NQF_HUB_SASL_USERNAME="router",
                      NQF_HUB_SASL_PASSWORD_FILE=str(principals("router").sasl_password_file))
    log = tmp_path / "router.log"
    proc = subprocess.Popen([sys.executable, "-m", "hub", "router"], env=router_env,
                            stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    try:
        conn = registry.inbound("canonical-json")
        s = produce_all(principals("ingest"), decode_sources(conn, [Source("lifecycle.jsonl", data=data)],
                                                             make_context(conn)), connector="canonical-json")
        assert s.ingested == 3 and s.failed == 0
        operator = principals("operator")
        deadline, audits = time.monotonic() + 120, 0
        while time.monotonic() < deadline and audits == 0:
            assert proc.poll() is None, log.read_text()[-3000:]
            with TopicReader(operator) as r:
                audits = sum(1 for m in r.read([hub_settings.topic("audit")]))
            time.sleep(1)
        assert audits > 0, log.read_text()[-3000:]
    finally:
        proc.terminate()
        proc.wait(30)

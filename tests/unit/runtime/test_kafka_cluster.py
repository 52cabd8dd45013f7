"""The local Kafka cluster's configuration and the per-service ACL table (no JVM started here;
tests/integration/test_kafka_security.py runs against a started cluster)."""
from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import load_settings
from hub.runtime import kafka_cluster as kc
from hub.runtime.kafka_acls import ADMIN, SERVICES, service_acls, writers


@pytest.fixture
def settings(tmp_path):
    return load_settings({"NQF_HUB_HOME": str(tmp_path)})


def _state(tmp_path):
    return {"dir": str(tmp_path / "kafka-cluster"), "version": kc.KAFKA_VERSION, "cluster_id": "x",
            "ports": {"1": 1001, "2": 1002, "3": 1003}, "controller_ports": {"1": 2001, "2": 2002, "3": 2003},
            "pids": {}, "bootstrap": "127.0.0.1:1001,127.0.0.1:1002,127.0.0.1:1003"}


def test_node_properties_replication_quorum_and_sasl_ssl(tmp_path):
    props = dict(line.split("=", 1) for line in kc._node_properties(_state(tmp_path), 2, "pw").splitlines())
    assert props["process.roles"] == "broker,controller" and props["node.id"] == "2"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:2001,2@127.0.0.1:2002,3@127.0.0.1:2003"
    assert props["default.replication.factor"] == "3" and props["min.insync.replicas"] == "2"
    assert props["offsets.topic.replication.factor"] == "3"
    assert props["transaction.state.log.min.isr"] == "2"
    assert props["listener.security.protocol.map"] == "CLIENT:SASL_SSL,CONTROLLER:SSL"
    assert props["listeners"].startswith("CLIENT://127.0.0.1:1002,")       # loopback only
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"].split(";")[0] == "User:admin"
    assert props["listener.name.controller.ssl.client.auth"] == "required"
    assert props["auto.create.topics.enable"] == "false"


def test_client_settings_reference_password_by_file(tmp_path):
    env = kc.client_settings(_state(tmp_path), "router")
    assert env["NQF_HUB_SECURITY_PROTOCOL"] == "SASL_SSL" and env["NQF_HUB_SASL_USERNAME"] == "router"
    assert env["NQF_HUB_SASL_PASSWORD_FILE"].endswith("users/router")
    assert "NQF_HUB_SASL_PASSWORD" not in env
    # the printed env is a valid configuration
    s = load_settings({"NQF_HUB_HOME": str(tmp_path), **env})
    assert s.consumer_profile.name == "kafka" and s.replication_factor == 3


def test_cache_dir_is_keyed_by_version(monkeypatch, tmp_path):
    monkeypatch.setenv("NQF_HUB_KAFKA_CACHE", str(tmp_path))
    assert kc.cache_dir("4.4.0") == tmp_path / "kafka-4.4.0"
    assert kc.cache_dir("4.5.0") != kc.cache_dir("4.4.0")


def test_fetch_reuses_a_complete_cache_without_maven(monkeypatch, tmp_path):
    monkeypatch.setenv("NQF_HUB_KAFKA_CACHE", str(tmp_path))
    libs = tmp_path / f"kafka-{kc.KAFKA_VERSION}" / "libs"
    libs.mkdir(parents=True)
    (libs / f"kafka_2.13-{kc.KAFKA_VERSION}.jar").write_bytes(b"")
    (libs.parent / "complete").write_text(kc.KAFKA_VERSION)
    monkeypatch.setattr(kc.shutil, "which", lambda _: pytest.fail("Maven must not run"))
    assert kc.fetch() == libs


def test_only_the_router_writes_partner_audit_held(settings):
    acls = service_acls(settings)
    for t in ("audit", "held", "partner.za-employer-verify", "consent-join"):
        assert writers(acls, settings.topic(t)) == {"router"}, t
    assert writers(acls, settings.topic("ingress")) == {"ingest"}
    assert writers(acls, settings.topic("release")) == {"operator"}
    assert writers(acls, settings.topic("recognition")) == {"recognition"}
    assert writers(acls, settings.topic("delivery")) == {"delivery"}
    assert writers(acls, settings.topic("deadletter")) == {"router", "recognition", "delivery",
                                                          "ingest", "operator"}
    # faust internal topics belong to their app only
    assert writers(acls, "hub-router-recipients-changelog") == {"router"}
    assert ADMIN not in {a.principal for a in acls} and {a.principal for a in acls} == set(SERVICES)


def test_acls_follow_the_topic_prefix(tmp_path):
    s = load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_TOPIC_PREFIX": "acme"})
    assert writers(service_acls(s), "acme.audit") == {"router"}
    assert writers(service_acls(s), "hub.audit") == set()


def test_cluster_script_is_one_command():
    script = Path(__file__).resolve().parents[3] / "deploy" / "kafka" / "cluster.sh"
    text = script.read_text()
    assert script.stat().st_mode & 0o111 and "hub cluster" in text

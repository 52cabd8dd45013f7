"""Kafka client security settings: validation, librdkafka names, faust credentials, secrecy."""
from __future__ import annotations

import ssl

import pytest

from hub.config import load_settings
from hub.errors import ConfigError
from hub.runtime import security
from hub.runtime.kafka import admin_config, consumer_config, producer_config

SECRET = "s3cr3t-never-printed"


def _env(tmp_path, **kw):
    env = {"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_BOOTSTRAP": "k1:9093"}
    env.update({f"NQF_HUB_{k.upper()}": str(v) for k, v in kw.items()})
    return env


@pytest.fixture
def pki(tmp_path):
    from hub.runtime.kafka_certs import write_certs
    write_certs(tmp_path / "tls")
    return tmp_path / "tls"


def test_plaintext_adds_nothing(tmp_path):
    s = load_settings(_env(tmp_path))
    assert security.librdkafka(s) == {}
    assert security.faust_credentials(s) is None
    assert "security.protocol" not in producer_config(s)


def test_scram_over_ssl_maps_to_librdkafka_names_in_every_client(tmp_path, pki):
    s = load_settings(_env(tmp_path, security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
                           sasl_username="router", sasl_password=SECRET, ssl_ca_file=pki / "ca.pem"))
    want = {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "router", "sasl.password": SECRET,
            "ssl.ca.location": str(pki / "ca.pem"), "ssl.endpoint.identification.algorithm": "https"}
    for cfg in (producer_config(s), consumer_config(s, "g"), admin_config(s)):
        assert {k: cfg[k] for k in want} == want


def test_password_file_and_sha256(tmp_path, pki):
    (tmp_path / "pw").write_text(SECRET + "\n")
    s = load_settings(_env(tmp_path, security_protocol="sasl_plaintext", sasl_mechanism="scram-sha-256",
                           sasl_username="ingest", sasl_password_file=tmp_path / "pw"))
    cfg = security.librdkafka(s)
    assert cfg["security.protocol"] == "SASL_PLAINTEXT" and cfg["sasl.mechanism"] == "SCRAM-SHA-256"
    assert cfg["sasl.password"] == SECRET and "ssl.ca.location" not in cfg


def test_mutual_tls_client_certificate(tmp_path, pki):
    s = load_settings(_env(tmp_path, security_protocol="SSL", ssl_ca_file=pki / "ca.pem",
                           ssl_cert_file=pki / "client.pem", ssl_key_file=pki / "client.key"))
    cfg = security.librdkafka(s)
    assert cfg["ssl.certificate.location"] == str(pki / "client.pem")
    assert cfg["ssl.key.location"] == str(pki / "client.key")
    assert "sasl.mechanism" not in cfg
    import faust
    creds = security.faust_credentials(s)
    assert isinstance(creds, faust.SSLCredentials)
    assert creds.context.verify_mode == ssl.CERT_REQUIRED and creds.context.check_hostname


def test_faust_scram_credentials_reach_aiokafka(tmp_path, pki):
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
    s = load_settings(_env(tmp_path, security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
                           sasl_username="router", sasl_password=SECRET, ssl_ca_file=pki / "ca.pem"))
    auth = credentials_to_aiokafka_auth(security.faust_credentials(s))
    assert auth["security_protocol"] == "SASL_SSL" and auth["sasl_mechanism"] == "SCRAM-SHA-512"
    assert auth["sasl_plain_username"] == "router" and auth["sasl_plain_password"] == SECRET
    assert isinstance(auth["ssl_context"], ssl.SSLContext)
    from hub.routing.app import faust_settings
    assert faust_settings(s, "hub-router")["broker_credentials"] is not None


def test_oauthbearer_maps_to_oidc_and_faust_token_provider(tmp_path, pki):
    s = load_settings(_env(tmp_path, security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
                           sasl_oauthbearer_token_url="https://idp.example/token",
                           sasl_oauthbearer_client_id="hub-router",
                           sasl_oauthbearer_client_secret=SECRET, sasl_oauthbearer_scope="kafka",
                           ssl_ca_file=pki / "ca.pem"))
    cfg = security.librdkafka(s)
    assert cfg["sasl.mechanism"] == "OAUTHBEARER" and cfg["sasl.oauthbearer.method"] == "oidc"
    assert cfg["sasl.oauthbearer.token.endpoint.url"] == "https://idp.example/token"
    assert cfg["sasl.oauthbearer.client.id"] == "hub-router" and cfg["sasl.oauthbearer.scope"] == "kafka"
    from aiokafka.abc import AbstractTokenProvider
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
    auth = credentials_to_aiokafka_auth(security.faust_credentials(s))
    assert auth["security_protocol"] == "SASL_SSL" and auth["sasl_mechanism"] == "OAUTHBEARER"
    assert isinstance(auth["sasl_oauth_token_provider"], AbstractTokenProvider)


def test_oidc_token_provider_fetches_and_caches(tmp_path, monkeypatch):
    import asyncio

    import httpx
    calls = []

    def post(url, data, auth, timeout):
        calls.append((url, data, auth))
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
    monkeypatch.setattr(httpx, "post", post)
    s = load_settings(_env(tmp_path, security_protocol="SASL_SSL", sasl_mechanism="OAUTHBEARER",
                           sasl_oauthbearer_token_url="https://idp.example/token",
                           sasl_oauthbearer_client_id="c", sasl_oauthbearer_client_secret=SECRET))
    p = security.OidcTokenProvider(s)
    assert asyncio.run(p.token()) == "tok" and asyncio.run(p.token()) == "tok"
    assert len(calls) == 1 and calls[0][1]["grant_type"] == "client_credentials"


@pytest.mark.parametrize("kw, needle", [
    ({"security_protocol": "TLS"}, "security_protocol must be one of"),
    ({"security_protocol": "SASL_SSL"}, "needs sasl_mechanism"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI"}, "needs sasl_mechanism"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN"}, "needs sasl_username"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_username": "u"}, "sasl_password"),
    ({"security_protocol": "SASL_SSL", "sasl_mechanism": "OAUTHBEARER"}, "sasl_oauthbearer_token_url"),
    ({"sasl_mechanism": "PLAIN", "sasl_username": "u"}, "security_protocol is PLAINTEXT"),
    ({"security_protocol": "SSL", "ssl_cert_file": "/c.pem"}, "go together"),
    ({"ssl_ca_file": "/ca.pem"}, "use SSL or SASL_SSL"),
])
def test_contradictions_are_located_config_errors(tmp_path, kw, needle):
    with pytest.raises(ConfigError) as e:
        load_settings(_env(tmp_path, **kw))
    assert needle in str(e.value)


def test_missing_ca_file_names_the_setting(tmp_path):
    s = load_settings(_env(tmp_path, security_protocol="SSL", ssl_ca_file=tmp_path / "nope.pem"))
    with pytest.raises(ConfigError, match="ssl_ca_file"):
        security.librdkafka(s)


def test_secrets_never_in_public_repr_or_errors(tmp_path):
    s = load_settings(_env(tmp_path, security_protocol="SASL_SSL", sasl_mechanism="PLAIN",
                           sasl_username="u", sasl_password=SECRET, ssl_key_password=SECRET,
                           ssl_ca_file=tmp_path / "missing.pem"))
    from hub.config import settings_json
    assert SECRET not in settings_json(s) and SECRET not in repr(s)
    assert "sasl_password" not in s.public() and s.public()["sasl_username"] == "u"
    with pytest.raises(ConfigError) as e:
        security.librdkafka(s)
    assert SECRET not in str(e.value)


def test_every_kafka_client_in_the_hub_is_built_from_the_secured_configs():
    """A confluent-kafka client built from a hand-made dict would connect without TLS/SASL:
    every Producer/Consumer/AdminClient call in hub/ takes producer_/consumer_/admin_config(...)
    (or a variable assigned from one, or the embedded broker's own probe)."""
    import ast
    from pathlib import Path
    root = Path(__file__).resolve().parents[3] / "hub"
    allowed = {"producer_config", "consumer_config", "admin_config", "_admin"}
    bad = []
    for f in root.rglob("*.py"):
        tree = ast.parse(f.read_text())
        assigned = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                assigned[node.targets[0].id] = node.value
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                    in ("Producer", "Consumer", "AdminClient")) or not node.args:
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Name) and arg.id in assigned:
                arg = assigned[arg.id]
            src = ast.unparse(arg)
            ok = any(f"{name}(" in src for name in allowed) or "librdkafka(" in src
            if not ok and not (f.name == "broker.py" and "security" in src):
                bad.append(f"{f.relative_to(root)}:{node.lineno}: {src[:60]}")
    assert not bad, bad

"""Webhook delivery over TLS with a private CA and mutual TLS, against a local https receiver.

Certificates come from a throwaway CA made here with `cryptography`; nothing leaves tmp_path.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from connectors.webhook import WebhookDelivery
from hub.config import load_settings
from hub.delivery.receiver import PartnerReceiver
from hub.errors import ConfigError, RetriableDeliveryError
from hub.sdk.outbound import Envelope

SECRET = b"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ENV = Envelope(event_id="1168cddc-0890-548f-bb70-efd8280659f3", event_type="CredentialIssued",
               partner_id="p1", trace_id="219a67f73dff5e43f17d439b2a592621", content_type="application/json")
NOW = dt.datetime.now(dt.timezone.utc)


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject_cn, key, issuer_cert=None, issuer_key=None, *, ca=False, server=False):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer_cert.subject if issuer_cert else name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - dt.timedelta(minutes=5)).not_valid_after(NOW + dt.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                          content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False,
                                          encipher_only=False, decipher_only=False), critical=True)
    elif server:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                         x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                            critical=False)
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    else:
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256())


def _pem(obj) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca_key, other_key = _key(), _key()
    ca = _cert("test CA", ca_key, ca=True)
    other_ca = _cert("another CA", other_key, ca=True)
    srv_key, cli_key = _key(), _key()
    srv = _cert("localhost", srv_key, ca, ca_key, server=True)
    cli = _cert("nqf-hub", cli_key, ca, ca_key)
    files = {"ca": _pem(ca), "other_ca": _pem(other_ca), "srv": _pem(srv), "srv_key": _pem(srv_key),
             "cli": _pem(cli), "cli_key": _pem(cli_key)}
    for k, v in files.items():
        (d / f"{k}.pem").write_bytes(v)
    return {k: d / f"{k}.pem" for k in files} | {"cli_key_pem": files["cli_key"]}


def _server(pki, *, require_client_cert: bool):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki["srv"], pki["srv_key"])
    if require_client_cert:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(pki["ca"])
    return PartnerReceiver({"p1": SECRET}, ssl_context=ctx).start()


def test_private_ca_bundle_is_trusted_and_only_it(pki):
    r = _server(pki, require_client_cert=False)
    try:
        assert r.url.startswith("https://127.0.0.1:")
        ok = WebhookDelivery({"url": r.url + "/p1", "tls": {"ca_bundle": str(pki["ca"])}}, SECRET)
        assert ok.deliver(b"{}", ENV).status == "delivered"
        for tls in ({}, {"ca_bundle": str(pki["other_ca"])}):   # system store / a different CA
            d = WebhookDelivery({"url": r.url + "/p1", "tls": tls, "timeout_s": 5}, SECRET)
            with pytest.raises(RetriableDeliveryError, match="transport error"):
                d.deliver(b"{}", ENV)
        assert r.stats()["received"] == {"p1": 1}
    finally:
        r.stop()


def test_mutual_tls_client_certificate(pki):
    r = _server(pki, require_client_cert=True)
    try:
        base = {"url": r.url + "/p1", "timeout_s": 5}
        without = WebhookDelivery({**base, "tls": {"ca_bundle": str(pki["ca"])}}, SECRET)
        with pytest.raises(RetriableDeliveryError):
            without.deliver(b"{}", ENV)
        mtls = WebhookDelivery({**base, "tls": {"ca_bundle": str(pki["ca"]), "client_cert": str(pki["cli"]),
                                                "client_key_pem": pki["cli_key_pem"]}}, SECRET)
        assert mtls.deliver(b"{}", ENV).status == "delivered"
        assert r.stats()["received"] == {"p1": 1}
    finally:
        r.stop()


def test_channels_resolve_the_client_key_by_reference_and_never_print_it(pki, tmp_path, monkeypatch):
    from hub.delivery.record import build_channels
    from hub.routing.policy import Partner

    r = _server(pki, require_client_cert=True)
    try:
        monkeypatch.setenv("NQF_HUB_SECRET_P1_HOOK", SECRET.decode())
        monkeypatch.setenv("NQF_HUB_SECRET_P1_TLS_KEY", pki["cli_key_pem"].decode())
        settings = load_settings({"NQF_HUB_HOME": str(tmp_path)})
        delivery = {"type": "webhook", "url": r.url + "/p1", "format": "canonical-json",
                    "secret_ref": "p1-hook", "tls": {"ca_bundle": str(pki["ca"]), "client_cert": str(pki["cli"]),
                                                     "client_key_ref": "p1-tls-key"}}
        p = Partner(id="p1", name="p1", jurisdiction="DE", legal_nature="public_body",
                    purposes=("recognition",), instruments=(), delivery=delivery, subscribe={})
        ch = build_channels(settings, {"p1": p})["p1"]
        assert ch.delivery.deliver(b"{}", ENV).status == "delivered"
        # a wrong key: a located error that names the partner and option, not the key
        monkeypatch.setenv("NQF_HUB_SECRET_P1_TLS_KEY", _pem(_key()).decode())
        with pytest.raises(ConfigError) as e:
            build_channels(settings, {"p1": p})
        assert "partner p1" in str(e.value) and "PRIVATE KEY" not in str(e.value)
        monkeypatch.delenv("NQF_HUB_SECRET_P1_TLS_KEY")
        with pytest.raises(ConfigError, match="p1-tls-key"):
            build_channels(settings, {"p1": p})
    finally:
        r.stop()

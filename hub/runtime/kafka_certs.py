"""A throwaway CA and certificates for the local Kafka cluster (hub.runtime.kafka_cluster).

`write_certs(dir)` writes `ca.pem` (trust anchor for clients), `broker.pem` (unencrypted PKCS#8
key + certificate chain, Kafka's PEM keystore format; SAN 127.0.0.1 and localhost, usable as
server and client certificate: the nodes authenticate to each other's controller listener with
it) and `client.pem`/`client.key` (a client certificate, CN=nqf-hub-client, for mutual-TLS
tests). Keys are EC P-256; the CA key is thrown away after signing. Files are mode 0600.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

BROKER_CN = "nqf-hub-broker"
CLIENT_CN = "nqf-hub-client"


def _write(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def write_certs(d: Path, days: int = 30) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    d.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nqf-hub throwaway test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM

    def leaf(cn: str, server: bool):
        key = ec.generate_private_key(ec.SECP256R1())
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
             .issuer_name(ca_name).public_key(key.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.ExtendedKeyUsage(
                 [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH] if server
                 else [ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False))
        if server:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
        cert = b.sign(ca_key, hashes.SHA256())
        key_pem = key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        return key_pem, cert.public_bytes(pem)

    ca_pem = ca.public_bytes(pem)
    _write(d / "ca.pem", ca_pem)
    key_pem, cert_pem = leaf(BROKER_CN, True)
    _write(d / "broker.pem", key_pem + cert_pem + ca_pem)
    key_pem, cert_pem = leaf(CLIENT_CN, False)
    _write(d / "client.key", key_pem)
    _write(d / "client.pem", cert_pem)

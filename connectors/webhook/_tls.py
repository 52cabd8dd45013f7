"""TLS for webhook delivery: a private CA bundle and mutual-TLS client certificates per partner.

`ssl_context(tls, where=...)` is called once per partner when the worker builds its channels.
`tls` is the partner file's `delivery.tls` after the runtime resolved the key reference:

  ca_bundle       PEM file of the CA certificates to trust for this partner *instead of* the
                  system store (a private or national PKI)
  client_cert     PEM file of the client certificate (chain) presented for mutual TLS
  client_key_pem  the client private key (PEM bytes), resolved by the runtime from
                  `client_key_ref` (env NQF_HUB_SECRET_<REF> or $NQF_HUB_HOME/secrets/<ref>)
  client_key_password_pem  its passphrase, from `client_key_password_ref`, when encrypted

The key is handed to OpenSSL through a private temporary file (0600 in a 0700 directory) that is
removed at once: `ssl` can load a key only from a path. Errors name the partner and the option,
never a path's contents or a secret. Certificate verification and hostname checking stay on.
"""
from __future__ import annotations

import os
import ssl
import tempfile
from pathlib import Path

from hub.errors import ConfigError


def ssl_context(tls: dict, *, where: str) -> ssl.SSLContext:
    ca = tls.get("ca_bundle")
    try:
        ctx = ssl.create_default_context(cafile=str(_file(ca, where, "tls.ca_bundle")) if ca else None)
    except ssl.SSLError:
        raise ConfigError(f"{where}: tls.ca_bundle is not a PEM file of CA certificates") from None
    if not ca:
        import certifi  # httpx's default trust store when no bundle is given
        ctx.load_verify_locations(cafile=certifi.where())
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    cert, key = tls.get("client_cert"), tls.get("client_key_pem")
    if bool(cert) != bool(key):
        raise ConfigError(f"{where}: mutual TLS needs both tls.client_cert and tls.client_key_ref")
    if cert:
        certfile = _file(cert, where, "tls.client_cert")
        password = tls.get("client_key_password_pem")
        with tempfile.TemporaryDirectory(prefix="nqfhub-tls-") as d:
            keyfile = Path(d) / "client.key"
            fd = os.open(keyfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(key)
            try:
                ctx.load_cert_chain(str(certfile), str(keyfile), password=password)
            except (ssl.SSLError, ValueError):
                raise ConfigError(f"{where}: tls.client_cert and the key of tls.client_key_ref do not "
                                  f"load as a PEM certificate and its private key") from None
    return ctx


def _file(value, where: str, option: str) -> Path:
    p = Path(str(value)).expanduser()
    if not p.is_file():
        raise ConfigError(f"{where}: {option} is not a readable file")
    return p

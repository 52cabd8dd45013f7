"""Kafka client security from Settings, for every client the hub runs.

- `librdkafka(settings)`: the confluent-kafka keys (producers, consumers, AdminClient, ops readers);
  hub.runtime.kafka merges them into every config it builds.
- `faust_credentials(settings)`: faust's `broker_credentials` (SASLCredentials / SSLCredentials /
  OAuthCredentials with an ssl.SSLContext) which faust hands to aiokafka.
- `check_security(settings)`: called by load_settings; a missing or contradictory setting is a
  ConfigError naming the setting (never its value).

Secrets (sasl_password, sasl_oauthbearer_client_secret, ssl_key_password) are read from the
settings or, for the SASL password, from `sasl_password_file`; they never appear in
Settings.public(), repr() or error messages.
"""
from __future__ import annotations

from pathlib import Path

from hub.config import Settings
from hub.errors import ConfigError

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN", "OAUTHBEARER")


def _protocol(s: Settings) -> str:
    return (s.security_protocol or "PLAINTEXT").upper()


def _mechanism(s: Settings) -> str | None:
    return s.sasl_mechanism.upper() if s.sasl_mechanism else None


def check_security(s: Settings) -> None:
    proto, mech = _protocol(s), _mechanism(s)
    if proto not in PROTOCOLS:
        raise ConfigError(f"setting security_protocol must be one of {', '.join(PROTOCOLS)}")
    sasl = proto.startswith("SASL_")
    if sasl:
        if mech not in MECHANISMS:
            raise ConfigError(f"security_protocol {proto} needs sasl_mechanism, one of {', '.join(MECHANISMS)}")
        if mech == "OAUTHBEARER":
            missing = [k for k in ("sasl_oauthbearer_token_url", "sasl_oauthbearer_client_id",
                                   "sasl_oauthbearer_client_secret") if not getattr(s, k)]
            if missing:
                raise ConfigError(f"sasl_mechanism OAUTHBEARER needs {', '.join(missing)}")
        else:
            if not s.sasl_username:
                raise ConfigError(f"sasl_mechanism {mech} needs sasl_username")
            if not (s.sasl_password or s.sasl_password_file):
                raise ConfigError(f"sasl_mechanism {mech} needs sasl_password or sasl_password_file")
    elif mech or s.sasl_username:
        raise ConfigError(f"sasl_mechanism/sasl_username are set but security_protocol is {proto}; "
                          "use SASL_SSL (or SASL_PLAINTEXT)")
    if bool(s.ssl_cert_file) != bool(s.ssl_key_file):
        raise ConfigError("ssl_cert_file and ssl_key_file go together (client certificate and its key)")
    if not proto.endswith("SSL") and (s.ssl_ca_file or s.ssl_cert_file):
        raise ConfigError(f"ssl_* files are set but security_protocol is {proto}; use SSL or SASL_SSL")


def _file(s: Settings, name: str) -> str | None:
    p: Path | None = getattr(s, name)
    if p is None:
        return None
    if not Path(p).is_file():
        raise ConfigError(f"setting {name}: no such file {p}")
    return str(p)


def sasl_password(s: Settings) -> str | None:
    if s.sasl_password:
        return s.sasl_password
    if s.sasl_password_file:
        try:
            return Path(s.sasl_password_file).read_text().rstrip("\r\n")
        except OSError as e:
            raise ConfigError(f"setting sasl_password_file: cannot read it ({e.__class__.__name__})") from None
    return None


def librdkafka(s: Settings) -> dict:
    """confluent-kafka (librdkafka) security keys; empty for PLAINTEXT."""
    proto, mech = _protocol(s), _mechanism(s)
    if proto == "PLAINTEXT":
        return {}
    cfg: dict = {"security.protocol": proto}
    if proto.startswith("SASL_"):
        cfg["sasl.mechanism"] = mech
        if mech == "OAUTHBEARER":
            cfg.update({"sasl.oauthbearer.method": "oidc",
                        "sasl.oauthbearer.client.id": s.sasl_oauthbearer_client_id,
                        "sasl.oauthbearer.client.secret": s.sasl_oauthbearer_client_secret,
                        "sasl.oauthbearer.token.endpoint.url": s.sasl_oauthbearer_token_url})
            if s.sasl_oauthbearer_scope:
                cfg["sasl.oauthbearer.scope"] = s.sasl_oauthbearer_scope
        else:
            cfg["sasl.username"] = s.sasl_username
            cfg["sasl.password"] = sasl_password(s)
    if proto.endswith("SSL"):
        cfg["ssl.endpoint.identification.algorithm"] = "https"
        if s.ssl_ca_file:
            cfg["ssl.ca.location"] = _file(s, "ssl_ca_file")
        if s.ssl_cert_file:
            cfg["ssl.certificate.location"] = _file(s, "ssl_cert_file")
            cfg["ssl.key.location"] = _file(s, "ssl_key_file")
            if s.ssl_key_password:
                cfg["ssl.key.password"] = s.ssl_key_password
    return cfg


def ssl_context(s: Settings):
    """The ssl.SSLContext for aiokafka (hostname checked, CA and client certificate from settings)."""
    import ssl
    ctx = ssl.create_default_context(cafile=_file(s, "ssl_ca_file"))
    if s.ssl_cert_file:
        ctx.load_cert_chain(_file(s, "ssl_cert_file"), _file(s, "ssl_key_file"),
                            password=s.ssl_key_password)
    return ctx


class OidcTokenProvider:
    """aiokafka AbstractTokenProvider: an OAuth 2.0 client-credentials token from the OIDC
    token endpoint, cached until shortly before it expires."""

    def __init__(self, s: Settings):
        self.url, self.client_id = s.sasl_oauthbearer_token_url, s.sasl_oauthbearer_client_id
        self._secret, self.scope = s.sasl_oauthbearer_client_secret, s.sasl_oauthbearer_scope
        self._token: str | None = None
        self._until = 0.0

    def _fetch(self) -> str:
        import time

        import httpx
        data = {"grant_type": "client_credentials"}
        if self.scope:
            data["scope"] = self.scope
        r = httpx.post(self.url, data=data, auth=(self.client_id, self._secret), timeout=10.0)
        if r.status_code != 200:
            raise ConfigError(f"OAUTHBEARER token endpoint answered HTTP {r.status_code}")
        body = r.json()
        self._token = body["access_token"]
        self._until = time.monotonic() + max(10.0, float(body.get("expires_in", 300)) - 30.0)
        return self._token

    async def token(self) -> str:
        import asyncio
        import time
        if self._token and time.monotonic() < self._until:
            return self._token
        return await asyncio.get_running_loop().run_in_executor(None, self._fetch)

    def extensions(self) -> dict:
        return {}


def faust_credentials(s: Settings):
    """faust `broker_credentials` (None for PLAINTEXT)."""
    import faust
    proto, mech = _protocol(s), _mechanism(s)
    if proto == "PLAINTEXT":
        return None
    ctx = ssl_context(s) if proto.endswith("SSL") else None
    if proto == "SSL":
        return faust.SSLCredentials(ctx)
    if mech == "OAUTHBEARER":
        from aiokafka.abc import AbstractTokenProvider
        from faust.auth import OAuthCredentials

        class _Provider(OidcTokenProvider, AbstractTokenProvider):
            pass
        creds = OAuthCredentials(oauth_cb=_Provider(s), ssl_context=ctx)
        if ctx is not None:
            from faust.types.auth import AuthProtocol
            creds.protocol = AuthProtocol.SASL_SSL
        return creds
    return faust.SASLCredentials(username=s.sasl_username, password=sasl_password(s),
                                 mechanism=mech, ssl_context=ctx)

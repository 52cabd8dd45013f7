"""Partner secrets by reference: never in partner files, never printed.

`secret_ref: acme-webhook` resolves, in order, to the environment variable
NQF_HUB_SECRET_ACME_WEBHOOK, then to the file $NQF_HUB_HOME/secrets/acme-webhook (0600).
Webhook signing secrets are in the Standard Webhooks form whsec_<base64> (checked by
`connectors.webhook.parse_secret` when the worker starts); a partner's mutual-TLS client key is
referenced the same way (`tls.client_key_ref`, resolved by `tls_material`).
"""
from __future__ import annotations

import os
import re
import secrets as _secrets
from pathlib import Path

from hub.config import Settings
from hub.errors import ConfigError


def env_name(ref: str) -> str:
    return "NQF_HUB_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", ref).upper()


def secret_path(settings: Settings, ref: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9._-]+", ref):
        raise ConfigError("secret_ref may contain only letters, digits, '.', '_' and '-'")
    return Path(settings.home) / "secrets" / ref


def resolve(settings: Settings, ref: str | None) -> bytes | None:
    if not ref:
        return None
    v = os.environ.get(env_name(ref))
    if v:
        return v.encode()
    p = secret_path(settings, ref)
    if p.exists():
        return p.read_bytes().strip()
    raise ConfigError(f"secret {ref!r} not found: set {env_name(ref)} or create {p}")


def ensure(settings: Settings, ref: str) -> bytes:
    """Create a random webhook secret file (whsec_<base64>) for `ref` if none exists."""
    try:
        got = resolve(settings, ref)
        if got:
            return got
    except ConfigError:
        pass
    p = secret_path(settings, ref)
    p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    from connectors.webhook import new_secret
    value = new_secret().encode()          # Standard Webhooks: whsec_<base64>
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(value)
    return value


def tls_material(settings: Settings, tls: dict) -> dict:
    """A partner's `delivery.tls` with `client_key_ref` (and `client_key_password_ref`) resolved
    into `client_key_pem` (and `client_key_password_pem`); paths are left as they are."""
    out = {k: v for k, v in tls.items() if not k.endswith("_ref")}
    if tls.get("client_key_ref"):
        out["client_key_pem"] = resolve(settings, tls["client_key_ref"])
    if tls.get("client_key_password_ref"):
        out["client_key_password_pem"] = resolve(settings, tls["client_key_password_ref"])
    return out


def hex_key(raw: str, *, what: str, where: str, min_bytes: int = 16) -> bytes:
    """A key given as hex text (env or file) -> bytes; ConfigError names where, never the value."""
    try:
        key = bytes.fromhex(raw.strip())
    except ValueError:
        raise ConfigError(f"{what} in {where} is not hex") from None
    if len(key) < min_bytes:
        raise ConfigError(f"{what} in {where} is shorter than {min_bytes} bytes")
    return key

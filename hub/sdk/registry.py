"""Connector registry over the entry-point group `nqf_hub.connectors`.

Each entry point names a `ConnectorSpec`. Loading is lazy: a broken third-party connector only
fails when it is asked for (and `nqf-hub connectors list` shows it as broken).
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from hub.errors import ConnectorNotFound

GROUP = "nqf_hub.connectors"


@dataclass(frozen=True)
class ConnectorSpec:
    name: str
    description: str
    inbound: type | None = None      # subclass of hub.sdk.inbound.Inbound
    encoder: type | None = None      # subclass of hub.sdk.outbound.Encoder
    delivery: type | None = None     # subclass of hub.sdk.outbound.Delivery
    readme: Path | None = None

    @property
    def roles(self) -> list[str]:
        return [r for r, c in (("inbound", self.inbound), ("encoder", self.encoder),
                               ("delivery", self.delivery)) if c is not None]


def _eps():
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def names() -> list[str]:
    return sorted(_eps())


def get(name: str) -> ConnectorSpec:
    eps = _eps()
    if name not in eps:
        raise ConnectorNotFound(f"no connector named {name!r}; installed: {', '.join(sorted(eps)) or 'none'}")
    try:
        spec = eps[name].load()
    except Exception as e:  # a broken plug-in must not take the CLI down with a traceback
        raise ConnectorNotFound(f"connector {name!r} is installed but does not load: "
                                f"{e.__class__.__name__}: {e}") from None
    if not isinstance(spec, ConnectorSpec):
        raise ConnectorNotFound(f"entry point {name!r} does not name a ConnectorSpec")
    return spec


def inbound(name: str):
    spec = get(name)
    if spec.inbound is None:
        raise ConnectorNotFound(f"connector {name!r} has no inbound side; roles: {', '.join(spec.roles)}")
    return spec.inbound()


def encoder(name: str, options: dict | None = None):
    spec = get(name)
    if spec.encoder is None:
        raise ConnectorNotFound(f"connector {name!r} is not an encoder; roles: {', '.join(spec.roles)}")
    return spec.encoder(options)


def delivery(name: str, config: dict, secret: bytes | None = None):
    spec = get(name)
    if spec.delivery is None:
        raise ConnectorNotFound(f"connector {name!r} is not a delivery transport; roles: {', '.join(spec.roles)}")
    return spec.delivery(config, secret)


def describe_all() -> list[dict]:
    out = []
    for n in names():
        try:
            spec = get(n)
            out.append({"name": n, "roles": spec.roles, "description": spec.description, "ok": True})
        except ConnectorNotFound as e:
            out.append({"name": n, "roles": [], "description": str(e), "ok": False})
    return out

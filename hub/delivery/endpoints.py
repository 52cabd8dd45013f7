"""Where the hub may send partner data: https, or plain http only to this machine (loopback).

`delivery_problems(delivery)` is called by the partner-registry loader
(`hub.routing.policy.load_partners`) for every partner file, so a partner file with a plain-http
URL to another host fails at load with '<file>: delivery.url: ...' next to its schema problems.
Loopback (127.0.0.0/8, ::1, `localhost`) is allowed for the demo, tests and a local sidecar that
terminates TLS. URLs with user:password are refused (credentials belong in secret references).
Messages never quote the URL (it may carry a token in its query).
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["delivery_problems", "is_loopback", "url_problem"]


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(url: str) -> str | None:
    """Why `url` may not receive partner data, or None when it may."""
    try:
        u = urlsplit(url)
        host = u.hostname or ""
        u.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "not a valid URL"
    scheme = u.scheme.lower()
    if scheme not in ("https", "http"):
        return "must be an https URL"
    if not host:
        return "has no host"
    if u.username is not None or u.password is not None:
        return "must not carry user:password (use secret_ref and tls options)"
    if scheme == "http" and not is_loopback(host):
        return "must be https (plain http is allowed only to loopback: 127.0.0.1, ::1, localhost)"
    return None


def delivery_problems(delivery: dict) -> list[tuple[str, str]]:
    """[(field path, reason)] for a partner file's `delivery` block (after its schema passed)."""
    url = delivery.get("url")
    if delivery.get("type") == "webhook" and isinstance(url, str):
        why = url_problem(url)
        if why:
            return [("delivery.url", why)]
    return []

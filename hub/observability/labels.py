"""Label values for metrics: a small closed set per label, never personal data, never an id.

Every label value a metric gets passes through one of these functions, so a malformed or hostile
input (a jurisdiction field holding a name, a connector name that is a file path) can neither
leak into Prometheus nor blow up the number of series. Unknown values collapse to "other".
"""
from __future__ import annotations

import re

from hub.runtime.deadletter import REASON_CLASSES

STAGES = ("ingest", "router", "recognition", "delivery", "serve", "replay", "release")
ACTIONS = ("forward", "forward_minimised", "hold", "block", "release", "expire")
OTHER = "other"
UNKNOWN = "unknown"

_JURISDICTION = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
# ids the hub itself defines (partner ids, connector names, rule and regime ids)
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


def stage(value: str | None) -> str:
    return value if value in STAGES else OTHER


def reason_class(value: str | None) -> str:
    return value if value in REASON_CLASSES else OTHER


def action(value: str | None) -> str:
    return value if value in ACTIONS else OTHER


def jurisdiction(value: str | None) -> str:
    """ISO 3166-1 alpha-2 or a subdivision ('GB-SCT'); anything else is 'other'."""
    if not value:
        return UNKNOWN
    return value if _JURISDICTION.fullmatch(value) else OTHER


def token(value: str | None, allowed: frozenset[str] | set[str] | None = None) -> str:
    """An id the hub defines (partner, connector, rule). With `allowed`, only those pass."""
    if not value:
        return UNKNOWN
    if allowed is not None:
        return value if value in allowed else OTHER
    return value if _TOKEN.fullmatch(value) else OTHER


def failure_kind(exc: BaseException | None) -> str:
    """retriable | permanent | other, from the delivery error tree (never the message)."""
    from hub.errors import PermanentDeliveryError, RetriableDeliveryError
    if isinstance(exc, RetriableDeliveryError):
        return "retriable"
    if isinstance(exc, PermanentDeliveryError):
        return "permanent"
    return OTHER

"""One Kafka record as an operator sees it: position, key, headers and (decoded, masked) value.

Dead letters keep their original bytes, which may be a native record full of personal data, so
their value is shown only as size and SHA-256 unless `reveal` is given.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib

from hub.observability.masking import mask_record
from hub.observability.reading import header_map

UTC = dt.timezone.utc


def ts_iso(msg) -> str | None:
    kind, ms = msg.timestamp()
    if kind == 0 or ms is None or ms < 0:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def describe(msg, *, serde=None, decode: bool = False, reveal: bool = False, is_dlq: bool = False) -> dict:
    """A JSON-ready dict for one record; never raises on bad bytes."""
    value = msg.value() or b""
    key = msg.key()
    out = {
        "topic": msg.topic(), "partition": msg.partition(), "offset": msg.offset(),
        "timestamp": ts_iso(msg),
        "key": key.decode("utf-8", "replace") if key is not None else None,
        "headers": header_map(msg),
        "size": len(value),
    }
    if not decode:
        return out
    if is_dlq and not reveal:
        out["value"] = {"original_bytes": len(value), "sha256": hashlib.sha256(value).hexdigest(),
                        "note": "original bytes hidden; use --reveal to show them"}
        return out
    try:
        name, rec = serde.decode(value)
        out["schema"] = name
        out["value"] = mask_record(name, rec, serde.catalog, reveal=reveal, serde=serde)
    except Exception as e:  # noqa: BLE001 - not a canonical event (e.g. a dead-lettered native record)
        out["schema"] = None
        out["decode_error"] = e.__class__.__name__
        if reveal:
            try:
                out["value"] = value.decode("utf-8")
            except UnicodeDecodeError:
                out["value_base64"] = base64.b64encode(value).decode()
        else:
            out["value"] = {"bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()}
    return out


def human_line(d: dict) -> str:
    """A one-line summary for terminals."""
    head = f"{d['topic']}[{d['partition']}]@{d['offset']} {d.get('timestamp') or '-'}"
    h = d.get("headers") or {}
    bits = [f"{k.split('.', 1)[-1]}={v}" for k, v in h.items()
            if k in ("nqfhub.event_type", "nqfhub.partner", "nqfhub.action", "nqfhub.status",
                     "nqfhub.dlq.stage", "nqfhub.dlq.reason_class", "nqfhub.dlq.error.class")]
    return " ".join([head, f"key={d.get('key')}", *bits, f"{d['size']}B"])

"""Identifier formats the hub relies on: `header.event_id` is a UUID, `header.trace_id` is hex.

Ids travel into file names (file-drop delivery), HTTP headers (Idempotency-Key, webhook-id),
Kafka headers and audit records, so they are checked once, where every inbound path passes:
`hub.ingest.decoding.decode_sources` (convert, ingest, the HTTP endpoint, dead-letter replay and
the conformance kit) turns a problem into a located `DecodeError`, which is dead-lettered with
the original bytes. The delivery worker checks again before it uses an id (defence in depth for
records that reached a partner topic some other way). Problems never quote the value.
"""
from __future__ import annotations

import re

__all__ = ["TRACE_ID_RE", "UUID_RE", "header_id_problems", "is_event_id", "is_trace_id"]

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
#: 16 hex digits (64-bit B3/Zipkin ids) up to 64; the hub makes 32 (a W3C trace-id).
TRACE_ID_RE = re.compile(r"[0-9a-fA-F]{16,64}")


def is_event_id(value) -> bool:
    """True for a UUID in its canonical 8-4-4-4-12 hex form (no braces, no urn: prefix)."""
    return isinstance(value, str) and UUID_RE.fullmatch(value) is not None


def is_trace_id(value) -> bool:
    return isinstance(value, str) and TRACE_ID_RE.fullmatch(value) is not None


def header_id_problems(header: dict) -> list[tuple[str, str]]:
    """[(field path, reason)] for the header ids that are malformed; empty when both are good."""
    out = []
    if not is_event_id(header.get("event_id")):
        out.append(("header.event_id", "event id is not a UUID (8-4-4-4-12 hex digits)"))
    if not is_trace_id(header.get("trace_id")):
        out.append(("header.trace_id", "trace id is not 16 to 64 hex digits"))
    return out

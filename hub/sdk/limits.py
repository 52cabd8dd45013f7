"""Size limits every inbound connector enforces. Each limit raises `InputTooLarge`, located."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import IO, Any

from hub.errors import DecodeError, InputTooLarge


@dataclass(frozen=True)
class Limits:
    max_document_bytes: int = 16 * 1024 * 1024   # one JSON/XML document
    max_string_bytes: int = 1024 * 1024          # one string value
    max_depth: int = 64                          # nesting of objects/elements
    max_line_bytes: int = 64 * 1024              # one line of a flat file or JSON Lines
    max_records_per_document: int = 1_000_000
    max_entity_expansions: int = 0               # XML: entities are refused outright

    def replace(self, **kw) -> "Limits":
        from dataclasses import replace
        return replace(self, **kw)


DEFAULT_LIMITS = Limits()


def read_bounded(stream: IO[bytes], limit: int, *, file: str | None = None) -> bytes:
    """Read a whole document but never more than `limit` bytes into memory."""
    chunks, total = [], 0
    while True:
        chunk = stream.read(min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise InputTooLarge(f"document is larger than the limit of {limit} bytes", file=file)
        chunks.append(chunk)
    return b"".join(chunks)


def check_json_limits(value: Any, limits: Limits, *, file: str | None = None,
                      record: int | None = None) -> None:
    """Depth and string-size limits on parsed JSON (iterative; no recursion limit issues)."""
    stack = [(value, 1, "")]
    while stack:
        v, depth, path = stack.pop()
        if depth > limits.max_depth:
            raise InputTooLarge(f"nesting deeper than {limits.max_depth}", file=file,
                                record=record, field=path or "(root)")
        if isinstance(v, str):
            if len(v) > limits.max_string_bytes:
                raise InputTooLarge(f"string longer than the limit of {limits.max_string_bytes} bytes",
                                    file=file, record=record, field=path or "(root)")
        elif isinstance(v, dict):
            for k, x in v.items():
                stack.append((x, depth + 1, f"{path}.{k}" if path else k))
        elif isinstance(v, list):
            for i, x in enumerate(v):
                stack.append((x, depth + 1, f"{path}[{i}]"))


def load_json_document(data: bytes, limits: Limits, *, file: str | None = None,
                       record: int | None = None) -> Any:
    """Parse one JSON document with limits; errors are located and never quote content."""
    if len(data) > limits.max_document_bytes:
        raise InputTooLarge(f"document is larger than the limit of {limits.max_document_bytes} bytes",
                            file=file, record=record)
    try:
        value = json.loads(data)
    except UnicodeDecodeError:
        raise DecodeError("not UTF-8 text", file=file, record=record) from None
    except json.JSONDecodeError as e:
        raise DecodeError(f"not valid JSON ({e.msg})", file=file, record=record, line=e.lineno) from None
    except RecursionError:
        raise InputTooLarge(f"nesting deeper than {limits.max_depth}", file=file, record=record) from None
    check_json_limits(value, limits, file=file, record=record)
    return value

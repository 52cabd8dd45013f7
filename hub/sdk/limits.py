"""Size limits every inbound connector enforces. Each limit raises `InputTooLarge`, located."""
from __future__ import annotations

import json
from collections.abc import Iterator
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


@dataclass(slots=True)
class RawLine:
    """One physical line of a byte stream, as `bounded_lines` reads it."""

    number: int         # 1-based line number in the stream
    data: bytes         # the line with its terminator; for a too-long line only its first bytes
    too_long: bool      # longer than the limit: the rest was read and dropped, not held
    size: int           # bytes consumed from the stream for this line, terminator included


def bounded_lines(stream: IO[bytes], max_line: int) -> Iterator[RawLine]:
    """The physical lines of a flat file or JSON Lines stream, never holding a long one whole.

    A line is too long when `max_line + 2` bytes (the limit and room for CR LF) are read without
    reaching its LF; it is yielded once with `too_long` set and those first bytes, and the rest of
    it is read in 64 KiB pieces and dropped, so memory stays bounded and the next line follows.
    Callers decode the bytes and report a too-long line as an `InputTooLarge` located by `number`.
    """
    number = 0
    readline = stream.readline
    while True:
        raw = readline(max_line + 2)
        if not raw:
            return
        number += 1
        size = len(raw)
        if not raw.endswith(b"\n") and size >= max_line + 2:
            while True:
                more = readline(1 << 16)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            yield RawLine(number, raw, True, size)
            continue
        yield RawLine(number, raw, False, size)


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
                       record: int | None = None, line: int | None = None) -> Any:
    """Parse one JSON document with limits; errors are located and never quote content.

    Every way Python's parser can refuse hostile input becomes a located DecodeError: bad JSON,
    bad UTF-8, nesting deeper than the interpreter's recursion limit (RecursionError) and integers
    longer than `sys.get_int_max_str_digits()` (ValueError)."""
    if len(data) > limits.max_document_bytes:
        raise InputTooLarge(f"document is larger than the limit of {limits.max_document_bytes} bytes",
                            file=file, record=record, line=line)
    try:
        value = json.loads(data)
    except UnicodeDecodeError:
        raise DecodeError("not UTF-8 text", file=file, record=record, line=line) from None
    except json.JSONDecodeError as e:
        raise DecodeError(f"not valid JSON ({e.msg})", file=file, record=record,
                          line=e.lineno if line is None else line) from None
    except ValueError:   # int max_str_digits: "Exceeds the limit (4300 digits)"
        raise InputTooLarge("a number has more digits than the parser allows", file=file, record=record,
                            line=line) from None
    except RecursionError:
        raise InputTooLarge(f"nesting deeper than {limits.max_depth}", file=file, record=record,
                            line=line) from None
    check_json_limits(value, limits, file=file, record=record)
    return value

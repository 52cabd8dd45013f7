"""Split one source into JSON records, never holding more than one bounded record in memory.

Accepted shapes, decided without loading the source whole:

* **JSON Lines** (`.jsonl` / `.ndjson`, or a first line that is a complete JSON object followed by
  more content): one record per line, each line at most `limits.max_line_bytes` (or the caller's
  `line_limit`); an over-long
  line is skipped (its bytes are read and dropped, not kept) with a located `InputTooLarge`, and
  reading goes on with the next line.
* **a JSON array** of records: the document is read with `read_bounded` up to
  `limits.max_document_bytes`; each element is one record.
* **a single JSON object**: one record, also bounded by `limits.max_document_bytes`.
* **compact JWS / VC-JWT** (`application/vc+jwt`: the file starts with `eyJ`): one token per
  line, each a record whose value is the token string (hub.verify unwraps it); bounded by
  `limits.max_document_bytes`.

`iter_records` yields `RawRecord` or located `DecodeError`s; it never raises for bad input.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from hub.errors import DecodeError, InputTooLarge
from hub.sdk.inbound import Source
from hub.sdk.limits import Limits, bounded_lines, check_json_limits, load_json_document, read_bounded

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".jsonlines")
_SNIFF_BYTES = 64 * 1024
_WS = b" \t\r\n\xef\xbb\xbf"


@dataclass
class RawRecord:
    value: Any          # parsed JSON (limits already checked)
    raw: bytes          # the record's bytes (original line, or re-serialised array element)
    record: int         # 1-based record number in the source
    line: int | None = None

    def error(self, file: str, field: str, reason: str) -> DecodeError:
        """A DecodeError about `field` of this record: located by file, record and line, with the
        record's bytes for the dead letter (the reason names no value)."""
        return DecodeError(reason, file=file, record=self.record, line=self.line, field=field,
                           raw=self.raw)


def _shape(source: Source, head: bytes) -> str:
    """'jsonl', 'array' or 'single' from the name and the first bytes."""
    if source.name.lower().endswith(JSONL_SUFFIXES):
        return "jsonl"
    stripped = head.lstrip(_WS)
    if stripped.startswith(b"eyJ"):
        return "jwt"
    if stripped.startswith(b"["):
        return "array"
    nl = stripped.find(b"\n")
    if stripped.startswith(b"{") and nl > 0 and stripped[nl:].strip(_WS):
        try:
            first = json.loads(stripped[:nl])
        except (ValueError, RecursionError):
            return "single"
        if isinstance(first, dict):
            return "jsonl"
    return "single"


def iter_records(source: Source, limits: Limits, *,
                 line_limit: int | None = None) -> Iterator[RawRecord | DecodeError]:
    """Yield the records of `source` in order (see the module docstring for the shapes).

    `line_limit` overrides `limits.max_line_bytes` for JSON Lines whose lines are whole
    documents (a CLR transcript or an ELM credential is often larger than 64 KB)."""
    name = source.name
    try:
        with source.open() as f:
            head = f.read(_SNIFF_BYTES)
    except OSError as e:
        yield DecodeError(f"cannot read the file ({e.__class__.__name__})", file=name)
        return
    shape = _shape(source, head)
    with source.open() as f:
        if shape == "jsonl":
            yield from _jsonl(f, name, limits, line_limit or limits.max_line_bytes)
        elif shape == "jwt":
            yield from _tokens(f, name, limits)
        else:
            yield from _document(f, name, limits, shape)


def _document(f: IO[bytes], name: str, limits: Limits, shape: str) -> Iterator[RawRecord | DecodeError]:
    try:
        data = read_bounded(f, limits.max_document_bytes, file=name)
        if not data.strip(_WS):
            raise DecodeError("the file is empty", file=name)
        value = load_json_document(data.removeprefix(b"\xef\xbb\xbf"), limits, file=name)
    except DecodeError as e:
        yield e.located(file=name)
        return
    if isinstance(value, list):
        if len(value) > limits.max_records_per_document:
            yield InputTooLarge(f"more than {limits.max_records_per_document} records in one document",
                                file=name)
            return
        del data
        for i, item in enumerate(value, start=1):
            raw = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode()
            yield RawRecord(item, raw, i)
    else:
        yield RawRecord(value, data, 1, None)


def _tokens(f: IO[bytes], name: str, limits: Limits) -> Iterator[RawRecord | DecodeError]:
    try:
        data = read_bounded(f, limits.max_document_bytes, file=name)
    except DecodeError as e:
        yield e.located(file=name)
        return
    record = 0
    for lineno, line in enumerate(data.split(b"\n"), start=1):
        body = line.strip(_WS)
        if not body:
            continue
        record += 1
        if record > limits.max_records_per_document:
            yield InputTooLarge(f"more than {limits.max_records_per_document} records in one document",
                                file=name, line=lineno)
            return
        try:
            token = body.decode("ascii")
        except UnicodeDecodeError:
            yield DecodeError("not a compact JWS (non-ASCII characters)", file=name, record=record,
                              line=lineno)
            continue
        yield RawRecord(token, body, record, lineno)


def _jsonl(f: IO[bytes], name: str, limits: Limits, limit: int) -> Iterator[RawRecord | DecodeError]:
    record = 0
    # a line may hold `limit` bytes before its LF (bounded_lines' own limit leaves room for CR LF);
    # the rest of a longer line is dropped unread-into-memory
    for ln in bounded_lines(f, limit - 1):
        lineno, line = ln.number, ln.data
        if ln.too_long:
            record += 1
            yield InputTooLarge(f"line is longer than the limit of {limit} bytes",
                                file=name, record=record, line=lineno)
            continue
        body = line.strip(_WS) if lineno == 1 else line.strip()
        if not body:
            continue
        record += 1
        if record > limits.max_records_per_document:
            yield InputTooLarge(f"more than {limits.max_records_per_document} records in one document",
                                file=name, line=lineno)
            return
        try:
            value = json.loads(body)
            check_json_limits(value, limits, file=name, record=record)
        except UnicodeDecodeError:
            yield DecodeError("not UTF-8 text", file=name, record=record, line=lineno)
            continue
        except json.JSONDecodeError as e:
            yield DecodeError(f"not valid JSON ({e.msg})", file=name, record=record, line=lineno)
            continue
        except ValueError:   # int max_str_digits
            yield InputTooLarge("a number has more digits than the parser allows", file=name,
                                record=record, line=lineno)
            continue
        except RecursionError:
            yield InputTooLarge(f"nesting deeper than {limits.max_depth}", file=name, record=record,
                                line=lineno)
            continue
        except DecodeError as e:
            yield e.located(line=lineno)
            continue
        yield RawRecord(value, body, record, lineno)

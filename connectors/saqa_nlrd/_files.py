"""Which NLRD file a source is, and its lines, streamed.

A file's type comes from its name when it follows the convention
`{4-character supplier code}{file number}{YYMMDD}.dat` (e.g. `HWSE25250131.dat`); otherwise
from the length of its first data line (21=847, 24=135, 25=791, 29=161 characters). A first
line starting with `HEADER` is skipped (the header layout is not confirmed; see README).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePath

from connectors.saqa_nlrd._layouts import LAYOUTS, UNSUPPORTED_LENGTHS
from hub.sdk.inbound import Source
from hub.sdk.limits import bounded_lines

NAME_PATTERN = re.compile(r"^[A-Za-z0-9]{4}(2[1-9]|30)\d{6}\.dat$", re.IGNORECASE)
BY_LENGTH = {lay.record_length: no for no, lay in LAYOUTS.items()}
HEADER_PREFIX = "HEADER"


@dataclass
class Line:
    number: int                 # 1-based line number in the file
    text: str | None            # None when the line exceeded the size limit
    raw: bytes                  # the bytes of the line without its terminator (capped)
    size: int                   # bytes consumed from the file, terminator included


def file_type_from_name(name: str) -> str | None:
    m = NAME_PATTERN.match(PurePath(name).name)
    return m.group(1) if m else None


def file_type_from_length(length: int) -> str | None:
    return BY_LENGTH.get(length) or UNSUPPORTED_LENGTHS.get(length)


def sniff_type(source: Source, max_line: int) -> str | None:
    """The file number of `source` ('21', '24', ...), or None when it cannot be told."""
    by_name = file_type_from_name(source.name)
    if by_name:
        return by_name
    with source.open() as fh:
        for line in iter_lines(fh, max_line):
            if line.text is None:
                return None
            if not line.text.strip() or line.text.startswith(HEADER_PREFIX):
                continue
            return file_type_from_length(len(line.text))
    return None


def iter_lines(stream, max_line: int) -> Iterator[Line]:
    """Lines of a byte stream without CR/LF, decoded as Latin-1 so that one byte is one character
    and fixed-width offsets hold. A line longer than `max_line` bytes is yielded with text None
    and skipped to its end without being held in memory (`hub.sdk.limits.bounded_lines`)."""
    for ln in bounded_lines(stream, max_line):
        if ln.too_long:
            yield Line(ln.number, None, ln.data[:256], ln.size)
            continue
        body = ln.data.rstrip(b"\r\n")
        yield Line(ln.number, body.decode("latin-1"), body, ln.size)

"""hub.sdk.limits.bounded_lines: the one line reader of the flat and JSON Lines connectors."""
from __future__ import annotations

import io

from hub.sdk.limits import bounded_lines


def test_a_too_long_line_is_flagged_skipped_and_the_next_line_follows():
    data = b"ok\r\n" + b"x" * 12 + b"\n" + b"y" * 50_000 + b"\nlast"
    got = list(bounded_lines(io.BytesIO(data), 10))
    assert [(ln.number, ln.too_long) for ln in got] == [(1, False), (2, True), (3, True), (4, False)]
    assert got[0].data == b"ok\r\n" and got[3].data == b"last"
    assert len(got[2].data) == 12                      # only the first max_line + 2 bytes are held
    assert sum(ln.size for ln in got) == len(data)     # every byte is accounted for


def test_the_limit_leaves_room_for_cr_lf():
    assert not next(bounded_lines(io.BytesIO(b"x" * 10 + b"\r\n"), 10)).too_long
    assert next(bounded_lines(io.BytesIO(b"x" * 11 + b"\r\n"), 10)).too_long

"""Progress lines and the end-of-load summary for large NLRD loads.

Progress is written to stderr at most once per `interval` seconds, only when stderr is a
terminal or the decode option `progress` is true. Lines name the file, the line number and the
counts — never a record's content. The summary (counts per file, enrolments per status) is
handed to `ctx.options['report']` when the runtime passes a callable, written to stderr when
progress is on, logged at INFO, and kept on the connector as `last_summary`.
"""
from __future__ import annotations

import json
import logging
import sys
import time

log = logging.getLogger("nqfhub.connectors.saqa_nlrd")


class Progress:
    def __init__(self, options: dict, *, interval: float = 1.0, stream=None, clock=time.monotonic):
        self.stream = stream or sys.stderr
        opt = options.get("progress")
        if opt is None:
            isatty = getattr(self.stream, "isatty", None)
            opt = bool(isatty and isatty())
        self.enabled = bool(opt)
        self.interval = interval
        self.clock = clock
        self._last = clock()
        self._calls = 0

    def tick(self, file: str, line: int, done_bytes: int, total_bytes: int | None, counts: dict) -> None:
        """Called per line; checks the clock every 256 calls and prints at most once per interval."""
        if not self.enabled:
            return
        self._calls += 1
        if self._calls & 0xFF:
            return
        now = self.clock()
        if now - self._last < self.interval:
            return
        self._last = now
        pct = f" ({100 * done_bytes / total_bytes:.0f}%)" if total_bytes else ""
        detail = ", ".join(f"{k} {v}" for k, v in counts.items())
        self.stream.write(f"saqa-nlrd: {file} line {line}{pct}; {detail}\n")
        self.stream.flush()

    def summary(self, summary: dict, options: dict) -> None:
        report = options.get("report")
        if callable(report):
            report(summary)
        log.info("saqa-nlrd load summary: %s", json.dumps(summary, sort_keys=True))
        if self.enabled:
            self.stream.write(json.dumps({"summary": summary}, sort_keys=True) + "\n")
            self.stream.flush()

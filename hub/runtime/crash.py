"""How a stream worker dies when it cannot go on: loudly, at once, without committing.

faust agents die silently if allowed to (faust issues #416, #586, #175), and faust's own error
path commits the failed batch's offsets. `exit_loudly` logs the failure (class name only, never
a payload) and ends the process with EXIT_AGENT_CRASHED: nothing after the last acknowledged
batch is committed, and the records are read again on restart.
"""
from __future__ import annotations

import logging
import os
import sys

EXIT_AGENT_CRASHED = 70
log = logging.getLogger("nqfhub.worker")


def exit_loudly(what: str, exc: BaseException) -> None:
    log.critical("%s crashed: %s; exiting with status %d so nothing is skipped",
                 what, exc.__class__.__name__, EXIT_AGENT_CRASHED)
    sys.stderr.flush()
    os._exit(EXIT_AGENT_CRASHED)

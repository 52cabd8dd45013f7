"""`python tests/integration/slow_seek.py <nqf-hub command>`: the hub with aiokafka's seek to the
committed offsets taking a second longer (test_router_restart.py).

A faust worker seeks its input partitions to their committed offsets at the end of every
(re)start; whatever its fetcher delivers around that seek decides whether records are lost
(hub.runtime.faust_patches._on_recovery_completed). Widening the window makes the outcome
deterministic instead of a matter of timing.
"""
from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from aiokafka import AIOKafkaConsumer

SECONDS = 1.0
_original = AIOKafkaConsumer.seek_to_committed


async def _slow_seek_to_committed(self, *partitions):
    committed = await _original(self, *partitions)
    await asyncio.sleep(SECONDS)     # the fetcher keeps running meanwhile
    return committed


AIOKafkaConsumer.seek_to_committed = _slow_seek_to_committed

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from hub.cli import main
    sys.argv = ["nqf-hub", *sys.argv[1:]]
    main()

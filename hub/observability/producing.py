"""Producing for operator actions (replay, release, expire): acknowledged or an error.

`OperatorProducer.send` queues a record; `flush()` waits for every acknowledgement and raises
BrokerError naming how many were refused, so a command reports success only for records Kafka
has acknowledged.
"""
from __future__ import annotations

import getpass
import os

from hub.config import Settings
from hub.errors import BrokerError


def operator_name() -> str:
    """The OS user running the command (recorded as who replayed / released)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no passwd entry in some containers
        return f"uid:{os.getuid()}"


class OperatorProducer:
    def __init__(self, settings: Settings, producer=None):
        if producer is None:
            from confluent_kafka import Producer

            from hub.runtime.kafka import producer_config
            producer = Producer(producer_config(settings))
        self.p = producer
        self.errors: list[str] = []
        self.sent = 0

    def _ack(self, err, _msg):
        if err is not None:
            self.errors.append(err.str() if hasattr(err, "str") else str(err))

    def send(self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        while True:
            try:
                self.p.produce(topic, value=value, key=key, headers=headers, on_delivery=self._ack)
                self.sent += 1
                return
            except BufferError:
                self.p.poll(0.1)

    def flush(self, timeout: float = 60.0) -> int:
        remaining = self.p.flush(timeout)
        if remaining or self.errors:
            raise BrokerError(f"{len(self.errors) + remaining} record(s) not acknowledged by Kafka "
                              f"(first error: {self.errors[0] if self.errors else 'flush timed out'})")
        n, self.sent = self.sent, 0
        return n

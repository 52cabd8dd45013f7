"""The router's chain recovery reads the tail of an audit partition before routing it: that read
ends with BrokerError when the partition cannot be read, instead of blocking the router."""
from __future__ import annotations

import time

import pytest

from hub.errors import BrokerError


class _Silent:
    """A confluent consumer whose partition never delivers a record or an end of partition."""

    def list_topics(self, timeout=None):
        part = type("P", (), {})()
        return type("M", (), {"topics": {"it.audit": type("T", (), {"partitions": {0: part, 1: part}})()}})()

    def get_watermark_offsets(self, tp, timeout=None, cached=False):
        return (0, 10)

    def assign(self, tps):
        pass

    def unassign(self):
        pass

    def consume(self, n, timeout=None):
        time.sleep(timeout or 0)
        return []

    def close(self):
        pass


def test_read_tail_gives_up_on_a_partition_that_never_answers(monkeypatch, tmp_path):
    from hub.config import load_settings
    from hub.routing.audit_read import read_tail
    from hub.serde import default_serde
    monkeypatch.setattr("hub.observability.reading._consumer", lambda *a, **k: _Silent())
    s = load_settings({"NQF_HUB_HOME": str(tmp_path), "NQF_HUB_BOOTSTRAP": "127.0.0.1:9"})
    t0 = time.monotonic()
    with pytest.raises(BrokerError, match="it.audit/0"):
        read_tail(s, "it.audit", 0, default_serde(), stuck_s=0.3)
    assert time.monotonic() - t0 < 5

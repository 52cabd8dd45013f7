"""Stand-ins for confluent-kafka objects, shared by tests that run without a broker."""
from __future__ import annotations


class FakeMessage:
    """Just enough of confluent_kafka.Message for the operator code."""

    def __init__(self, topic, value=b"", key=None, headers=None, partition=0, offset=0, ts_ms=1_700_000_000_000):
        self._t, self._v, self._k, self._h = topic, value, key, list(headers or [])
        self._p, self._o, self._ts = partition, offset, ts_ms

    def topic(self): return self._t
    def value(self): return self._v
    def key(self): return self._k
    def headers(self): return self._h
    def partition(self): return self._p
    def offset(self): return self._o
    def timestamp(self): return (1, self._ts)
    def error(self): return None


class FakeProducer:
    """Acknowledges everything (or fails when `fail` is set)."""

    def __init__(self, fail=False):
        self.sent, self.fail, self._cbs = [], fail, []

    def produce(self, topic, value=None, key=None, headers=None, on_delivery=None):
        self.sent.append((topic, key, value, list(headers or [])))
        self._cbs.append(on_delivery)

    def poll(self, _t=0):
        return 0

    def flush(self, _t=0):
        err = _Err() if self.fail else None
        for cb in self._cbs:
            if cb:
                cb(err, None)
        self._cbs = []
        return 0


class _Err:
    def str(self):
        return "broker refused"

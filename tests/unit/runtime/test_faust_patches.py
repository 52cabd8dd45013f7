"""faust internals: checked before they are patched; the expiry timer crashes loudly."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from hub.errors import ConfigError
from hub.runtime import faust_patches

ROOT = Path(__file__).resolve().parents[3]


def test_installed_faust_is_the_pinned_one_and_passes_the_checks():
    import faust
    pin = re.search(r'"faust-streaming==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert pin and pin.group(1) == faust_patches.PATCHED_VERSION == faust.__version__
    faust_patches.check()


def test_apply_patches_the_fetch_wait_and_buffer():
    faust_patches.apply()
    faust_patches.apply()               # idempotent
    from faust.transport import producer as fp
    from faust.transport.drivers import aiokafka as drv
    assert fp.ProducerBuffer.max_messages == faust_patches.TABLE_WRITE_BUFFER
    assert drv.AIOKafkaConsumerThread._nqfhub_fetch_wait is True


@pytest.mark.parametrize("target, attr", [
    ("faust.transport.drivers.aiokafka.AIOKafkaConsumerThread", "_create_worker_consumer"),
    ("faust.transport.producer.ProducerBuffer", "max_messages"),
    ("faust.streams", "_current_event"),
])
def test_a_missing_internal_refuses_to_start_naming_it(monkeypatch, target, attr):
    import importlib
    mod_name, _, cls_name = target.rpartition(".")
    try:
        owner = getattr(importlib.import_module(mod_name), cls_name)
    except (ImportError, AttributeError):
        owner = importlib.import_module(target)
    monkeypatch.delattr(owner, attr)
    with pytest.raises(ConfigError) as e:
        faust_patches.apply()
    assert attr in str(e.value) and faust_patches.PATCHED_VERSION in str(e.value)


def test_a_changed_send_signature_is_refused(monkeypatch):
    from faust.transport.producer import Producer

    async def send(self, topic, key, value, partition, headers, timestamp, *, transactional_id=None):
        pass
    monkeypatch.setattr(Producer, "send", send)
    with pytest.raises(ConfigError, match="Producer.send"):
        faust_patches.check()


def test_expiry_timer_failure_exits_loudly(monkeypatch):
    from hub.routing import app as router_app
    crashed = []
    monkeypatch.setattr(router_app, "exit_loudly", lambda what, exc: crashed.append((what, exc)))

    class Broken:
        def produce_all(self, outs):
            raise BufferError("queue full")
    asyncio.run(router_app.expiry_tick(Broken(), "hub.consent-join", 4)())
    assert [(w, type(x)) for w, x in crashed] == [("consent expiry timer", BufferError)]


def test_expiry_timer_ticks_every_partition(monkeypatch):
    from hub.routing import app as router_app
    monkeypatch.setattr(router_app, "exit_loudly", lambda *a: pytest.fail("must not crash"))
    sent = []

    class Ok:
        def produce_all(self, outs):
            sent.extend(outs)
    asyncio.run(router_app.expiry_tick(Ok(), "hub.consent-join", 3)())
    assert sorted(o.partition for o in sent) == [0, 1, 2]
    assert all(o.topic == "hub.consent-join" and dict(o.headers)["nqfhub.join"] == b"tick" for o in sent)


class _FakeAiokafka:
    """aiokafka's consumer as the patched seek sees it: committed offsets per partition."""

    def __init__(self, committed):
        self.committed, self.rewound = committed, []

    async def seek_to_committed(self):
        return dict(self.committed)

    async def seek_to_beginning(self, *tps):
        self.rewound.append(("beginning", tps))

    async def seek_to_end(self, *tps):
        self.rewound.append(("end", tps))


def _consumer_thread(committed, reset="earliest"):
    """A faust AIOKafkaConsumerThread without a broker: the real (patched) seek_to_committed
    runs against _FakeAiokafka."""
    from types import SimpleNamespace

    from faust.transport.drivers import aiokafka as drv
    from faust.types import TP
    faust_patches.apply()
    fake = _FakeAiokafka({TP(t, p): o for (t, p), o in committed.items()})
    thread = SimpleNamespace(
        app=SimpleNamespace(tables=SimpleNamespace(changelog_topics={"x-router-recipients-changelog"}),
                            conf=SimpleNamespace(consumer_auto_offset_reset=reset)),
        _ensure_consumer=lambda: fake)

    async def call_thread(fun, *args, **kw):
        return await fun(*args, **kw)
    thread.call_thread = call_thread
    return drv.AIOKafkaConsumerThread.seek_to_committed, thread, fake


def test_partitions_without_a_committed_offset_are_rewound_after_a_rebalance():
    """The loss this prevents: records fetched before a rebalance are dropped by faust; aiokafka
    seeks only partitions with a committed offset > 0, so a kept, never-committed partition went
    on from its fetch position and the dropped records were never processed."""
    seek, thread, fake = _consumer_thread({("x.ingress", 0): 120, ("x.ingress", 1): None, ("x.ingress", 2): 0,
                                           ("x.consent-join", 3): None,
                                           ("x-router-recipients-changelog", 1): None})
    committed = asyncio.run(seek(thread))
    assert {(tp.topic, tp.partition): o for tp, o in committed.items()}[("x.ingress", 0)] == 120
    assert len(fake.rewound) == 1
    how, tps = fake.rewound[0]
    assert how == "beginning"
    assert [(tp.topic, tp.partition) for tp in tps] == [("x.consent-join", 3), ("x.ingress", 1), ("x.ingress", 2)]


def test_nothing_is_rewound_when_every_stream_partition_has_a_commit_and_latest_means_end():
    seek, thread, fake = _consumer_thread({("x.ingress", 0): 5, ("x-router-recipients-changelog", 0): None})
    asyncio.run(seek(thread))
    assert fake.rewound == []
    seek, thread, fake = _consumer_thread({("x.ingress", 0): None}, reset="latest")
    asyncio.run(seek(thread))
    assert [how for how, _ in fake.rewound] == ["end"]


def test_a_seek_that_no_longer_delegates_to_aiokafka_is_refused(monkeypatch):
    from faust.transport.drivers import aiokafka as drv

    async def seek_to_committed(self):
        return {}
    monkeypatch.setattr(drv.AIOKafkaConsumerThread, "seek_to_committed", seek_to_committed)
    with pytest.raises(ConfigError, match="seek_to_committed"):
        faust_patches.check()

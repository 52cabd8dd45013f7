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

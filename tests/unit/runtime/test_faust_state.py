"""The SIGUSR1 consuming-state dump of a faust worker (hub.runtime.faust_state)."""
from __future__ import annotations

import asyncio
import json

from hub.runtime import faust_state


def _app(tmp_path):
    import faust
    app = faust.App("it-state", broker="kafka://127.0.0.1:1", datadir=str(tmp_path / "data"),
                    web_enabled=False, value_serializer="raw")
    topic = app.topic("it.ingress", value_type=bytes)
    app.Table("recipients", default=None, partitions=2)

    @app.agent(topic)
    async def route(stream):
        async for _ in stream:
            pass
    return app


def test_snapshot_of_a_worker_that_has_not_joined_is_json(tmp_path):
    app = _app(tmp_path)

    async def take():
        return faust_state.snapshot(app)
    snap = asyncio.run(take())
    text = json.dumps(snap, default=str)
    assert snap["app"] == "it-state" and snap["consumer"]["active_partitions"] == []
    assert snap["aiokafka"] == {"consumer": None}
    assert {"recovery", "stream_buffers", "tasks", "threads"} <= set(snap)
    assert "value" not in snap["consumer"] and len(text) < 200_000


def test_sigusr1_handler_writes_a_file_and_replaces_modes_traceback_dump(tmp_path):
    app = _app(tmp_path)

    class Worker:
        def _on_sigusr1(self):
            raise AssertionError("mode's handler prints frames' locals: must not run")
    w = Worker()
    faust_state.install(w, app, tmp_path / "diag")

    async def signal():
        w._on_sigusr1()
    asyncio.run(signal())
    files = list((tmp_path / "diag").glob("it-state-*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["app"] == "it-state"

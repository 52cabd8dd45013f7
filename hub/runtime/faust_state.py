"""A faust worker's consuming state, on demand (SIGUSR1): why is a partition not moving?

`snapshot(app)` collects, per input and changelog partition, what decides whether a faust
worker consumes it: faust's active / paused / buffered (back-pressure) sets, flow control, read
and committed offsets, acked offsets waiting for commit and offset gaps; aiokafka's assignment
with position, cached high watermark, pause flag and prefetched-but-unread results; table
recovery's state; the size and pending back-pressure callbacks of every stream buffer; and the
stacks (file, line, function) of the event loop's tasks and of all threads.

Only topic names, partition numbers, offsets, counts and code locations: never a record's key,
value or headers (which carry personal data).

`install(worker, app, directory)` makes SIGUSR1 write `<directory>/<app id>-<pid>-<n>.json` and
log its path. It replaces mode's own SIGUSR1 handler, which printed every task's traceback
with the frames' local variables (record contents among them) to stderr. The snapshot reads the consumer thread's state without its lock, between two
of its steps at most a few entries may be inconsistent; it never calls into the consumer
thread (a call queued behind a fetch could stall the fetcher — see hub.runtime.faust_patches).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path

log = logging.getLogger("nqfhub.faust")


def _tp(tp) -> str:
    return f"{tp.topic}/{tp.partition}"


def _safe(fn, default=None):
    for _ in range(3):   # a dict changed size under us (consumer thread): try again
        try:
            return fn()
        except RuntimeError:
            continue
        except Exception as e:  # noqa: BLE001 - a diagnostic never takes the worker down
            return f"<{e.__class__.__name__}>"
    return default


def _frames(frames, limit: int = 12) -> list[str]:
    out = []
    for fr in frames[-limit:]:
        code = fr.f_code
        out.append(f"{code.co_filename.rsplit('site-packages/', 1)[-1]}:{fr.f_lineno}:{code.co_name}")
    return out


def _task_stacks(loop) -> list[dict]:
    tasks = _safe(lambda: list(asyncio.all_tasks(loop)), []) or []
    out = []
    for t in tasks:
        out.append({"name": t.get_name(), "done": t.done(),
                    "stack": _safe(lambda t=t: _frames(t.get_stack(limit=30)), [])})
    return out


def _thread_stacks() -> dict:
    import threading
    names = {th.ident: th.name for th in threading.enumerate()}
    out = {}
    for ident, frame in sys._current_frames().items():
        stack = []
        f = frame
        while f is not None:
            stack.append(f)
            f = f.f_back
        out[names.get(ident, str(ident))] = _frames(list(reversed(stack)), limit=20)
    return out


def _consumer_state(c) -> dict:
    acked = _safe(lambda: {_tp(tp): v for tp, v in list(c._acked.items())}, {}) or {}
    gaps = _safe(lambda: {_tp(tp): [(i.begin, i.end) for i in sorted(g)][:10]
                          for tp, g in list(c._gap.items()) if g}, {})
    return {
        "flow_active": c.flow_active,
        "can_resume_flow": c.can_resume_flow.is_set(),
        "suspend_flow": c.suspend_flow.is_set(),
        "not_waiting_next_records": c.not_waiting_next_records.is_set(),
        "active_partitions": sorted(_tp(tp) for tp in (c._active_partitions or ())),
        "paused_partitions": sorted(_tp(tp) for tp in c._paused_partitions),
        "buffered_partitions": sorted(_tp(tp) for tp in c._buffered_partitions),
        "read_offset": _safe(lambda: {_tp(tp): o for tp, o in list(c._read_offset.items())}),
        "committed_offset": _safe(lambda: {_tp(tp): o for tp, o in list(c._committed_offset.items())}),
        "acked": {k: {"n": len(v), "min": min(v) if v else None, "max": max(v) if v else None}
                  for k, v in acked.items()},
        "gaps": gaps,
        "unacked_messages": _safe(lambda: len(c._unacked_messages)),
        "n_acked_since_commit": c._n_acked,
        "commit_in_progress": c._commit_fut is not None,
    }


def _aiokafka_state(c) -> dict:
    thread = getattr(c, "_thread", None)
    ak = getattr(thread, "_consumer", None)
    if ak is None:
        return {"consumer": None}
    out: dict = {"closed": ak._closed}
    sub = ak._subscription.subscription
    assignment = getattr(sub, "assignment", None) if sub is not None else None
    parts = {}
    if assignment is not None:
        out["assignment_active"] = assignment.active
        for tp in _safe(lambda: list(assignment.tps), []) or []:
            st = assignment.state_value(tp)
            parts[_tp(tp)] = {"position": getattr(st, "_position", None),
                              "has_valid_position": st.has_valid_position,
                              "paused": st.paused, "highwater": st.highwater,
                              "awaiting_reset": getattr(st, "_reset_strategy", None)}
    out["partitions"] = parts
    fetcher = ak._fetcher
    out["prefetched"] = _safe(lambda: {_tp(tp): repr(r)[:80] for tp, r in list(fetcher._records.items())})
    out["in_flight_nodes"] = _safe(lambda: sorted(fetcher._in_flight))
    out["pending_fetch_tasks"] = _safe(lambda: len(fetcher._pending_tasks))
    out["fetch_waiters"] = _safe(lambda: len(fetcher._fetch_waiters))
    out["fetch_task_done"] = fetcher._fetch_task.done()
    out["coordinator_generation"] = getattr(ak._coordinator, "generation", None)
    mq = getattr(thread, "_method_queue", None)
    out["method_queue_size"] = _safe(lambda: mq._queue.qsize()) if mq is not None else None
    loop = getattr(thread, "thread_loop", None)
    if loop is not None:
        out["thread_tasks"] = _task_stacks(loop)
    return out


def _recovery_state(app) -> dict:
    r = getattr(app.tables, "_recovery", None)
    if r is None:
        return {}
    return {
        "in_recovery": r.in_recovery, "app_in_recovery": app.in_recovery,
        "completed": r.completed.is_set(),
        "signal_recovery_start": r.signal_recovery_start.is_set(),
        "signal_recovery_end": r.signal_recovery_end.is_set(),
        "active_tps": sorted(_tp(tp) for tp in r.active_tps),
        "standby_tps": sorted(_tp(tp) for tp in r.standby_tps),
        "active_offsets": {_tp(tp): o for tp, o in r.active_offsets.items()},
        "active_highwaters": {_tp(tp): o for tp, o in r.active_highwaters.items()},
        "buffered_changelog_events": _safe(lambda: sum(len(b) for b in r.buffers.values())),
    }


def _callback_tp(cb):
    owner = getattr(cb, "__self__", None)        # faust's Cython ConductorHandler.on_pressure_drop
    if owner is not None and hasattr(owner, "tp"):
        return _tp(owner.tp)
    for cell in getattr(cb, "__closure__", None) or ():   # the pure-Python closure over `tp`
        v = cell.cell_contents
        if hasattr(v, "topic") and hasattr(v, "partition"):
            return _tp(v)
    return "?"


def _buffers(app) -> list[dict]:
    out = []
    seen = set()
    for agent in app.agents.values():
        for actor in list(agent._actors):
            stream = getattr(actor, "stream", None)
            chan = getattr(stream, "channel", None)
            q = getattr(chan, "queue", None)
            if q is None or id(q) in seen:
                continue
            seen.add(id(q))
            out.append({"agent": agent.name.rsplit(".", 1)[-1], "qsize": q.qsize(), "maxsize": q.maxsize,
                        "pending_pressure_drop": sorted(_callback_tp(cb) for cb in
                                                        list(q._pending_pressure_drop_callbacks)),
                        "getters_waiting": len(getattr(q, "_getters", ()))})
    return out


def snapshot(app) -> dict:
    """The consuming state of `app` (see the module docstring). Safe to call on the event loop."""
    c = app.consumer
    return {
        "at": time.time(), "pid": os.getpid(), "app": app.conf.id,
        "generation": app.consumer_generation_id, "rebalancing": app.rebalancing,
        "flow_control_active": app.flow_control.is_active(),
        "producer_buffer": _safe(lambda: app.producer.buffer.size),
        "consumer": _safe(lambda: _consumer_state(c)),
        "aiokafka": _safe(lambda: _aiokafka_state(c)),
        "recovery": _safe(lambda: _recovery_state(app)),
        "stream_buffers": _safe(lambda: _buffers(app)),
        "tasks": _task_stacks(asyncio.get_running_loop()),
        "threads": _safe(_thread_stacks),
    }


def install(worker, app, directory: Path) -> None:
    """On SIGUSR1 write a snapshot to `directory` (besides mode's stack dump to stderr)."""
    directory = Path(directory)
    count = [0]

    def dump() -> None:
        count[0] += 1
        path = directory / f"{app.conf.id}-{os.getpid()}-{count[0]}.json"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(snapshot(app), indent=1, default=str))
            log.warning("consumer state written to %s", path)
        except Exception as e:  # noqa: BLE001 - a diagnostic never takes the worker down
            log.warning("consumer state dump failed: %s", e.__class__.__name__)

    worker._on_sigusr1 = dump    # mode installs its signal handlers from this attribute

"""A router killed with SIGKILL and restarted on a backlog routes every record of the backlog.

The restarted faust worker recovers its tables, seeks its input partitions to the committed
offsets and resumes them. faust 0.15.3 resumed them before the seek and cleared the stream
buffers after it, so records fetched in between were thrown away and never read again: the
partition then stalled at its committed offset (hub.runtime.faust_patches._on_recovery_completed).
The router runs here with the seek slowed by a second (tests/integration/slow_seek.py), which
turns that race into a certainty: without the fix hundreds of records go missing.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.timeout(420)]

SLOW_SEEK = Path(__file__).with_name("slow_seek.py")


def _feed(s, n: int, seed: int) -> set[str]:
    """Ingest n credentials; the event ids of those some partner subscribes to (the router
    writes an audit record for each of them)."""
    from connectors.openbadges3.samples import sample_credentials
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.producer import produce_all
    from hub.routing.policy import load_partners, subscribed
    from hub.sdk import registry
    from hub.sdk.inbound import Source

    conn = registry.inbound("openbadges3")
    doc = "\n".join(json.dumps(c) for c in sample_credentials(n, seed=seed)).encode()
    items = [(i, d) for i, d in decode_sources(conn, [Source("c.jsonl", data=doc)], make_context(conn))
             if d is not None]
    assert produce_all(s, iter(items), connector="openbadges3").ingested == n
    partners = load_partners(s.partners_path).values()
    out = {i.event["header"]["event_id"] for i, _ in items if any(subscribed(p, i.event) for p in partners)}
    assert len(out) > n // 2
    return out


def _decided(s, reader) -> set[str]:
    """Event ids with at least one audit record (a routing decision)."""
    from hub.serde import default_serde
    serde = default_serde()
    out = set()
    for m in reader.read([s.topic("audit")]):
        _, rec = serde.decode(m.value())
        if rec.get("event_id"):
            out.add(rec["event_id"])
    return out


def _wait_decided(s, want: set[str], timeout: float, router) -> set[str]:
    from hub.observability.reading import TopicReader
    deadline = time.monotonic() + timeout
    got: set[str] = set()
    while time.monotonic() < deadline:
        assert router.poll() is None, f"the router exited with status {router.returncode}"
        with TopicReader(s) as reader:
            got = _decided(s, reader)
        if want <= got:
            return got
        time.sleep(2)
    return got


def test_router_restarted_after_kill9_routes_the_whole_backlog(hub_env, hub_settings, tmp_path):
    from hub.routing.policy import load_partners
    from hub.runtime.topics import ensure_topics

    s = hub_settings
    ensure_topics(s, load_partners(s.partners_path))
    log = open(tmp_path / "router.log", "ab")
    first = _feed(s, 40, seed=21)
    router = subprocess.Popen([sys.executable, "-m", "hub", "router"], env=hub_env, stdout=log,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        got = _wait_decided(s, first, 120, router)
        assert first <= got, f"{len(first - got)} of the first {len(first)} records not routed"
        time.sleep(3)                      # past the commit interval: the restart starts from a commit
        router.send_signal(signal.SIGKILL)
        router.wait(10)
        backlog = _feed(s, 3000, seed=22)  # waits on the topic while no router runs
        router = subprocess.Popen([sys.executable, str(SLOW_SEEK), "router"], env=hub_env, stdout=log,
                                  stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        got = _wait_decided(s, backlog, 240, router)
        if not backlog <= got:             # the consuming state, for the failure message
            router.send_signal(signal.SIGUSR1)
            time.sleep(3)
    finally:
        if router.poll() is None:
            router.send_signal(signal.SIGKILL)
            router.wait(10)
    missing = backlog - got
    dumps = sorted((Path(hub_env["NQF_HUB_HOME"]) / "diagnostics").glob(f"{s.topic_prefix}-router-*.json"))
    state = json.loads(dumps[-1].read_text())["consumer"] if dumps else None
    assert not missing, (f"{len(missing)} of {len(backlog)} backlog records never routed after the restart",
                         state, (tmp_path / "router.log").read_text(errors="replace")[-2000:])

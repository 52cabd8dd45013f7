"""The router verifies the tail of an audit partition before extending it (issue 10 item 6): a
record written into hub.audit by someone else (no seal, content not matching its hash) makes the
router stop with AuditChainError instead of adopting it."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.integration


def test_router_refuses_to_extend_an_unverifiable_audit_tail(hub_env, hub_settings, tmp_path):
    from confluent_kafka import Producer

    from connectors.openbadges3.samples import sample_credentials
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.producer import produce_all
    from hub.routing.audit_chain import AUDIT, ChainWriter
    from hub.routing.policy import load_partners
    from hub.runtime.kafka import producer_config
    from hub.runtime.topics import ensure_topics
    from hub.sdk import registry
    from hub.sdk.inbound import Source
    from hub.serde import default_serde

    s = hub_settings
    ensure_topics(s, load_partners(s.partners_path))
    serde = default_serde()
    forged = {"audit_id": "forged-1", "event_id": "00000000-0000-4000-8000-000000000000",
              "event_type": "CredentialIssued", "trace_id": "0" * 32, "partner_id": "someone", "action": "forward",
              "rule_ids": [], "legal_basis": [], "regimes": [], "categories_present": [], "removed_categories": [],
              "purpose": None, "decided_at": dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc),
              "prev_hash": None, "hash": None}
    full = serde.decode(serde.encode(forged, AUDIT))[1]          # every schema field, defaults filled in
    ChainWriter().link(full, 0)
    full["action"] = "block"                                      # changed after hashing
    p = Producer(producer_config(s))
    for part in range(s.partitions):                              # whichever partition the router gets
        p.produce(s.topic("audit"), value=serde.encode(full, AUDIT), partition=part)
    assert p.flush(30) == 0

    conn = registry.inbound("openbadges3")
    doc = "\n".join(json.dumps(c) for c in sample_credentials(8, seed=11)).encode()
    assert produce_all(s, decode_sources(conn, [Source("l.jsonl", data=doc)], make_context(conn)),
                       connector="openbadges3").ingested == 8
    log = tmp_path / "router.log"
    router = subprocess.Popen([sys.executable, "-m", "hub", "router"], env=hub_env,
                              stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    try:
        deadline = time.monotonic() + 90
        while router.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert router.poll() not in (None, 0), "the router kept running on a forged audit tail"
    finally:
        if router.poll() is None:
            router.kill()
            router.wait(10)
    text = log.read_text()
    assert "AuditChainError" in text and "audit partition" in text, text[-3000:]
    # nothing was appended after the forged record
    from hub.routing.audit_read import read_partitions
    items = read_partitions(s, s.topic("audit"), serde)
    assert all(len(v) == 1 for v in items.values()), {k: len(v) for k, v in items.items()}

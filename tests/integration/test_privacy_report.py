"""`nqf-hub privacy report` over a real router run: the records of processing read from the
audit topic match the audit records, name the instruments relied on, and the saved records
give the same report offline."""
from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from hub.cli import main_group

pytestmark = pytest.mark.integration


def _cli(env, *args):
    return CliRunner().invoke(main_group, list(args), env=env, catch_exceptions=False)


def test_report_from_the_audit_topic_and_offline(hub_env, hub_settings, tmp_path):
    from connectors.openbadges3.samples import sample_credentials
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.producer import produce_all
    from hub.routing.audit_read import read_partitions
    from hub.routing.policy import load_partners
    from hub.runtime.topics import ensure_topics
    from hub.sdk import registry
    from hub.sdk.inbound import Source
    from hub.serde import default_serde

    s = hub_settings
    ensure_topics(s, load_partners(s.partners_path))
    conn = registry.inbound("openbadges3")
    doc = "\n".join(json.dumps(c) for c in sample_credentials(8, seed=11)).encode()
    assert produce_all(s, decode_sources(conn, [Source("load.jsonl", data=doc)], make_context(conn)),
                       connector="openbadges3").ingested == 8
    log = tmp_path / "router.log"
    router = subprocess.Popen([sys.executable, "-m", "hub", "router", "--batch", "5"], env=hub_env,
                              stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
    try:
        deadline = time.monotonic() + 45
        audits = []
        while time.monotonic() < deadline:
            items = read_partitions(s, s.topic("audit"), default_serde())
            audits = [i.record for v in items.values() for i in v if i.kind == "audit"]
            if len({a["event_id"] for a in audits}) == 8:
                break
            time.sleep(0.5)
        else:
            raise AssertionError("router did not audit every event:\n" + log.read_text()[-2000:])
    finally:
        router.terminate()
        router.wait(20)

    saved = tmp_path / "audit.jsonl"
    r = _cli(hub_env, "privacy", "report", "--save-records", str(saved))
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["audit_records"] == len(audits) and rep["source"].startswith("topic ")
    by_partner = {}
    for a in audits:
        by_partner.setdefault(a["partner_id"], []).append(a)
    assert {p["partner_id"] for p in rep["partners"]} == set(by_partner)
    for p in rep["partners"]:
        mine = by_partner[p["partner_id"]]
        assert p["decisions"] == len(mine)
        assert p["counts"]["block"] == sum(a["action"] == "block" for a in mine)
        assert set(p["legal_bases"]) == {b for a in mine for b in a["legal_basis"]}
        relied = {x.split(":", 1)[1] for a in mine for x in a.get("relied_on") or () if not x.startswith("consent:")}
        assert set(p["instruments_relied_on"]) == relied
    offline = _cli(hub_env, "privacy", "report", "--records", str(saved))
    assert offline.exit_code == 0, offline.output
    off = json.loads(offline.output)
    assert off["partners"] == rep["partners"]

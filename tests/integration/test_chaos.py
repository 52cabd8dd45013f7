"""CI-sized chaos: the whole hub keeps every event through a router kill -9, an outbound worker
kill -9 and a partner outage (benchmarks/chaos.py runs the 20k-event versions).

2,000 credentials (+ consents, a revocation, recognition requests) fed at 200 records/s; the
router is killed at 15 % of events decided, every partner endpoint is down for 8 s from 35 %, the
outbound worker is killed at 50 %; each worker is restarted a second later. Then: nothing lost or
dead-lettered, no duplicate effect at the partner, the audit chain verifies, holds add up. On the
SASL cluster (`nqf-hub cluster`) every hub process runs as its own service principal under the
ACLs of the run's prefix (benchmarks/run_principals.py), so a pass also shows they suffice.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(900)]


def test_kill9_router_and_delivery_and_partner_outage_lose_nothing(hub_env, hub_settings, tmp_path):
    from chaos import Script
    from hubrun import HubRun
    from run_principals import RunPrincipals

    run = HubRun(hub_settings, events=2000, retry_window_s=60, base_env=hub_env)
    with run:
        run.start()
        stream = run.prepare()
        script = Script(run, [])

        def down():
            run.partner_side.down()
            script.later(8, "partner up", run.partner_side.up)

        script.steps = [(0.15, "kill -9 router", lambda: run.kill9("router")),
                        (0.35, "partner down", down),
                        (0.50, "kill -9 deliver", lambda: run.kill9("deliver"))]
        feeder = run.feed(stream, 200)
        settled = run.settle(feeder, 420, on_tick=script.tick, stall_s=150)
        while not script.finished:
            script.tick()
            time.sleep(0.2)
        settled = settled and run.settle(feeder, 300, stall_s=150)
        res = run.result()
        print(json.dumps({k: res[k] for k in ("lost", "lost_by_stage", "dead_lettered", "partner_effects",
                                              "partner_duplicate_effects", "topic_duplicates", "holds",
                                              "kills", "principals", "elapsed_s", "lost_detail")}, default=str))
        logs = {f.name: f.read_text(errors="replace")[-1500:] for f in run.tmp.glob("*.log")}
        for f in run.tmp.glob("*.log"):       # the whole worker logs outlive the run (pytest's tmp_path)
            shutil.copy(f, tmp_path / f.name)
        logs["kept_in"] = str(tmp_path)
    assert settled, (res["lost_by_stage"], res["lost_detail"][:5], res["lost_examples"][:5], logs)
    assert sorted(s["step"] for s in script.log) == ["kill -9 deliver", "kill -9 router", "partner down",
                                                     "partner up"], script.log
    assert res["lost"] == 0, (res["lost_by_stage"], res["lost_detail"][:5], res["kills"])
    assert res["dead_lettered"] == 0
    assert res["partner_duplicate_effects"] == 0
    assert res["audit_verify"]["ok"], res["audit_verify"]
    assert res["holds"]["consistent"] and res["holds"]["released"] > 0, res["holds"]
    assert res["partner_effects"] > res["credentials"]
    if RunPrincipals.detect(hub_settings) is not None:     # the SASL cluster: one principal per service
        assert res["principals"] == {"router": "router", "deliver": "delivery", "recognition": "recognition",
                                     "feed": "ingest", "audit_verify": "operator",
                                     "setup_and_accounting": hub_settings.sasl_username}

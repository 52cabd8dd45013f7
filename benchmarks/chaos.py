"""Chaos runs of the whole hub: kill -9 workers, a broker, take a partner down; nothing lost.

Each scenario is its own hub (fresh topic prefix) fed N credential events (openbadges3) plus
consents for every 10th learner, a revocation and recognition requests, paced at --rate records/s
through the ingest path, with the router, recognition and outbound workers as processes and a
local partner receiver (HMAC-checked webhooks, de-duplicated by Idempotency-Key):

  workers  kill -9 the router at 15 % of events decided, the outbound worker at 40 %, the
           recognition worker at 65 %; each restarted a second later
  partner  every partner's webhook endpoint down (port closed) for --partner-down-s at 25 %
  broker   kill -9 the broker that leads most partitions of the busiest topics (ingress and the
           partner topics) at 30 %, restart it --broker-down-s later; needs the 3-broker cluster
           of deploy/kafka (NQF_HUB_BOOTSTRAP and its client settings from `deploy/kafka/cluster.sh env`)

After the feed, the run waits until every event is accounted for and the topics were quiet for
10 s, then checks (see benchmarks/hubrun.py for the exact accounting): events lost 0, nothing
dead-lettered, partner-side duplicate effects 0, no bad signatures, `nqf-hub audit verify`
passes, held == released + expired + still held with every release after a hold and delivered.
Duplicate records on topics (at-least-once repeats) are reported as a figure.

    python benchmarks/chaos.py --scenario workers --events 20000
    python benchmarks/chaos.py --scenario all --events 20000          # on the cluster
    python benchmarks/chaos.py --scenario partner --events 2000 --partner-down-s 15

Last stdout line: {"ok", "scenarios": {name: result}}; exit 1 if any invariant failed.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubrun import HubRun, log  # noqa: E402

SCENARIOS = ("workers", "partner", "broker")


class Script:
    """Fires each step once when the share of decided events reaches its threshold."""

    def __init__(self, run: HubRun, steps: list[tuple[float, str, object]]):
        self.run, self.steps = run, list(steps)
        self.log: list[dict] = []
        self.pending_restore: list[tuple[float, str, object]] = []

    def tick(self):
        now = time.monotonic()
        for item in list(self.pending_restore):
            at, what, fn = item
            if now >= at:
                self.pending_restore.remove(item)
                fn()
                self.log.append({"step": what, "at_s": round(now - self.run.t0, 1)})
        if not self.steps:
            return
        share = self.run.progress()
        while self.steps and share >= self.steps[0][0]:
            thr, what, fn = self.steps.pop(0)
            fn()
            self.log.append({"step": what, "at_s": round(time.monotonic() - self.run.t0, 1),
                             "decided": round(share, 3)})

    def later(self, after_s: float, what: str, fn):
        self.pending_restore.append((time.monotonic() + after_s, what, fn))

    @property
    def finished(self) -> bool:
        return not self.steps and not self.pending_restore


def scenario_steps(name: str, run: HubRun, script: Script, args) -> list:
    if name == "workers":
        return [(0.15, "kill -9 router", lambda: run.kill9("router")),
                (0.40, "kill -9 deliver", lambda: run.kill9("deliver")),
                (0.65, "kill -9 recognition", lambda: run.kill9("recognition"))]
    if name == "partner":
        def down():
            run.partner_side.down()
            log(f"partner endpoints down for {args.partner_down_s:.0f}s")
            script.later(args.partner_down_s, "partner endpoints up", up)

        def up():
            run.partner_side.up()
            log("partner endpoints up")
        return [(0.25, "partner endpoints down", down)]
    if name == "broker":
        from cluster_chaos import BrokerKiller
        killer = BrokerKiller(run.settings)

        def kill():
            info = killer.kill_busiest_leader([run.settings.topic("ingress"),
                                               *(run.settings.topic(f"partner.{p}") for p in run.partners)])
            log(f"kill -9 broker {info['node_id']} (pid {info['pid']}), leader of {info['led']} busiest partitions")
            script.log.append({"step": "broker killed", **info})
            script.later(args.broker_down_s, f"broker {info['node_id']} restarted",
                         lambda: killer.restart(info["node_id"]))
        return [(0.30, "kill -9 busiest leader", kill)]
    raise SystemExit(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")


def run_scenario(name: str, args, settings) -> dict:
    run = HubRun(settings, events=args.events, retry_window_s=max(180.0, args.partner_down_s * 3))
    keep = False
    try:
        run.start()
        stream = run.prepare()
        script = Script(run, [])
        script.steps = scenario_steps(name, run, script, args)
        feeder = run.feed(stream, args.rate)
        settled = run.settle(feeder, args.timeout, on_tick=script.tick, stall_s=args.stall_s)
        if settled and not script.finished:    # a step or restore still due: fire it, settle again
            while not script.finished:
                run.check()
                script.tick()
                time.sleep(0.5)
            settled = run.settle(feeder, args.timeout, stall_s=args.stall_s)
        res = run.result()
        res.update(scenario=name, settled=settled, steps=script.log, rate_offered=args.rate,
                   feed_s=round(feeder.finished_at - feeder.started_at, 1))
        res["invariants"]["settled"] = settled
        res["invariants"]["all_steps_fired"] = bool(script.log) and not script.steps
        res["ok"] = all(res["invariants"].values())
        keep = not res["ok"]
        return res
    except Exception:
        keep = True
        raise
    finally:
        if keep:
            dest = Path(args.logs) / f"{name}-{run.prefix}"
            dest.mkdir(parents=True, exist_ok=True)
            for f in run.tmp.glob("*.log"):
                shutil.copy(f, dest / f.name)
            log(f"worker logs kept in {dest}")
        run.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", default="all", help="workers | partner | broker | all (comma-separated)")
    ap.add_argument("--events", type=int, default=20000, help="credential events per scenario")
    ap.add_argument("--rate", type=float, default=250.0, help="records per second offered to ingest")
    ap.add_argument("--partner-down-s", type=float, default=60.0)
    ap.add_argument("--broker-down-s", type=float, default=30.0)
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait for a scenario to settle")
    ap.add_argument("--stall-s", type=float, default=300.0,
                    help="give up (and report what is missing) when events are pending and no output "
                         "record appeared for this long")
    ap.add_argument("--logs", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "nqfhub-chaos-logs"),
                    help="where worker logs of a failed scenario are kept")
    args = ap.parse_args(argv)

    from hub.config import load_settings
    settings = load_settings()
    names = SCENARIOS if args.scenario == "all" else tuple(args.scenario.split(","))
    if args.scenario == "all" and not settings.bootstrap:
        log("no NQF_HUB_BOOTSTRAP: the broker scenario needs the cluster; running workers and partner")
        names = ("workers", "partner")
    results = {}
    for name in names:
        log(f"=== scenario {name}: {args.events} credential events at {args.rate:.0f} records/s")
        results[name] = run_scenario(name, args, settings)
        log(json.dumps(results[name]))
    ok = all(r["ok"] for r in results.values())
    print(json.dumps({"ok": ok, "bootstrap": settings.bootstrap or "embedded", "scenarios": results}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

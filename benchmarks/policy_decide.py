"""Decisions per second of PolicyEngine.decide on a CredentialIssued (the router's hot path).

Runs, in one process, over the shipped rules and partners with the ZA fixture (national id,
ethnicity, disability) and the DE fixture:
  warm  — the normal case: the fact-tuple cache is warm, each decision still reads the event's
          categories, computes the age and copies the minimised event;
  cold  — baseline: the cache is cleared before every decision (full rule evaluation).
Prints a few readable lines and, last, one JSON line:
  {"bench": "policy_decide", "warm_decisions_per_s": …, "cold_decisions_per_s": …, "ratio": …, …}

    .venv/bin/python benchmarks/policy_decide.py [--n 50000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=50000, help="decisions in the warm run")
    args = ap.parse_args()

    from hub.jsonview import event_from_json
    from hub.routing.policy import Evidence, PolicyEngine, load_partners

    class Keys:
        def get(self, pid):
            return b"k" * 32

    t0 = time.perf_counter()
    engine = PolicyEngine.load(ROOT / "mappings" / "privacy", pseudonym_keys=Keys())
    load_s = time.perf_counter() - t0
    partners = list(load_partners(ROOT / "mappings" / "partners").values())
    events = [event_from_json(json.loads((ROOT / "tests" / "data" / "privacy" / f).read_text()))
              for f in ("za-credential.json", "de-credential.json")]
    at = dt.date(2026, 7, 1)
    consent = Evidence(consent_ids=frozenset({"c-1"}))
    jobs = [(e, p, ev) for e in events for p in partners for ev in (None, consent)]
    actions: dict[str, int] = {}

    def run(n: int, cold: bool) -> float:
        t = time.perf_counter()
        for i in range(n):
            e, p, ev = jobs[i % len(jobs)]
            if cold:
                engine._cache.clear()
            d = engine.decide(e, p, at=at, evidence=ev)
            if not cold:
                actions[d.action] = actions.get(d.action, 0) + 1
        return n / (time.perf_counter() - t)

    run(2000, False)                      # warm up
    actions.clear()
    warm = run(args.n, False)
    cold = run(max(args.n // 10, 1000), True)
    print(f"rules loaded in {load_s * 1000:.0f} ms ({len(engine.rules)} rules, {len(engine.regimes)} regimes)")
    print(f"warm: {warm:,.0f} decisions/s   cold (no cache): {cold:,.0f} decisions/s")
    print(f"actions in the warm run: {actions}")
    print(json.dumps({"bench": "policy_decide", "warm_decisions_per_s": round(warm),
                      "cold_decisions_per_s": round(cold), "ratio": round(warm / cold, 2),
                      "target_per_s": 20000, "meets_target": warm >= 20000, "n": args.n,
                      "rules": len(engine.rules), "load_ms": round(load_s * 1000), "actions": actions}))


if __name__ == "__main__":
    main()

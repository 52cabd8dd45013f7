"""Cost of the stage metrics on the router's hot path, measured in-process (no Kafka).

The same N canonical CredentialIssued events (OB3 sample generator, decoded by the openbadges3
connector) go through `RouterCore.route` twice per round, once with `metrics=None` (baseline)
and once with a `StageMetrics("router")` recording every decision (as `nqf-hub router
--metrics-port` does), plus `processed` per event. Rounds alternate the order
and the medians are compared (the machine may be shared). Prints the rates and their ratio.

    python benchmarks/metrics_overhead.py [--events 3000] [--rounds 3]

It also times `StageMetrics.decision` alone (microseconds per call, two rules), which is the
number to multiply by the partners per event when the shared machine makes the ratio noisy.

Last stdout line: {"baseline_events_per_s", "with_metrics_events_per_s", "ratio", "decision_call_us"}.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def events(n: int) -> list[tuple[bytes, bytes]]:
    from connectors.openbadges3.samples import sample_credentials
    from hub.ingest.decoding import decode_sources, make_context
    from hub.ingest.keys import subject_key
    from hub.sdk import registry
    from hub.sdk.inbound import Source
    conn = registry.inbound("openbadges3")
    doc = "\n".join(json.dumps(c) for c in sample_credentials(n, seed=11)).encode()
    return [(subject_key(i.event).encode(), d) for i, d in
            decode_sources(conn, [Source(name="b.jsonl", data=doc)], make_context(conn)) if d is not None]


def run(core, evs, metrics) -> float:
    t0 = time.perf_counter()
    for i, (k, v) in enumerate(evs):
        core.route(v, k, ("bench.ingress", 0, i))
        if metrics is not None:
            metrics.processed(1)
    return len(evs) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=9)
    a = ap.parse_args()
    from hub.config import load_settings
    from hub.observability.metrics import StageMetrics
    from hub.routing.router import build_core

    s = load_settings({}, topic_prefix="bench")
    evs = events(a.events)
    m = StageMetrics("router", settings=s)
    plain, metered = build_core(s), build_core(s, metrics=m)
    base, with_m = [], []
    for i in range(a.rounds):                 # alternate the order; compare medians
        if i % 2:
            with_m.append(run(metered, evs, m))
            base.append(run(plain, evs, None))
        else:
            base.append(run(plain, evs, None))
            with_m.append(run(metered, evs, m))
    b, w = statistics.median(base), statistics.median(with_m)
    print(json.dumps({"events": len(evs), "rounds": a.rounds, "baseline_events_per_s": round(b),
                      "with_metrics_events_per_s": round(w), "ratio": round(w / b, 3),
                      "decision_call_us": round(decision_cost(m), 2)}))


def decision_cost(m, n: int = 50_000) -> float:
    from hub.routing.policy import Decision
    d = Decision(action="forward_minimised", rules=["R-A", "R-B"], legal_basis=[], regimes=["X"],
                 removed_categories=[], categories_present=[], waiting_for=[], event=None,
                 rule_regime={"R-A": "X", "R-B": "HUB_POLICY"})
    ev = {"header": {"source": {"connector": "openbadges3", "jurisdiction": "DE"}}}
    t0 = time.perf_counter()
    for _ in range(n):
        m.decision("bench-partner", d, event=ev)
    return (time.perf_counter() - t0) / n * 1e6


if __name__ == "__main__":
    main()

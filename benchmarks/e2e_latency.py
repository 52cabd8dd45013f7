"""End-to-end latency of the whole hub: from ingest to the partner's receipt, at a paced load.

For each offered rate, a fresh hub (topic prefix) with the router, recognition and outbound
workers as processes and the local partner receiver (HMAC-checked webhooks, de-duplicated by
Idempotency-Key). The feed is the chaos runs' (benchmarks/hubrun.py: OB3 credentials with
recognition requests and a revocation among them), no consents; it is produced through the
ingest path (hub.ingest.producer.produce_all) in 50 ms chunks at the offered rate for
--duration seconds. First a warm-up of --warmup-s at the same rate, accounted for in full, so
consumer-group joins are not measured.

Latency of one delivery = partner receipt time - the time just before its event was produced
(both wall clock of this machine), for every (credential, partner) delivery of the measured
part; held and blocked copies are not deliveries. Reported per rate: p50, p90, p99, max (ms),
deliveries measured, the achieved ingest rate and how long the hub took to drain after the feed,
and `stages_ms`: p50/p99 of the two parts of each latency split at the CreateTime of the record
on the partner topic — `routed` (ingest, router; recognition for decisions) and `delivered`
(the delivery worker's queue, the webhook POST and the receiver), to see where a queue builds.

    python benchmarks/e2e_latency.py                                  # 200 and 1000 events/s, 30 s each
    python benchmarks/e2e_latency.py --rates 200 --duration 20
    NQF_HUB_BOOTSTRAP=... python benchmarks/e2e_latency.py            # on a cluster

Last stdout line: {"rates": {"200": {"p50_ms", "p99_ms", ...}, "1000": {...}}, "bootstrap"}.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hubrun import HubRun, log  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(q / 100 * len(v) + 0.5)) - 1))
    return v[k]


def measure(settings, rate: float, duration: float, warmup: float, timeout: float) -> dict:
    warm_n = int(rate * warmup)
    n = warm_n + int(rate * duration)
    run = HubRun(settings, events=n, consent_every=0, per_route=5)
    with run:
        run.start()
        stream = run.prepare()
        # warm-up: the first records at the same rate, then wait until all of them are through
        cut = min(warm_n, len(stream) - 1)
        warm = run.feed(stream[:cut], rate)
        if not run.settle(warm, timeout, quiet_s=2):
            raise SystemExit(f"warm-up not through within {timeout:.0f}s")
        measured = {item.event["header"]["event_id"] for item, _ in stream[cut:]}
        f = run.feed(stream[cut:], rate)
        if not run.settle(f, timeout, quiet_s=2):
            raise SystemExit(f"{len(run.pending())} events not through within {timeout:.0f}s at {rate}/s")
        drained_at = run.tracker.last_record_at
        lat = run.latencies(measured)
        stages = run.stage_latencies(measured)
        fed = len(stream) - cut
        feed_s = f.finished_at - f.started_at
        res = run.result()
    if not lat:
        raise SystemExit("no deliveries measured")
    ms = [x * 1000 for x in lat]
    return {"offered_per_s": rate, "achieved_ingest_per_s": round(fed / feed_s, 1), "feed_s": round(feed_s, 1),
            "records_fed": fed, "deliveries_measured": len(ms),
            "p50_ms": round(percentile(ms, 50), 1), "p90_ms": round(percentile(ms, 90), 1),
            "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1),
            "drained_after_feed_s": round(max(0.0, drained_at - f.finished_at), 1),
            "stages_ms": {name: {"p50": round(percentile(v, 50) * 1000, 1),
                                 "p99": round(percentile(v, 99) * 1000, 1)}
                          for name, v in stages.items() if v},
            "lost": res["lost"], "audit_chain_verifies": res["audit_verify"]["ok"]}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rates", default="200,1000", help="offered loads in records/s, comma-separated")
    ap.add_argument("--duration", type=float, default=30.0, help="measured seconds of feed per rate")
    ap.add_argument("--warmup-s", type=float, default=5.0)
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the hub to drain")
    args = ap.parse_args(argv)

    from hub.config import load_settings
    settings = load_settings()
    out = {}
    for r in (float(x) for x in args.rates.split(",")):
        log(f"=== {r:.0f} records/s for {args.duration:.0f}s (+{args.warmup_s:.0f}s warm-up)")
        out[f"{r:g}"] = measure(settings, r, args.duration, args.warmup_s, args.timeout)
        log(json.dumps(out[f"{r:g}"]))
    print(json.dumps({"rates": out, "bootstrap": settings.bootstrap or "embedded"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

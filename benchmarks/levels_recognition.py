"""Throughput of the level comparison engine, recognition decisions and decision signing.

Run:  .venv/bin/python benchmarks/levels_recognition.py [--seconds 1.0]

Measures, in one process:
  load          catalog load + JSON Schema validation of mappings/levels (once per process)
  cold          compare() over every (framework, level, target) pair on a fresh catalog (no cache)
  warm          compare() on a mix of queries once cached (the per-request cost in the processor)
  decide        decide() over the fixture requests and tables
  sign/verify   Ed25519 over the canonical serialisation of a decision
The last line is JSON; ratios are against the issue's target of 50,000 comparisons per second.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hub.jsonview import event_from_json  # noqa: E402
from hub.levels import LevelCatalog, load_dir  # noqa: E402
from hub.recognition import RecognitionState, decide  # noqa: E402
from hub.recognition.signing import KeyStore, sign, verify  # noqa: E402

TARGET = 50_000


def rate(fn, items, seconds):
    n, t0 = 0, time.perf_counter()
    while True:
        for it in items:
            fn(it)
        n += len(items)
        dt = time.perf_counter() - t0
        if dt >= seconds:
            return n / dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=1.0)
    args = ap.parse_args()
    levels_dir = ROOT / "mappings" / "levels"

    t0 = time.perf_counter()
    fws = load_dir(levels_dir)
    cat = LevelCatalog(fws.values())
    load_ms = (time.perf_counter() - t0) * 1000

    queries = [(f.code, lv.code, t) for f in fws.values() for lv in f.levels for t in sorted(fws)]
    fresh = LevelCatalog(fws.values())
    t0 = time.perf_counter()
    for q in queries:
        fresh.compare(*q)
    cold = len(queries) / (time.perf_counter() - t0)
    warm = rate(lambda q: cat.compare(*q), queries, args.seconds)

    data = ROOT / "tests" / "data" / "recognition"
    with open(data / "events.jsonl", encoding="utf-8") as f:
        state = RecognitionState.from_events(event_from_json(json.loads(x)) for x in f if x.strip())
    reqs = [event_from_json(json.loads(p.read_text())) for p in sorted((data / "requests").glob("*.json"))]
    decisions = rate(lambda r: decide(r, state, cat, r["header"]["occurred_at"]), reqs, args.seconds)

    import tempfile
    with tempfile.TemporaryDirectory() as home:
        store = KeyStore(home)
        store.generate()
        key, jwks = store.signing_key(), store.jwks()
        ds = [decide(r, state, cat, r["header"]["occurred_at"]) for r in reqs]
        signs = rate(lambda d: sign(d, key), ds, args.seconds)
        signed = [sign(d, key) for d in ds]
        verifies = rate(lambda d: verify(d, jwks), signed, args.seconds)

    result = {
        "benchmark": "levels_recognition",
        "frameworks": len(fws), "queries": len(queries),
        "load_ms": round(load_ms, 1),
        "compare_cold_per_s": round(cold), "compare_warm_per_s": round(warm),
        "warm_vs_target": round(warm / TARGET, 1), "cold_vs_target": round(cold / TARGET, 2),
        "decide_per_s": round(decisions), "sign_per_s": round(signs), "verify_per_s": round(verifies),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

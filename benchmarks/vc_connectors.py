"""Throughput and peak memory of the verifiable-credential connectors on large generated inputs.

For each connector (openbadges3, clr2, elm-edc) a JSON Lines file of fictional credentials is
generated in a temporary directory (streaming writes), then decoded in a fresh subprocess by the
full offline path (`hub.ingest.decoding.decode_sources`: read, limits, schema check, mapping, Avro
encoding). Each worker also times a baseline over the same file, `json.loads` of every line and
nothing else, and reports the ratio. The encoders (openbadges3, elm) are timed on the decoded
events. Peak RSS is the worker's `ru_maxrss`, so the input size is visible against it.

    python benchmarks/vc_connectors.py                 # defaults: 20000 OB3, 2000 CLR x 5, 5000 EDC
    python benchmarks/vc_connectors.py --scale 0.1     # quicker

The last line printed is one JSON object with every number.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(kind: str, path: Path, n: int) -> int:
    """Write `n` records of `kind` as JSON Lines; return the number of canonical events expected."""
    if kind == "openbadges3":
        from connectors.openbadges3.samples import sample_credentials as gen
        records, per = gen(n, seed=1), 1
    elif kind == "clr2":
        from connectors.clr2.samples import sample_clrs
        records, per = sample_clrs(n, per_clr=5, seed=1), 5
    else:
        from connectors.elm_edc.samples import sample_edcs
        records, per = sample_edcs(n, seed=1), 2      # QualificationPublished + CredentialIssued
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return n * per


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: KiB


def worker(kind: str, path: Path) -> dict:
    from hub.errors import DecodeError
    from hub.ingest.decoding import decode_sources, make_context
    from hub.sdk import registry
    from hub.sdk.inbound import Source

    t0 = time.perf_counter()
    lines = 0
    with open(path, "rb") as f:
        for line in f:
            json.loads(line)
            lines += 1
    baseline_s = time.perf_counter() - t0

    conn = registry.inbound(kind)
    ctx = make_context(conn)
    events, errors, sample = 0, 0, []
    t0 = time.perf_counter()
    for item, _data in decode_sources(conn, [Source.from_path(path)], ctx):
        if isinstance(item, DecodeError):
            errors += 1
        else:
            events += 1
            if len(sample) < 2000 and item.event["header"]["event_type"] == "CredentialIssued":
                sample.append(item.event)
    decode_s = time.perf_counter() - t0
    out = {"connector": kind, "records": lines, "events": events, "errors": errors,
           "input_mb": round(path.stat().st_size / 2**20, 1),
           "records_per_s": round(lines / decode_s), "events_per_s": round(events / decode_s),
           "baseline_json_loads_records_per_s": round(lines / baseline_s),
           "ratio_to_json_loads": round((lines / decode_s) / (lines / baseline_s), 3)}
    if kind in ("openbadges3", "elm-edc"):
        enc = registry.encoder("openbadges3" if kind == "openbadges3" else "elm")
        t0 = time.perf_counter()
        for ev in sample:
            enc.encode(ev)
        out[f"encode_{enc.name}_per_s"] = round(len(sample) / (time.perf_counter() - t0))
    out["peak_rss_mb"] = round(rss_mb(), 1)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", choices=("openbadges3", "clr2", "elm-edc"))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, Path(a.file))))
        return
    sizes = {"openbadges3": 20000, "clr2": 2000, "elm-edc": 5000}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, n in sizes.items():
            if a.only and kind != a.only:
                continue
            path = Path(tmp) / f"{kind}.jsonl"
            expected = generate(kind, path, max(1, int(n * a.scale)))
            r = subprocess.run([sys.executable, __file__, "--worker", kind, "--file", str(path)],
                               capture_output=True, text=True, check=True, cwd=ROOT,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
            res = json.loads(r.stdout.strip().splitlines()[-1])
            res["events_expected"] = expected
            print(f"{kind:12s} {res['records']:>7} records {res['input_mb']:>7} MB  "
                  f"{res['records_per_s']:>7} rec/s  {res['events_per_s']:>7} ev/s  "
                  f"x{res['ratio_to_json_loads']} of json.loads  peak RSS {res['peak_rss_mb']} MB")
            results.append(res)
    print(json.dumps({"benchmark": "vc_connectors", "python": sys.version.split()[0], "results": results}))


if __name__ == "__main__":
    main()

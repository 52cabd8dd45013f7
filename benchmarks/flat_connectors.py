"""Throughput and peak memory of the flat-file connectors: saqa-nlrd, csv, ofqual-register.

    .venv/bin/python benchmarks/flat_connectors.py                 # all cases (~3-5 min)
    .venv/bin/python benchmarks/flat_connectors.py --quick         # small sizes only
    .venv/bin/python benchmarks/flat_connectors.py --case nlrd --n 100000   # one case

Every case runs in its own child process so that its peak RSS (`ru_maxrss`) is its own; inputs
are generated under $TMPDIR (never committed) and reused when present. Each case decodes with
`hub.ingest.decoding.decode_sources`, i.e. connector + Avro encoding of every event, as
`nqf-hub convert`/`ingest` do. A `baseline` case imports the same modules and decodes nothing.

The last line printed is JSON: per case records/s, events/s and peak RSS (MiB), plus the ratios
that show memory is flat: peak RSS per NLRD size (100k, 300k, 1M persons), rss(1M) / rss(100k),
rss(1M) / rss(300k) (the person index's page cache is full from a few hundred thousand persons
on, after which RSS stays put) and rss / baseline.
"""
from __future__ import annotations

import argparse
import csv
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
sys.path.insert(0, str(ROOT / "benchmarks"))
WORK = Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "nqfhub-bench"


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB


# ---- inputs ----------------------------------------------------------------------------------
def nlrd_input(n: int) -> list[Path]:
    from nlrd_generate import generate
    d = WORK / f"nlrd-{n}"
    files = [d / "BNCH21250131.dat", d / "BNCH25250131.dat", d / "BNCH29250131.dat"]
    if not all(p.exists() for p in files) or (d / "BNCH25250131.dat").stat().st_size != n * 793:
        files = generate(d, n)
    return files


def csv_input(n: int) -> list[Path]:
    mapping = ROOT / "mappings" / "fields" / "in-nad-award-upload.yaml"
    p = WORK / f"nad-{n}.csv"
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        header = ["ORG_NAME", "ACADEMIC_COURSE_ID", "COURSE_NAME", "STREAM", "SESSION",
                  "REGN_NO", "RROLL", "CNAME", "GENDER", "DOB", "FNAME", "MNAME", "RESULT", "YEAR",
                  "MONTH", "DIVISION", "GRADE", "PERCENT", "DOI", "CERT_NO", "SEM", "TOT_CREDIT",
                  "CGPA", "ABC_ACCOUNT_ID", "ADMISSION_YEAR"]
        with open(p, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            for i in range(n):
                w.writerow(["Example University", f"BSC{i % 7}", "Bachelor of Science",
                            "Physics", "2021-24", f"R{i:08d}", f"{i:09d}", f"Student Name{i % 97}",
                            "MF"[i % 2], f"{1 + i % 28:02d}/{1 + i % 12:02d}/2003", "Father Name",
                            "Mother Name", "PASS", "2024", "JUNE", "FIRST", "A", "78.5",
                            "15/07/2024", f"C{i:010d}", "6", "132", "8.1", f"{i:012d}", "2021"])
    return [mapping, p]


def ofqual_input(n: int) -> list[Path]:
    p = WORK / f"ofqual-{n}.jsonl"
    if not p.exists():
        p.parent.mkdir(parents=True, exist_ok=True)
        with open(p, "w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps({
                    "QualificationNumber": f"{600 + i % 99}/{i % 9999:04d}/{i % 10}",
                    "Title": f"Example Level {1 + i % 8} Diploma in Things {i}", "Status": "Available to learners",
                    "OrganisationName": "Example Awards", "OrganisationRecognitionNumber": "RN5999",
                    "Type": "Vocational Qualification", "SSA": "Engineering", "Level": f"Level {1 + i % 8}",
                    "SubLevel": "None", "EQFLevel": f"Level {2 + i % 7}", "GradingType": "Pass/Fail",
                    "TotalCredits": 37, "TQT": 370, "GLH": 180, "RegulationStartDate": "2020-09-01T00:00:00",
                    "OperationalStartDate": "2020-09-01T00:00:00", "OperationalEndDate": None,
                    "CertificationEndDate": None, "OfferedInEngland": True,
                    "LastUpdatedDate": "2024-02-20T09:21:37Z"}) + "\n")
    return [p]


CASES = {"nlrd": ("saqa-nlrd", nlrd_input), "csv": ("csv", csv_input),
         "ofqual": ("ofqual-register", ofqual_input)}


def records_in(case: str, paths: list[Path]) -> int:
    if case == "nlrd":
        return sum(p.stat().st_size // {"21": 849, "25": 793, "29": 163}[p.name[4:6]] for p in paths)
    if case == "csv":
        with open(paths[1], "rb") as fh:
            return sum(1 for _ in fh) - 1
    with open(paths[0], "rb") as fh:
        return sum(1 for _ in fh)


# ---- one case in this process -------------------------------------------------------------
def run_case(case: str, n: int, avro: bool = True) -> dict:
    from hub.errors import DecodeError
    from hub.ingest.decoding import decode_sources, make_context, sources_for
    from hub.sdk import registry
    name, make = CASES.get(case, ("saqa-nlrd", nlrd_input))
    conn = registry.inbound(name)
    ctx = make_context(conn, options={"progress": False})
    paths = make(n) if case != "baseline" else []
    rss_before = _peak_rss_mib()
    t0 = time.perf_counter()
    events = errors = 0
    srcs = sources_for(conn, paths)
    items = ((i, None) for i in conn.decode_many(srcs, ctx)) if not avro else decode_sources(conn, srcs, ctx)
    for item, _ in items:
        if isinstance(item, DecodeError):
            errors += 1
        else:
            events += 1
    secs = time.perf_counter() - t0
    recs = records_in(case, paths) if paths else 0
    return {"case": case, "n": n, "avro_encode": avro, "records": recs, "events": events, "errors": errors,
            "seconds": round(secs, 2), "records_per_s": round(recs / secs) if secs and recs else 0,
            "events_per_s": round(events / secs) if secs and events else 0,
            "rss_after_setup_mib": round(rss_before, 1), "peak_rss_mib": round(_peak_rss_mib(), 1)}


def child(case: str, n: int, avro: bool) -> dict:
    out = subprocess.run([sys.executable, __file__, "--case", case, "--n", str(n)]
                         + ([] if avro else ["--no-avro"]),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=[*CASES, "baseline"])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-avro", action="store_true", help="connector only, no Avro encoding")
    a = ap.parse_args()
    if a.case:
        print(json.dumps(run_case(a.case, a.n, not a.no_avro)))
        return
    plan = [("baseline", 0, True)]
    if a.quick:
        plan += [("nlrd", 10_000, True), ("nlrd", 100_000, True), ("nlrd", 100_000, False),
                 ("csv", 100_000, True), ("ofqual", 50_000, True)]
    else:
        plan += [("nlrd", 100_000, True), ("nlrd", 300_000, True), ("nlrd", 1_000_000, True),
                 ("nlrd", 1_000_000, False),
                 ("csv", 1_000_000, True), ("ofqual", 200_000, True)]
    results = []
    for case, n, avro in plan:
        r = child(case, n, avro)
        results.append(r)
        print(f"{case:8} n={n:>9,} {'+avro' if avro else 'only '} {r['records_per_s']:>8,} records/s  {r['events_per_s']:>8,} events/s  "
              f"peak RSS {r['peak_rss_mib']:7.1f} MiB  ({r['seconds']} s, {r['errors']} errors)", flush=True)
    base = results[0]["peak_rss_mib"]
    nl = [r for r in results if r["case"] == "nlrd" and r["avro_encode"]]
    summary = {
        "benchmark": "flat_connectors",
        "baseline_peak_rss_mib": base,
        "cases": results,
        "nlrd_peak_rss_mib_by_persons": {str(r["n"]): r["peak_rss_mib"] for r in nl},
        "nlrd_rss_ratio_largest_over_smallest": round(nl[-1]["peak_rss_mib"] / nl[0]["peak_rss_mib"], 3),
        "nlrd_rss_ratio_largest_over_second": round(nl[-1]["peak_rss_mib"] / nl[-2]["peak_rss_mib"], 3),
        "rss_over_baseline": {f"{r['case']}-{r['n']}{'' if r['avro_encode'] else '-connector-only'}":
                              round(r["peak_rss_mib"] / base, 3) for r in results[1:]},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()

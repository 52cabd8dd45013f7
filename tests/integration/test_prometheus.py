"""A real Prometheus server scrapes the demo's router and outbound worker and finds the hub's series.

Needs the `prometheus` binary (Debian package `prometheus`, installed by .ci/run); skipped with
the reason otherwise. Prometheus listens on 127.0.0.1 only and scrapes 127.0.0.1 targets.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request

import pytest
import yaml

pytestmark = pytest.mark.integration
PROMETHEUS = shutil.which("prometheus")

WANTED = {
    "decisions": 'sum(nqfhub_routing_decisions_total{job="nqf-hub-router"})',
    "policy": 'sum by (regime, rule) (nqfhub_policy_decisions_total{job="nqf-hub-router"})',
    "router processed": 'nqfhub_records_processed_total{job="nqf-hub-router",stage="router"}',
    "delivery processed": 'nqfhub_records_processed_total{job="nqf-hub-delivery",stage="delivery"}',
    "deliveries": 'sum by (partner) (nqfhub_deliveries_total{job="nqf-hub-delivery"})',
    "latency": 'nqfhub_delivery_latency_seconds_bucket{job="nqf-hub-delivery"}',
    "router lag": 'nqfhub_consumer_lag{job="nqf-hub-router"}',
    "delivery lag": 'nqfhub_consumer_lag{job="nqf-hub-delivery"}',
    "dead letters": 'nqfhub_dead_letters_total{job="nqf-hub-router"}',
    "workers": 'nqfhub_worker_info',
}


def get_json(url: str, timeout: float = 5.0):
    return json.loads(urllib.request.urlopen(url, timeout=timeout).read())


def query(base: str, q: str) -> list:
    return get_json(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": q}))["data"]["result"]


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus binary not installed (Debian package `prometheus`)")
def test_prometheus_scrapes_the_demo_workers(hub_settings, tmp_path):
    from hub.demo.runner import Demo

    found: dict[str, list] = {}

    class ScrapedDemo(Demo):
        def _watch(self, *args, **kwargs):
            super()._watch(*args, **kwargs)                         # every event accounted for; workers still up
            scrape(self.metrics_ports, found, tmp_path)

    result = ScrapedDemo(hub_settings, events=30, timeout_s=120, say=lambda *_: None).run()
    assert result["ingested"] == 30
    missing = [k for k in WANTED if not found.get(k)]
    assert not missing, f"series not found by Prometheus: {missing}"
    assert {r["metric"]["job"] for r in found["up"]} == {"nqf-hub-router", "nqf-hub-delivery"}
    assert all(r["value"][1] == "1" for r in found["up"])
    assert float(found["decisions"][0]["value"][1]) > 0
    assert sum(float(r["value"][1]) for r in found["deliveries"]) > 0
    for r in found["policy"]:                               # label values are ids, never data
        assert set(r["metric"]) <= {"regime", "rule"}


def scrape(ports: dict[str, int], found: dict, tmp_path) -> None:
    from hub.runtime.broker import free_port
    web = free_port()
    cfg = {"global": {"scrape_interval": "1s", "scrape_timeout": "900ms"},
           "scrape_configs": [
               {"job_name": "nqf-hub-router", "static_configs": [{"targets": [f"127.0.0.1:{ports['router']}"]}]},
               {"job_name": "nqf-hub-delivery", "static_configs": [{"targets": [f"127.0.0.1:{ports['deliver']}"]}]}]}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(cfg))
    log = open(tmp_path / "prometheus.log", "wb")
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{web}"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{web}"
    try:
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError("prometheus exited: " + (tmp_path / "prometheus.log").read_text()[-2000:])
            try:
                for name, q in {**WANTED, "up": "up"}.items():
                    found[name] = query(base, q)
                if all(found.get(k) for k in WANTED) and len(found["up"]) == 2 \
                        and all(r["value"][1] == "1" for r in found["up"]):
                    return
            except OSError:
                pass                                        # not listening yet
            time.sleep(0.5)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()

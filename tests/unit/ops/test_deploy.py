"""deploy/: the Prometheus config and alert rules check with promtool, the alert rules' own tests
pass, the dashboard and the alerts use metric families that exist, and every compose/k8s command
is a real `nqf-hub` command line."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from hub.observability.families import family_names

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
KNOWN = set(family_names()) | {"nqfhub_policy_decisions_total", "nqfhub_broker_up", "nqfhub_broker_topics",
                               "nqfhub_broker_partitions", "nqfhub_broker_uptime_seconds",
                               "nqfhub_broker_resident_memory_bytes"}
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package `prometheus`)")


def metric_names(expr: str) -> set[str]:
    names = set(re.findall(r"\b(nqfhub_[a-z_]+)", expr))
    return {re.sub(r"_(bucket|sum|count)$", "", n) if not n.endswith("_total") else n for n in names}


def known(name: str) -> bool:
    return name in KNOWN or name + "_total" in KNOWN


@needs_promtool
def test_promtool_check_rules():
    r = subprocess.run([PROMTOOL, "check", "rules", str(DEPLOY / "alerts.yml")], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@needs_promtool
def test_promtool_alert_unit_tests():
    r = subprocess.run([PROMTOOL, "test", "rules", "alerts_test.yml"], cwd=DEPLOY, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@needs_promtool
def test_promtool_check_config():
    r = subprocess.run([PROMTOOL, "check", "config", "prometheus.yml"], cwd=DEPLOY, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_alerts_cover_the_required_situations_and_use_real_metrics():
    rules = [r for g in yaml.safe_load((DEPLOY / "alerts.yml").read_text())["groups"] for r in g["rules"]]
    names = {r["alert"] for r in rules}
    for required in ("NqfHubDeadLettersGrowing", "NqfHubConsumerLagGrowing", "NqfHubPartnerDeliveriesFailing",
                     "NqfHubHeldRecordsAging", "NqfHubWorkerDown"):
        assert required in names
    for r in rules:
        for n in metric_names(r["expr"]):
            assert known(n), f"{r['alert']} uses unknown metric {n}"


def test_dashboard_uses_real_metrics_and_covers_flows():
    dash = json.loads((DEPLOY / "grafana" / "nqf-hub-dashboard.json").read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [v["query"]["query"] for v in dash["templating"]["list"] if isinstance(v.get("query"), dict)]
    used = set().union(*(metric_names(e) for e in exprs))
    assert all(known(n) for n in used), sorted(n for n in used if not known(n))
    text = " ".join(exprs)
    for label in ("jurisdiction", "partner", "connector"):
        assert f"by ({label}" in text or f", {label})" in text
    assert {v["name"] for v in dash["templating"]["list"]} >= {"datasource", "partner", "connector", "jurisdiction"}


def _hub_argvs():
    """Every `nqf-hub` argument list in compose.yaml and the k8s manifests."""
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for name, svc in compose["services"].items():
        if svc.get("image", "").startswith("nqf-hub") or "<<" in svc:
            yield f"compose:{name}", svc["command"]
    for f in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(f.read_text()):
            spec = ((doc or {}).get("spec") or {}).get("template", {}).get("spec", {})
            for c in spec.get("containers", []):
                if c["image"].startswith("nqf-hub"):
                    yield f"{f.name}:{c['name']}", c["args"]


def test_every_deploy_command_is_a_real_nqf_hub_command_line():
    import click

    from hub.cli import main_group
    seen = 0
    for where, argv in _hub_argvs():
        ctx = click.Context(main_group)
        cmd = main_group.get_command(ctx, argv[0])
        assert cmd is not None, f"{where}: no command {argv[0]}"
        rest = list(argv[1:])
        while isinstance(cmd, click.Group):
            cmd, rest = cmd.get_command(ctx, rest[0]), rest[1:]
        cmd.make_context(argv[0], rest)          # raises on an unknown option or a bad value
        seen += 1
    assert seen >= 6


def test_compose_prometheus_targets_match_worker_ports():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    prom = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    targets = {t for j in prom["scrape_configs"] for sc in j["static_configs"] for t in sc["targets"]}
    for svc, port in (("router", "9101"), ("delivery", "9102"), ("serve", "8081")):
        assert f"{svc}:{port}" in targets
        assert port in compose["services"][svc]["command"]

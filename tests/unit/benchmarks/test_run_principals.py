"""The chaos harness's per-service principals (benchmarks/run_principals.py): which Kafka user
each process of a run connects as, and that nothing of the caller's credentials leaks into a
service's environment. (That the ACLs suffice is shown by the chaos runs on the cluster.)"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hub.config import Settings
from hub.errors import HubError
from hub.runtime.kafka_acls import SERVICES

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))
from run_principals import WORKER_SERVICE, RunPrincipals  # noqa: E402


def sasl(users: Path, **kw) -> Settings:
    return Settings(home=users.parent, bootstrap="127.0.0.1:19092,127.0.0.1:19093", profile="kafka",
                    security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="admin",
                    sasl_password_file=users / "admin", topic_prefix="chaos1", **kw)


@pytest.fixture
def users(tmp_path):
    d = tmp_path / "users"
    d.mkdir()
    for u in ("admin", *SERVICES):
        (d / u).write_text(f"pw-{u}")
    return d


def test_no_principals_without_sasl_or_without_per_service_users(tmp_path, users):
    assert RunPrincipals.detect(Settings(home=tmp_path, topic_prefix="chaos1")) is None   # embedded
    (users / "delivery").unlink()
    assert RunPrincipals.detect(sasl(users)) is None      # not the `nqf-hub cluster` layout


def test_each_worker_runs_as_its_own_service(users):
    pr = RunPrincipals.detect(sasl(users))
    assert WORKER_SERVICE == {"router": "router", "deliver": "delivery", "recognition": "recognition"}
    s = pr.settings("delivery")
    assert (s.sasl_username, s.sasl_password_file, s.topic_prefix) == ("delivery", users / "delivery", "chaos1")
    base = {"NQF_HUB_SASL_USERNAME": "admin", "NQF_HUB_SASL_PASSWORD_FILE": str(users / "admin"),
            "NQF_HUB_SASL_PASSWORD": "admin-secret", "NQF_HUB_TOPIC_PREFIX": "chaos1", "PATH": "/bin"}
    env = pr.env(base, "router")
    assert env == {"NQF_HUB_SASL_USERNAME": "router", "NQF_HUB_SASL_PASSWORD_FILE": str(users / "router"),
                   "NQF_HUB_TOPIC_PREFIX": "chaos1", "PATH": "/bin"}
    assert base["NQF_HUB_SASL_USERNAME"] == "admin"        # the caller's own environment is untouched
    with pytest.raises(HubError, match="no Kafka principal"):
        pr.settings("admin")


def test_the_run_gets_the_production_acls_of_its_own_prefix(users):
    pr = RunPrincipals.detect(sasl(users))
    names = {a.name for a in pr.acls}
    assert names and all(n.startswith("chaos1.") or n.startswith("chaos1-") for n in names)
    assert {a.principal for a in pr.acls} == set(SERVICES)
    assert pr.describe()["setup_and_accounting"] == "admin"

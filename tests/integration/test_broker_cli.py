"""`nqf-hub broker status` against the session's embedded broker (embedded-only: on an external
Kafka cluster the embedded broker does not exist, and the test skips saying so)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.embedded_only]


def test_broker_status_reports_the_running_embedded_broker(hub_env):
    r = subprocess.run([sys.executable, "-m", "hub", "broker", "status", "--json"], env=hub_env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["mode"] == "embedded" and st["running"] and st["reachable"]

"""docs/operating.md lists every metric family the code defines, and no family that does not exist."""
from __future__ import annotations

import re
from pathlib import Path

from hub.observability.families import family_names

ROOT = Path(__file__).resolve().parents[3]
OTHER_FAMILIES = {"nqfhub_policy_decisions_total",            # hub/routing/metrics.py
                  "nqfhub_broker_up", "nqfhub_broker_topics", "nqfhub_broker_partitions",
                  "nqfhub_broker_uptime_seconds", "nqfhub_broker_resident_memory_bytes"}


def documented() -> set[str]:
    text = (ROOT / "docs" / "operating.md").read_text()
    table = text.split("## Metrics", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(nqfhub_[a-z_]+)`", table))


def test_every_family_is_documented_and_every_documented_family_exists():
    code = set(family_names()) | OTHER_FAMILIES
    docs = documented()
    assert code - docs == set(), "families missing from docs/operating.md"
    assert docs - code == set(), "docs/operating.md names families the code does not define"


def test_broker_collector_names_match():
    src = (ROOT / "hub" / "observability" / "broker_metrics.py").read_text()
    for name in OTHER_FAMILIES - {"nqfhub_policy_decisions_total"}:
        assert f'"{name}"' in src

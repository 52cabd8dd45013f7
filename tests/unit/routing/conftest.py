"""Fixtures for the routing tests: the repo's rules, partners and privacy fixtures."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "mappings" / "privacy"
PARTNERS = ROOT / "mappings" / "partners"
PRIVACY_DATA = ROOT / "tests" / "data" / "privacy"
AT = dt.date(2026, 7, 1)


class FixedKeys:
    """PseudonymKeys stand-in: a fixed key per partner, or none."""

    def __init__(self, keys: dict[str, bytes]):
        self.keys = keys

    def get(self, partner_id):
        return self.keys.get(partner_id)


@pytest.fixture(scope="session")
def engine():
    from hub.routing.policy import PolicyEngine
    return PolicyEngine.load(RULES)


@pytest.fixture(scope="session")
def partners():
    from hub.routing.policy import load_partners
    return load_partners(PARTNERS)


@pytest.fixture
def load_event():
    from hub.jsonview import event_from_json

    def load(name: str) -> dict:
        return event_from_json(json.loads((PRIVACY_DATA / name).read_text()))
    return load

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


def instrument(iid: str, recipient: str, *, exporters=("za-saqa",), purposes=None, categories=None,
               valid_from=dt.date(2000, 1, 1), valid_until=None, exporter_jurisdictions=()):
    """An instrument register entry for tests (any purpose/category unless given)."""
    from hub.routing.policy._instruments import Instrument
    import yaml
    hub = yaml.safe_load((RULES / "hub.yaml").read_text())
    return Instrument(id=iid, kind=iid.split(":", 1)[0], title="test instrument", exporters=frozenset(exporters),
                      exporter_jurisdictions=frozenset(exporter_jurisdictions), recipient=recipient,
                      purposes=frozenset(purposes or hub["purposes"]), categories=frozenset(categories or hub["categories"]),
                      valid_from=valid_from, valid_until=valid_until, source_file="test")


def with_register(engine, *instruments):
    """A copy of `engine` whose instrument register holds exactly `instruments`."""
    import copy
    from hub.routing.policy._instruments import InstrumentRegister
    e = copy.copy(engine)
    e.register = InstrumentRegister(list(instruments))
    e._cache, e._held_cache = {}, {}
    return e

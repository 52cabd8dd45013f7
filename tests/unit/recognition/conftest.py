"""Fixtures for recognition tests: the project's canonical JSON events and requests."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from hub.jsonview import event_from_json
from hub.levels import load_levels

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "recognition"


def load_events() -> list[dict]:
    with open(DATA / "events.jsonl", encoding="utf-8") as f:
        return [event_from_json(json.loads(line)) for line in f if line.strip()]


def load_request(name: str) -> dict:
    return event_from_json(json.loads((DATA / "requests" / f"{name}.json").read_text()))


@pytest.fixture(scope="session")
def events() -> list[dict]:
    return load_events()


@pytest.fixture(scope="session")
def levels():
    return load_levels(ROOT / "mappings" / "levels")

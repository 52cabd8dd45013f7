"""Signed fixtures built once per session by tests/verify_fixtures.py (deterministic, test keys)."""
from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest

from hub.verify import Verifier
from hub.verify.contexts import ContextStore
from hub.verify.status import StatusCache
from hub.verify.trust import load_trust_registry

_SCRIPT = Path(__file__).resolve().parents[2] / "verify_fixtures.py"


def _fixtures_module():
    spec = importlib.util.spec_from_file_location("verify_fixtures", _SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def fx():
    return _fixtures_module()


@pytest.fixture(scope="session")
def signed(tmp_path_factory, fx):
    """{'trust', 'status', 'credentials', 'keys', ...} of one generated fixture tree."""
    return fx.build(tmp_path_factory.mktemp("signed"))


@pytest.fixture(scope="session")
def verifier(signed) -> Verifier:
    return Verifier(load_trust_registry(signed["trust"]), StatusCache(signed["status"]),
                    ContextStore.load(signed["trust"] / "contexts"), today=dt.date(2026, 6, 1))


def credential(signed, name: str):
    p = signed["credentials"] / name
    text = p.read_text(encoding="utf-8")
    return text.strip() if p.suffix == ".jwt" else json.loads(text)

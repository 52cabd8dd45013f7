"""Shared test fixtures.

- `reference`: ../shared/reference beside the checkout (real specs and samples); tests that need
  it skip with a clear reason when it is absent.
- `data_dir`: tests/data, the project's own fixtures.
"""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference"
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip("../shared/reference is not beside the checkout; real-sample tests skipped")
    return REFERENCE


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA

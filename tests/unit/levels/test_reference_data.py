"""The level files agree with the research facts in ../shared/reference/levels (read, not copied)."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hub.levels import load_levels

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def rows(reference):
    path = reference / "levels" / "levels.csv"
    if not path.exists():
        pytest.skip("levels.csv not in the reference folder")
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def cat():
    return load_levels(ROOT / "mappings" / "levels")


def test_every_framework_of_the_research_is_modelled(rows, cat):
    for r in rows:
        assert cat.resolve(r["framework"]), r["framework"]
        if r["reference_framework"] != "none":
            assert cat.resolve(r["reference_framework"]), r["reference_framework"]


def test_every_level_row_with_a_reference_level_is_reproduced(rows, cat):
    checked = 0
    for r in rows:
        fw = cat.get(r["framework"])
        lv = fw.level(r["national_level"])
        target = cat.resolve(r["reference_framework"]) if r["reference_framework"] != "none" else None
        if lv is None or target is None or not r["reference_level"]:
            continue
        link = next(ln for ln in fw.links if ln.to == target)
        row = next(x for x in link.rows if x.level == lv.code)
        expected = None if r["reference_level"] == "none" else tuple(r["reference_level"].split("|"))
        assert row.targets == expected, (r["framework"], r["national_level"])
        assert row.inferred == r["confidence"].startswith("inferred"), (r["framework"], r["national_level"])
        checked += 1
    assert checked >= 150


def test_explicit_none_from_the_research_is_kept(rows, cat):
    """The HKQF/NZQF 'No agreement on a comparable level' row becomes a reverse 'none'."""
    assert cat.compare("NZQF", "8", "HK-HKQF").status == "none"

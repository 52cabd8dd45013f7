"""The comparison engine on the shipped data: sets, none, unknown, versions, aliases, paths."""
from __future__ import annotations

from pathlib import Path

import pytest

from hub.levels import COMPARABLE, NONE, UNKNOWN, load_levels

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def cat():
    return load_levels(ROOT / "mappings" / "levels")


@pytest.mark.parametrize("frm,lv,to,status,levels", [
    ("IE-NFQ", "8", "EQF", COMPARABLE, ["6"]),                       # direct
    ("EQF", "6", "IE-NFQ", COMPARABLE, ["7", "8"]),                  # many-to-one reversed
    ("IE-NFQ", "8", "UK-SCO-SCQF", COMPARABLE, ["9", "10"]),         # via EQF, set
    ("NZ-NZQCF", "8", "EQF", NONE, []),                              # explicit none
    ("NZ-NZQCF", "8", "IE-NFQ", NONE, []),                           # none survives a pivot
    ("EQF", "1", "NZ-NZQCF", NONE, []),                              # no NZ level compares to EQF 1
    ("UK-SCO-SCQF", "2", "EQF", NONE, []),
    ("AU-AQF", "7", "EQF", UNKNOWN, []),                             # comparison without a table
    ("IN-NCrF", "5.5", "EQF", UNKNOWN, []),                          # half level, no referencing
    ("NO-NKR", "1", "EQF", UNKNOWN, []),                             # level without a row
    ("EQF", "3", "CH-NQF-HS", UNKNOWN, []),                          # no HS level at 3, not stated
    ("ZA-NQF", "7", "EQF", UNKNOWN, []),                             # SADCQF-EQF has no table
    ("FR-1969", "I", "FR-CNCP", COMPARABLE, ["7", "8"]),             # one-to-many legacy split
    ("FR-1969", "I", "AT-NQR", COMPARABLE, ["VII", "VIII"]),         # version crosswalk + pivot
    ("ZA-NQF-pre2009", "8", "ZA-NQF", COMPARABLE, ["8", "9", "10"]),
    ("HK-HKQF", "3", "NZQF", COMPARABLE, ["3", "4"]),                # merged cell range, alias
    ("NL-NLQF", "4+", "EQF", COMPARABLE, ["4"]),
    ("EQF", "4", "NL-NLQF", COMPARABLE, ["4", "4+"]),
    ("AT-NQR", "6", "PL-PRK", COMPARABLE, ["6"]),                    # Roman alias in, Arabic out
    ("PL-PRK", "IV", "AT-NQR", COMPARABLE, ["IV"]),
    ("PH-PQF", "7", "MY-MQF", COMPARABLE, ["7"]),                    # via AQRF
    ("UK-ENI-RQF", "Entry 3", "UK-WAL-CQFW", COMPARABLE, ["Entry 3"]),
    ("DE-DQR", "6", "DE-DQR", COMPARABLE, ["6"]),                    # identity
])
def test_compare(cat, frm, lv, to, status, levels):
    c = cat.compare(frm, lv, to)
    assert c.status == status, c.as_dict()
    assert list(c.levels) == levels


def test_result_shape_and_path(cat):
    d = cat.compare("DE-DQR", "6", "NZ-NZQCF").as_dict()
    assert d["status"] == "comparable" and d["levels"] == ["7"]
    assert d["path"] == ["DE-DQR:6", "EQF:6", "NZ-NZQCF:7"]
    assert d["confidence"] == "stated_1to1_official" and d["derived"] and not d["inferred"]
    assert set(d) >= {"status", "levels", "path", "confidence"}


def test_confidence_is_the_weakest_on_the_route(cat):
    c = cat.compare("IE-NFQ", "8", "HK-HKQF")
    assert c.status == COMPARABLE and c.inferred and c.confidence == "inferred_transitive"
    d = cat.compare("UK-ENI-RQF", "Entry 1", "EQF")
    assert d.status == NONE and d.inferred and d.confidence == "inferred"


def test_legacy_links_are_noted(cat):
    c = cat.compare("UK-SCO-SCQF", "9", "IE-NFQ")
    assert "legacy" in c.link_statuses and any("legacy" in n for n in c.notes)


def test_unknown_input_never_raises(cat):
    assert cat.compare("XX-NOPE", "1", "EQF").status == UNKNOWN
    assert cat.compare("EQF", "99", "IE-NFQ").status == UNKNOWN
    assert cat.compare("EQF", "1", "XX-NOPE").status == UNKNOWN


def test_results_are_cached_and_immutable(cat):
    a = cat.compare("IE-NFQ", "9", "UK-SCO-SCQF")
    assert cat.compare("IE-NFQ", "9", "UK-SCO-SCQF") is a
    with pytest.raises(Exception):
        a.status = "none"  # frozen


def test_jurisdiction_lookup(cat):
    assert [f.code for f in cat.for_jurisdiction("CH")] == ["CH-NQF-HS", "CH-NQF-VPQ"]
    assert {f.code for f in cat.for_jurisdiction("GB")} == {"UK-ENI-RQF", "UK-SCO-SCQF", "UK-WAL-CQFW"}
    assert "UK-ENI-QCF" in {f.code for f in cat.for_jurisdiction("GB-ENG", include_superseded=True)}

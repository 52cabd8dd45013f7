"""Invariants of the level comparison engine, on the shipped data and on generated frameworks.

- a direct link round-trips: F:L -> R gives the row's levels, and each of them leads back to L;
- 'none' never turns into a level: a row the source marks 'none' compares as 'none';
- results never depend on the order in which frameworks, links or rows were read;
- a result is well-formed: 'comparable' iff levels, and levels are codes of the target.
"""
from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hub.levels import COMPARABLE, NONE, Framework, Level, LevelCatalog, Link, Row, load_levels

ROOT = Path(__file__).resolve().parents[2]
CAT = load_levels(ROOT / "mappings" / "levels")
ROWS = sorted(((f.code, ln, r) for f in CAT.frameworks.values() for ln in f.links for r in ln.rows),
              key=lambda x: (x[0], x[1].to, x[2].level))
DIRECT = [x for x in ROWS if not x[2].is_none]
NONES = [x for x in ROWS if x[2].is_none]
LEVEL_REFS = sorted((f.code, lv.code) for f in CAT.frameworks.values() for lv in f.levels)
CODES = sorted(CAT.frameworks)


@given(st.sampled_from(DIRECT))
def test_direct_link_round_trips_on_shipped_data(item):
    code, link, row = item
    there = CAT.compare(code, row.level, link.to)
    assert there.status == COMPARABLE
    assert set(there.levels) == set(row.targets)
    for t in there.levels:
        back = CAT.compare(link.to, t, code)
        assert back.status == COMPARABLE and row.level in back.levels


@given(st.sampled_from(NONES), st.sampled_from(CODES))
def test_none_never_turns_into_a_level_on_shipped_data(item, target):
    code, link, row = item
    assert CAT.compare(code, row.level, link.to).status == NONE
    fw = CAT.frameworks[code]
    if len([ln for ln in fw.links if ln.rows]) == 1 and target != code:
        # the only way out of this level is the 'none' row: nothing may become comparable
        assert CAT.compare(code, row.level, target).status != COMPARABLE


@given(st.sampled_from(LEVEL_REFS), st.sampled_from(CODES))
def test_results_are_well_formed_on_shipped_data(ref, target):
    c = CAT.compare(ref[0], ref[1], target)
    assert (c.status == COMPARABLE) == bool(c.levels)
    tfw = CAT.frameworks[target]
    assert all(tfw.level(x) is not None and tfw.level(x).code == x for x in c.levels)
    order = [tfw.level(x).ordinal for x in c.levels]
    assert order == sorted(order)
    if c.status == COMPARABLE:
        assert c.path[0].startswith(CAT.frameworks[ref[0]].code + ":") and c.path[-1].startswith(target + ":")


# ---- generated frameworks -------------------------------------------------------------------
CONF = ["verbatim_official", "verbatim_secondary", "stated_1to1_official", "inferred_1to1", "inferred"]


@st.composite
def catalogs(draw):
    refs = [Framework(code=f"R{i}", name=f"Ref {i}", kind="reference",
                      levels=tuple(Level(str(j + 1), j) for j in range(n)), links=())
            for i, n in enumerate(draw(st.lists(st.integers(3, 8), min_size=2, max_size=3)))]
    nationals = []
    for i in range(draw(st.integers(2, 5))):
        n_levels = draw(st.integers(1, 7))
        levels = tuple(Level(f"L{j}", j) for j in range(n_levels))
        links = []
        for ref in draw(st.lists(st.sampled_from(refs), min_size=1, max_size=len(refs), unique_by=lambda r: r.code)):
            rows = []
            ref_codes = [lv.code for lv in ref.levels]
            for lv in levels:
                kind = draw(st.sampled_from(["one", "two", "none", "missing"]))
                conf = draw(st.sampled_from(CONF))
                if kind == "missing":
                    continue
                targets = None if kind == "none" else tuple(sorted(set(
                    draw(st.lists(st.sampled_from(ref_codes), min_size=1, max_size=1 if kind == "one" else 2)))))
                rows.append(Row(lv.code, targets, conf, conf.startswith("inferred")))
            links.append(Link(source=f"N{i}", to=ref.code, type="referencing", status="current", year=2020,
                              confidence="verbatim_official", inferred=False, table_seen=True,
                              sources=({"title": "generated"},), rows=tuple(rows)))
        nationals.append(Framework(code=f"N{i}", name=f"Nat {i}", kind="national", levels=levels,
                                   links=tuple(links)))
    return refs + nationals


def _shuffled(fws, seed):
    rnd = random.Random(seed)
    out = []
    for f in fws:
        links = [replace(ln, rows=tuple(rnd.sample(ln.rows, len(ln.rows)))) for ln in f.links]
        rnd.shuffle(links)
        out.append(replace(f, links=tuple(links)))
    rnd.shuffle(out)
    return out


def _all_queries(fws):
    return [(f.code, lv.code, t.code) for f in fws for lv in f.levels for t in fws]


@settings(max_examples=150, deadline=None)
@given(catalogs(), st.integers(0, 2**32 - 1))
def test_results_never_depend_on_dictionary_order(fws, seed):
    a, b = LevelCatalog(fws), LevelCatalog(_shuffled(fws, seed))
    for q in _all_queries(fws):
        assert a.compare(*q).as_dict() == b.compare(*q).as_dict(), q


@settings(max_examples=60, deadline=None)
@given(catalogs())
def test_generated_direct_links_round_trip_and_none_stays_none(fws):
    cat = LevelCatalog(fws)
    for f in fws:
        for ln in f.links:
            for r in ln.rows:
                c = cat.compare(f.code, r.level, ln.to)
                if r.is_none:
                    assert c.status == NONE and not c.levels
                    continue
                assert c.status == COMPARABLE and set(c.levels) == set(r.targets)
                for t in c.levels:
                    assert r.level in cat.compare(ln.to, t, f.code).levels


@settings(max_examples=60, deadline=None)
@given(catalogs())
def test_generated_results_are_well_formed(fws):
    cat = LevelCatalog(fws)
    by = {f.code: f for f in fws}
    for q in _all_queries(fws):
        c = cat.compare(*q)
        assert (c.status == COMPARABLE) == bool(c.levels)
        assert all(by[q[2]].level(x) is not None for x in c.levels)
        if c.status == NONE:
            assert any(p.endswith(":none") for p in c.path)

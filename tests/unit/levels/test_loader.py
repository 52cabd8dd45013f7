"""Level files: the shipped data loads and validates; broken files report every problem at once."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from hub.errors import MappingFileError
from hub.levels import LevelCatalog, load_dir, load_levels

ROOT = Path(__file__).resolve().parents[3]
LEVELS = ROOT / "mappings" / "levels"


@pytest.fixture(scope="module")
def cat() -> LevelCatalog:
    return load_levels(LEVELS)


def test_shipped_data_loads_with_enough_frameworks(cat):
    national = [f for f in cat.frameworks.values() if f.kind == "national"]
    assert len(national) >= 20
    for ref in ("EQF", "SADCQF", "AQRF", "ACQF"):
        assert cat.frameworks[ref].kind == "reference"
    for code in ("IE-NFQ", "UK-SCO-SCQF", "UK-ENI-RQF", "NZ-NZQCF", "NL-NLQF", "ZA-NQF", "AU-AQF", "IN-NCrF"):
        assert code in cat.frameworks


def test_levels_are_strings_in_order_and_links_carry_provenance(cat):
    for f in cat.frameworks.values():
        assert [lv.ordinal for lv in f.levels] == list(range(len(f.levels)))
        assert all(isinstance(lv.code, str) for lv in f.levels)
        for ln in f.links:
            assert ln.type in ("referencing", "comparison", "alignment", "crosswalk")
            assert ln.sources and ln.status and ln.confidence
            for r in ln.rows:
                assert r.inferred == r.confidence.startswith("inferred")


def test_inferred_rows_are_marked_in_the_files(cat):
    rqf = cat.frameworks["UK-ENI-RQF"].links[0]
    entry = {r.level: r for r in rqf.rows}
    assert entry["Entry 1"].is_none and entry["Entry 1"].inferred
    assert entry["Entry 3"].targets == ("1",) and entry["Entry 3"].inferred
    assert not entry["3"].inferred
    hk_eqf = next(ln for ln in cat.frameworks["HK-HKQF"].links if ln.to == "EQF")
    assert hk_eqf.confidence == "inferred_transitive" and hk_eqf.inferred


def test_links_whose_table_was_not_seen_have_no_rows(cat):
    for code in ("AU-AQF", "CV-QNQ", "UA-NQF", "MA-CNC", "KE-KNQF"):
        for ln in cat.frameworks[code].links:
            assert ln.confidence == "not_seen" and ln.rows == ()


def _copy(tmp_path: Path, names) -> Path:
    d = tmp_path / "levels"
    d.mkdir()
    for n in names:
        shutil.copy(LEVELS / f"{n}.yaml", d / f"{n}.yaml")
    return d


def _edit(path: Path, fn) -> None:
    doc = yaml.safe_load(path.read_text())
    fn(doc)
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def test_every_problem_of_every_file_is_reported_together(tmp_path):
    d = _copy(tmp_path, ["EQF", "IE-NFQ", "DE-DQR", "NZ-NZQCF"])

    def ie(doc):
        doc["links"][0]["mappings"][0]["to"] = ["9"]            # EQF has no level 9
        doc["levels"][0]["code"] = 1                             # not a string

    def de(doc):
        doc["links"][0]["confidence"] = "inferred_1to1"         # inferred but not marked
        doc["links"][0]["type"] = "friendship"                   # not a link type

    def nz(doc):
        doc["links"][0]["to"] = "XQF"                            # unknown framework
    _edit(d / "IE-NFQ.yaml", ie)
    _edit(d / "DE-DQR.yaml", de)
    _edit(d / "NZ-NZQCF.yaml", nz)
    with pytest.raises(MappingFileError) as ei:
        load_dir(d)
    text = "\n".join(ei.value.problems)
    assert "IE-NFQ.yaml: levels[0].code" in text
    assert "DE-DQR.yaml: links[0].type" in text
    assert "DE-DQR.yaml: links[0]" in text and "inferred" in text
    assert "NZ-NZQCF.yaml: links[0].to: unknown framework 'XQF'" in text
    assert len(ei.value.problems) >= 4


def test_cross_file_checks(tmp_path):
    d = _copy(tmp_path, ["EQF", "IE-NFQ", "NL-NLQF"])

    def ie(doc):
        doc["links"][0]["mappings"][0]["to"] = ["9"]
        doc["links"][0]["mappings"][1]["level"] = "1"            # duplicate row
        doc["links"].append(dict(doc["links"][0], mappings=[]))   # second link to EQF
    _edit(d / "IE-NFQ.yaml", ie)
    (d / "Wrong-Name.yaml").write_text((d / "NL-NLQF.yaml").read_text())
    with pytest.raises(MappingFileError) as ei:
        load_dir(d)
    text = "\n".join(ei.value.problems)
    assert "'9' is not a level code of EQF" in text
    assert "'1' has two rows" in text
    assert "a second link between IE-NFQ and EQF" in text
    assert "Wrong-Name.yaml: code: must match the file name" in text


def test_country_code_no_stays_a_string(tmp_path):
    d = _copy(tmp_path, ["EQF", "NO-NKR"])
    p = d / "NO-NKR.yaml"
    p.write_text(p.read_text().replace('jurisdictions: ["NO"]', "jurisdictions: [NO]"))
    assert load_dir(d)["NO-NKR"].jurisdictions == ("NO",)


def test_global_yaml_resolver_changes_do_not_affect_level_files(tmp_path, monkeypatch):
    """Another module stripping PyYAML's shared resolvers must not change how levels read."""
    shared = yaml.resolver.Resolver.yaml_implicit_resolvers
    stripped = {k: [(t, rx) for t, rx in v if t != "tag:yaml.org,2002:bool"] for k, v in shared.items()}
    monkeypatch.setattr(yaml.resolver.Resolver, "yaml_implicit_resolvers", stripped)
    monkeypatch.setattr(yaml.resolver.BaseResolver, "yaml_implicit_resolvers", stripped)
    d = _copy(tmp_path, ["EQF", "ZA-NQF", "ZA-NQF-pre2009", "SADCQF"])
    fws = load_dir(d)
    assert fws["ZA-NQF"].links[0].table_seen is False


def test_invalid_yaml_and_empty_directory(tmp_path):
    d = _copy(tmp_path, ["EQF"])
    (d / "BROKEN.yaml").write_text("code: [unclosed\n")
    with pytest.raises(MappingFileError, match="BROKEN.yaml: line"):
        load_dir(d)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MappingFileError, match="no level files"):
        load_dir(empty)

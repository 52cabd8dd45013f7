"""The NLRD layouts and lookup tables agree with the layouts derived from three implementations
(../shared/reference/formats/saqa_nlrd, read, never copied)."""
from __future__ import annotations

import json

import pytest

from connectors.saqa_nlrd._layouts import LAYOUTS, UNSUPPORTED_LENGTHS
from connectors.saqa_nlrd._lookups import (ALTERNATIVE_ID_TYPE, CITIZEN_RESIDENT_STATUS,
                                           DISABILITY_STATUS, EQUITY, GENDER, HOME_LANGUAGE,
                                           LEARNER_ACHIEVEMENT_STATUS, PART_OF, PROVIDER_CLASS,
                                           PROVIDER_TYPE, SOCIOECONOMIC_STATUS, STRUCTURE_STATUS)


@pytest.fixture(scope="module")
def derived(reference):
    return json.loads((reference / "formats" / "saqa_nlrd" / "nlrd_layouts_DERIVED.json").read_text())


@pytest.fixture(scope="module")
def derived_lookups(reference):
    return json.loads((reference / "formats" / "saqa_nlrd" / "nlrd_lookup_codes_DERIVED.json").read_text())


@pytest.mark.parametrize("file_no", ["21", "24", "25", "29"])
def test_layout_matches_derived_offsets_lengths_and_flags(derived, file_no):
    ref = derived["files"][file_no]
    mine = LAYOUTS[file_no]
    assert mine.record_length == ref["record_length"]
    assert [f.name for f in mine.fields] == [f["name"] for f in ref["fields"]]
    for f, r in zip(mine.fields, ref["fields"]):
        assert f.length == r["length"], f.name
        assert f.start + 1 == r["start"], f.name          # reference is 1-based
        assert f.start + f.length == r["end"], f.name
        assert f.required == r["required"], f.name


def test_unsupported_file_lengths_match_derived(derived):
    for length, file_no in UNSUPPORTED_LENGTHS.items():
        assert derived["files"][file_no]["record_length"] == length


def _table(derived_lookups, prefix):
    key = next(k for k in derived_lookups if k.startswith(prefix))
    return {k: v for k, v in derived_lookups[key].items() if not k.startswith("_")}


@pytest.mark.parametrize("prefix,mine", [
    ("Alternative_Id_Type", ALTERNATIVE_ID_TYPE), ("Equity_Code", EQUITY), ("Gender_Code", GENDER),
    ("Citizen_Resident_Status_Code", CITIZEN_RESIDENT_STATUS), ("Home_Language_Code", HOME_LANGUAGE),
    ("Socioeconomic_Status_Code", SOCIOECONOMIC_STATUS), ("Disability_Status_Code", DISABILITY_STATUS),
    ("Part_Of", PART_OF), ("Provider_Class_Id", PROVIDER_CLASS), ("Provider_Type_Id", PROVIDER_TYPE),
    ("Structure_Status_Id", STRUCTURE_STATUS),
])
def test_lookup_codes_match_derived(derived_lookups, prefix, mine):
    assert set(mine) == set(_table(derived_lookups, prefix))


def test_achievement_status_accepts_labelled_and_seen_codes(derived_lookups):
    ref = derived_lookups[next(k for k in derived_lookups if k.startswith("Learner_Achievement_Status_Id"))]
    expected = {k for k in ref if not k.startswith("_")} | set(ref["_other_codes_seen_unlabelled"])
    assert set(LEARNER_ACHIEVEMENT_STATUS) == expected

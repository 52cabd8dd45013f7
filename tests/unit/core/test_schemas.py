"""Canonical schemas: parse, categories on personal data, BACKWARD_TRANSITIVE compatibility."""
from __future__ import annotations

import copy

import pytest

from hub.config import PROJECT_ROOT
from hub.schemas import EVENT_TYPES, Catalog, catalog
from hub.schemas_release import compatible

PERSONAL_FIELDS = {"given_names", "family_name", "birth_date", "national_ids", "email", "gender",
                   "citizenship", "ethnicity", "disability", "home_language", "functional_ratings"}


def test_every_schema_parses_and_every_event_type_has_one():
    cat = Catalog(PROJECT_ROOT / "schemas" / "avro")
    for et in EVENT_TYPES:
        assert cat.for_event_type(et).parsed
    for name in cat.named:
        cat.expand(name)  # every named type resolves


def test_every_learner_field_has_a_category():
    learner = catalog().named["nqfhub.Learner"]
    missing = [f["name"] for f in learner["fields"] if "nqfhub.category" not in f]
    assert not missing, f"Learner fields without nqfhub.category: {missing}"


def test_personal_data_fields_are_tagged_wherever_they_appear():
    untagged = []
    for name, s in catalog().named.items():
        for f in s.get("fields", []):
            if f["name"] in PERSONAL_FIELDS and "nqfhub.category" not in f:
                untagged.append(f"{name}.{f['name']}")
    assert not untagged, untagged


def test_national_id_value_is_tagged():
    nid = catalog().named["nqfhub.NationalId"]
    assert {f["name"]: f.get("nqfhub.category") for f in nid["fields"]}["value"] == "identity.national_id"


def test_categories_index_finds_nested_paths():
    paths = {c.path: c.category for c in catalog().for_event_type("CredentialIssued").categories}
    assert paths["learner.national_ids[].value"] == "identity.national_id"
    assert paths["learner.ethnicity"] == "special.ethnicity"
    assert paths["learner.birth_date"] == "identity.birth_date"


@pytest.mark.parametrize("name", sorted(catalog().current))
def test_backward_transitive_with_every_released_version(name):
    cat = catalog()
    current = cat.current[name].expanded
    released = cat.released.get(name, [])
    assert released, f"{name} has no released version in schemas/avro/released"
    for old in released:
        assert compatible(current, old.expanded), f"{name} cannot read data written with {old.version}"


def test_the_compatibility_check_catches_a_breaking_change():
    cur = copy.deepcopy(catalog().current["nqfhub.events.CredentialRevoked"].expanded)
    cur["fields"].append({"name": "mandatory_new", "type": "string"})  # no default: breaks BACKWARD
    old = catalog().released["nqfhub.events.CredentialRevoked"][0].expanded
    assert not compatible(cur, old)

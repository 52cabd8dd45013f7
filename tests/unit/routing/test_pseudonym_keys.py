"""Per-partner pseudonym keys: explicit creation, rotation, deletion; env override."""
from __future__ import annotations

import stat

import pytest

from hub.errors import ConfigError
from hub.routing.policy import PseudonymKeys, pseudonym


def test_no_key_is_created_implicitly(tmp_path):
    k = PseudonymKeys(tmp_path / "keys", env={})
    assert k.get("p1") is None
    assert not (tmp_path / "keys").exists()


def test_create_rotate_delete(tmp_path):
    k = PseudonymKeys(tmp_path, env={})
    path = k.create("p1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key1 = k.get("p1")
    assert len(key1) == 32 and k.create("p1") == path and k.get("p1") == key1   # create keeps
    a = pseudonym(key1, "za-id", "123")
    k.rotate("p1")
    key2 = k.get("p1")
    assert key2 != key1 and pseudonym(key2, "za-id", "123") != a
    k.rotate("p1", keep_old=True)
    assert len(list(tmp_path.glob("p1.key.retired-*"))) == 1
    assert k.list() == ["p1"]
    assert k.delete("p1") is True
    assert k.get("p1") is None and list(tmp_path.iterdir()) == []


def test_env_key_wins_and_is_validated(tmp_path):
    k = PseudonymKeys(tmp_path, env={"NQF_HUB_SECRET_PSEUDONYM_DE_UNI": "ab" * 32})
    assert k.get("de-uni") == bytes.fromhex("ab" * 32)
    bad = PseudonymKeys(tmp_path, env={"NQF_HUB_SECRET_PSEUDONYM_X": "not-hex"})
    with pytest.raises(ConfigError) as ei:
        bad.get("x")
    assert "not-hex" not in str(ei.value)


def test_partner_id_cannot_escape_the_directory(tmp_path):
    with pytest.raises(ConfigError):
        PseudonymKeys(tmp_path, env={}).create("../etc")


def test_pseudonym_is_keyed_and_deterministic():
    k1, k2 = b"\x01" * 32, b"\x02" * 32
    assert pseudonym(k1, "s", "v") == pseudonym(k1, "s", "v")
    assert pseudonym(k1, "s", "v") != pseudonym(k2, "s", "v")
    assert pseudonym(k1, "s", "v") != pseudonym(k1, "t", "v")
    assert len(pseudonym(k1, "s", "v")) == len("ps1.") + 32

"""The public faces of hub.levels and hub.recognition export what they claim; no key material in the repo."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import hub.levels
import hub.recognition

ROOT = Path(__file__).resolve().parents[3]
MARKER = b"-----BEGIN " + b"PRIVATE KEY"      # split so this file does not match itself


@pytest.mark.parametrize("mod", [hub.levels, hub.recognition])
def test_all_names_exist(mod):
    for name in mod.__all__:
        assert hasattr(mod, name), name
    assert len(set(mod.__all__)) == len(mod.__all__)


def test_no_private_key_is_tracked():
    try:
        files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    for f in files:
        p = ROOT / f
        if p.suffix in (".pem", ".key"):
            pytest.fail(f"key file tracked: {f}")
        if p.is_file() and p.stat().st_size < 2_000_000:
            assert MARKER not in p.read_bytes(), f

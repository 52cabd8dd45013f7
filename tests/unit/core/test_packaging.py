"""A non-editable install carries the data the hub reads: schemas, mappings, connector files."""
from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from hub.config import PROJECT_ROOT


@pytest.mark.slow
def test_wheel_contains_schemas_mappings_and_connector_data(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                        "-w", str(tmp_path), str(PROJECT_ROOT)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = tmp_path.glob("nqf_hub-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for rel in ("schemas/avro/nqfhub.events.CredentialIssued.avsc",
                "schemas/avro/released/nqfhub.events.CredentialIssued/v1.avsc",
                "mappings/privacy/eu-gdpr.yaml", "mappings/levels/EQF.yaml",
                "mappings/partners/partner.schema.json", "connectors/openbadges3/ob3_credential.schema.json"):
        assert rel in names, f"{rel} missing from the wheel"
    for d in ("schemas/avro", "mappings/privacy", "mappings/levels"):
        shipped = {p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / d).rglob("*")
                   if p.is_file() and p.suffix in (".avsc", ".yaml", ".json")}
        assert shipped <= names, f"{d}: {sorted(shipped - names)[:5]} missing from the wheel"

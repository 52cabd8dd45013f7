from __future__ import annotations

from pathlib import Path

from hub.sdk.conformance import inbound_conformance

DATA = Path(__file__).resolve().parents[2] / "data"

TestCanonicalJsonConformance = inbound_conformance("canonical-json", DATA / "canonical-json")

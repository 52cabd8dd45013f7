"""canonical-json encoder: bytes are the JSON view, and read back into the same event."""
from __future__ import annotations

import json
from pathlib import Path

from connectors.canonical_json import CONNECTOR, CanonicalJsonOutbound
from hub.ingest.decoding import decode_paths
from hub.jsonview import dumps, event_from_json
from hub.sdk import registry

OB3 = Path(__file__).resolve().parents[2] / "data" / "openbadges3" / "good"


def test_registered_as_an_encoder_and_inbound():
    spec = registry.get("canonical-json")
    assert spec.encoder is CanonicalJsonOutbound and spec.roles == ["inbound", "encoder"]
    assert CONNECTOR.readme.is_file()
    enc = registry.encoder("canonical-json")
    assert enc.media_type == "application/json" and enc.event_types == ()


def test_bytes_are_the_json_view_and_round_trip():
    enc = CanonicalJsonOutbound()
    (item, _), = list(decode_paths("openbadges3", [OB3 / "za_certificate.json"]))
    ev = item.event
    body = enc.encode(ev)
    assert body == dumps(ev).encode("utf-8")
    assert b"\n" not in body
    assert event_from_json(json.loads(body)) == ev
    assert "ü" in enc.encode({**ev, "learner": {**ev["learner"], "family_name": "Müller"}}).decode("utf-8")

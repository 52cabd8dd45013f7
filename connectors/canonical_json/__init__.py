"""Canonical JSON encoder: the hub's own event view, for partners who want no format change.

Public face: `CONNECTOR` (entry point `canonical-json`) and `CanonicalJsonOutbound`.
"""
from pathlib import Path

from connectors.canonical_json.encoder import CanonicalJsonOutbound
from connectors.canonical_json.inbound import CanonicalJsonInbound
from hub.sdk.registry import ConnectorSpec

CONNECTOR = ConnectorSpec(
    name="canonical-json",
    description="Canonical event as one JSON object (hub.jsonview), any event type",
    inbound=CanonicalJsonInbound,
    encoder=CanonicalJsonOutbound,
    readme=Path(__file__).with_name("README.md"),
)

__all__ = ["CONNECTOR", "CanonicalJsonInbound", "CanonicalJsonOutbound"]

"""UK Ofqual Register of Regulated Qualifications (API JSON) -> canonical events.

Public face: `OfqualRegisterInbound` and `CONNECTOR` (entry point `ofqual-register`). See
README.md for the mapping, the accepted shapes and what is dropped.
"""
from pathlib import Path

from connectors.ofqual_register._inbound import OfqualRegisterInbound
from hub.sdk.registry import ConnectorSpec

CONNECTOR = ConnectorSpec(
    name="ofqual-register",
    description="Ofqual Register API JSON (qualifications, awarding organisations) -> "
                "QualificationPublished, InstitutionPublished, AccreditationChanged",
    inbound=OfqualRegisterInbound,
    readme=Path(__file__).with_name("README.md"),
)

__all__ = ["CONNECTOR", "OfqualRegisterInbound"]

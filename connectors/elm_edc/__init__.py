"""ELM v3 / European Digital Credentials: `elm-edc` inbound and the `elm` encoder.

Public face: `CONNECTOR` (entry point `elm-edc`, inbound), `ELM_OUTBOUND` (entry point `elm`,
encoder), `ElmEdcInbound`, `ElmOutbound`.
"""
from pathlib import Path

from connectors.elm_edc.inbound import ElmEdcInbound
from connectors.elm_edc.outbound import ElmOutbound
from hub.sdk.registry import ConnectorSpec

README = Path(__file__).with_name("README.md")

CONNECTOR = ConnectorSpec(
    name="elm-edc",
    description="European Digital Credentials (ELM v3 JSON-LD, EBSI EDC) -> CredentialIssued "
                "(+ QualificationPublished for a specified Qualification)",
    inbound=ElmEdcInbound,
    readme=README,
)

ELM_OUTBOUND = ConnectorSpec(
    name="elm",
    description="CredentialIssued -> European Digital Credential JSON-LD (ELM v3, EBSI EDC schema), unsigned",
    encoder=ElmOutbound,
    readme=README,
)

__all__ = ["CONNECTOR", "ELM_OUTBOUND", "ElmEdcInbound", "ElmOutbound"]

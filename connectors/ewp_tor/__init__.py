"""Erasmus Without Paper Transcripts of Records (ELMO inside, one per mobility). See README.md."""
from pathlib import Path

from hub.sdk.registry import ConnectorSpec

from connectors.ewp_tor.inbound import EwpTorInbound

__all__ = ["CONNECTOR", "EwpTorInbound"]

CONNECTOR = ConnectorSpec(
    name="ewp-tor",
    description="EWP IMobility ToRs get-response (ELMO per mobility) → CredentialIssued",
    inbound=EwpTorInbound,
    readme=Path(__file__).resolve().parent / "README.md",
)

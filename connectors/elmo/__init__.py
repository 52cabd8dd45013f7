"""EMREX ELMO v1.x: inbound (`ElmoInbound`) and outbound (`ElmoOutbound`). See README.md."""
from pathlib import Path

from hub.sdk.registry import ConnectorSpec

from connectors.elmo.inbound import ElmoInbound
from connectors.elmo.outbound import ElmoOutbound

__all__ = ["CONNECTOR", "ElmoInbound", "ElmoOutbound"]

CONNECTOR = ConnectorSpec(
    name="elmo",
    description="EMREX ELMO v1.x transcripts (NCP response files) in; CredentialIssued / "
                "RecognitionDecided out as ELMO 1.7 XML",
    inbound=ElmoInbound,
    encoder=ElmoOutbound,
    readme=Path(__file__).resolve().parent / "README.md",
)

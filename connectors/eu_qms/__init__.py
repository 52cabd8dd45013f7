"""EU accreditation register (AMS XML, as used by QMS) → AccreditationChanged. See README.md."""
from pathlib import Path

from hub.sdk.registry import ConnectorSpec

from connectors.eu_qms.inbound import EuQmsInbound

__all__ = ["CONNECTOR", "EuQmsInbound"]

CONNECTOR = ConnectorSpec(
    name="eu-qms",
    description="EU accreditation XML (AMS 3.x) → AccreditationChanged (accreditor, accredited "
                "organisation or programme, status, period, scope)",
    inbound=EuQmsInbound,
    readme=Path(__file__).resolve().parent / "README.md",
)

"""EU Qualifications Dataset Register (LOQ XML) → QualificationPublished. See README.md."""
from pathlib import Path

from hub.sdk.registry import ConnectorSpec

from connectors.eu_qdr.inbound import EuQdrInbound

__all__ = ["CONNECTOR", "EuQdrInbound"]

CONNECTOR = ConnectorSpec(
    name="eu-qdr",
    description="EU QDR / LOQ 3.x XML export → QualificationPublished (EQF, NQF, ISCED-F, credits)",
    inbound=EuQdrInbound,
    readme=Path(__file__).resolve().parent / "README.md",
)

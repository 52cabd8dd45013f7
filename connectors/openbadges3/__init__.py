"""Open Badges 3.0 connector: inbound credentials -> CredentialIssued; outbound encoder.

Public face: `CONNECTOR` (the entry point `openbadges3`), `OpenBadges3Inbound`,
`sample_credentials` (a generator of valid fictional credentials for demos and benchmarks).
"""
from pathlib import Path

from connectors.openbadges3.inbound import OpenBadges3Inbound
from connectors.openbadges3.outbound import OpenBadges3Outbound
from connectors.openbadges3.samples import sample_credentials
from hub.sdk.registry import ConnectorSpec

CONNECTOR = ConnectorSpec(
    name="openbadges3",
    description="Open Badges 3.0 (VC 2.0) credentials: JSON, JSON array or JSON Lines in; "
                "OpenBadgeCredential JSON out",
    inbound=OpenBadges3Inbound,
    encoder=OpenBadges3Outbound,
    readme=Path(__file__).with_name("README.md"),
)

__all__ = ["CONNECTOR", "OpenBadges3Inbound", "OpenBadges3Outbound", "sample_credentials"]

"""XHochschule 1.2 (Germany) award documents → CredentialIssued. See README.md."""
from pathlib import Path

from hub.sdk.registry import ConnectorSpec

from connectors.xhochschule.inbound import XHochschuleInbound

__all__ = ["CONNECTOR", "XHochschuleInbound"]

CONNECTOR = ConnectorSpec(
    name="xhochschule",
    description="XHochschule 1.2 Hochschulabschlusszeugnis / Transcript of Records / Diploma "
                "Supplement → CredentialIssued",
    inbound=XHochschuleInbound,
    readme=Path(__file__).resolve().parent / "README.md",
)

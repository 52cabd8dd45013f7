"""CLR 2.0 connector: ClrCredential transcripts -> one CredentialIssued per embedded credential.

Public face: `CONNECTOR` (entry point `clr2`), `Clr2Inbound`, `sample_clrs` (fictional CLRs for
tests and benchmarks).
"""
from pathlib import Path

from connectors.clr2.inbound import Clr2Inbound
from connectors.clr2.samples import sample_clrs
from hub.sdk.registry import ConnectorSpec

CONNECTOR = ConnectorSpec(
    name="clr2",
    description="1EdTech CLR 2.0 ClrCredential (JSON, array or JSON Lines) -> CredentialIssued per "
                "asserted achievement, linked by the CLR id",
    inbound=Clr2Inbound,
    readme=Path(__file__).with_name("README.md"),
)

__all__ = ["CONNECTOR", "Clr2Inbound", "sample_clrs"]

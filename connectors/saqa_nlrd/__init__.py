"""SAQA NLRD load files (fixed width): Files 21, 24, 25 + 29 -> canonical events.

Public face: `NlrdInbound` and `CONNECTOR` (the entry point `saqa-nlrd`). See README.md for the
mapping tables, what is dropped and why, and how a load is recognised.
"""
from pathlib import Path

from connectors.saqa_nlrd._inbound import NlrdInbound
from connectors.saqa_nlrd._layouts import LAYOUTS
from hub.sdk.registry import ConnectorSpec

CONNECTOR = ConnectorSpec(
    name="saqa-nlrd",
    description="SAQA NLRD load files 21/24/25+29 (fixed width) -> institutions, accreditations, "
                "credentials (streamed; persons joined on disk)",
    inbound=NlrdInbound,
    readme=Path(__file__).with_name("README.md"),
)

__all__ = ["CONNECTOR", "LAYOUTS", "NlrdInbound"]

"""Consent register inbound: a CSV or JSON / JSON Lines register of learner consents ->
ConsentRecorded / ConsentWithdrawn.

Public face: `CONNECTOR` (entry point `consent`) and `ConsentRegisterInbound`. The same
connector serves `nqf-hub ingest consent FILE` and `POST /ingest/consent` (`nqf-hub serve`).
"""
from pathlib import Path

from connectors.consent._inbound import COLUMNS, ConsentRegisterInbound
from hub.sdk.registry import ConnectorSpec

CONNECTOR = ConnectorSpec(
    name="consent",
    description="Consent register (CSV, JSON, JSON Lines) -> ConsentRecorded / ConsentWithdrawn",
    inbound=ConsentRegisterInbound,
    readme=Path(__file__).with_name("README.md"),
)

__all__ = ["COLUMNS", "CONNECTOR", "ConsentRegisterInbound"]

"""Declarative CSV connector: a reviewed mapping file (mappings/fields/*.yaml, checked against
`mapping.schema.json`) turns each row of an export into one canonical event.

Public face: `CsvInbound`, `load_mapping`, `CONNECTOR` (entry point `csv`). See README.md.
"""
from pathlib import Path

from connectors.csv_mapped._inbound import CsvInbound
from connectors.csv_mapped._loader import SCHEMA_FILE, Mapping, load_mapping
from hub.sdk.registry import ConnectorSpec

CONNECTOR = ConnectorSpec(
    name="csv",
    description="CSV exports without a standard, mapped by a reviewed YAML file in mappings/fields/",
    inbound=CsvInbound,
    readme=Path(__file__).with_name("README.md"),
)

__all__ = ["CONNECTOR", "CsvInbound", "Mapping", "SCHEMA_FILE", "load_mapping"]

"""`nqf-hub connectors`: what is installed in the entry-point group nqf_hub.connectors."""
from __future__ import annotations

import json

import click

from hub.sdk import registry


@click.command("connectors")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per connector per line.")
def cli(as_json):
    """List connectors with their roles (inbound, encoder, delivery).

    A connector that is installed but fails to import is listed with ok=false and the reason.
    """
    for row in registry.describe_all():
        if as_json:
            click.echo(json.dumps(row))
        else:
            mark = "" if row["ok"] else "  [BROKEN]"
            click.echo(f"{row['name']:<16} {','.join(row['roles']):<22} {row['description']}{mark}")

"""`nqf-hub topics ensure|list`."""
from __future__ import annotations

import click

from hub.cli import run_guarded
from hub.cli.common import emit, partner_ids, settings
from hub.runtime.topics import all_topics, ensure_topics


@click.group("topics")
def cli():
    """The hub's topics: <prefix>.ingress, .audit, .held, .recognition, .deadletter, .delivery
    and <prefix>.partner.<id> for each partner in the partner registry."""


@cli.command()
@click.option("--partners-dir", type=click.Path(file_okay=False), help="Partner registry (default: mappings/partners).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per topic per line.")
@run_guarded
def ensure(partners_dir, as_json):
    """Create the topics that do not exist yet (partitions from NQF_HUB_PARTITIONS) and set
    their retention, also on existing topics ('updated'): audit and release keep everything
    (retention.ms = retention.bytes = -1); ingress, held, partner.* and deadletter keep
    NQF_HUB_RETENTION_{INGRESS,HELD,PARTNER,DEADLETTER}_MS (defaults 7, 90, 14 and 30 days;
    -1 = forever)."""
    s = settings()
    result = ensure_topics(s, partner_ids(s, partners_dir))
    for t, state in result.items():
        emit({"topic": t, "state": state}, as_json, f"{state:<8} {t}")


@cli.command("list")
@click.option("--partners-dir", type=click.Path(file_okay=False))
@run_guarded
def list_(partners_dir):
    """Print the topic names the hub uses (no broker needed)."""
    s = settings()
    for t in all_topics(s, partner_ids(s, partners_dir)):
        click.echo(t)

"""`nqf-hub demo`."""
from __future__ import annotations

import json
import sys

import click

from hub.cli import run_guarded
from hub.cli.common import settings


@click.command("demo")
@click.option("--events", "n", default=200, show_default=True, help="Credentials to ingest.")
@click.option("--json", "as_json", is_flag=True,
              help='Last stdout line: {"ingested","delivered","held","blocked","dead_lettered","elapsed_s"}.')
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait for every event.")
@click.option("--keep-broker", is_flag=True, help="Leave the embedded broker running afterwards.")
@run_guarded
def cli(n, as_json, timeout, keep_broker):
    """Run the hub end to end on this machine and print what happened to every event.

    Starts (or reuses) the embedded broker, creates the topics under a fresh prefix, starts the
    privacy router, the recognition processor and the outbound worker as processes and a local
    partner receiver that verifies webhook signatures; ingests reference data (institutions,
    qualifications, accreditation), N Open Badges 3.0 credentials from several jurisdictions, a
    revocation and recognition requests across frameworks; waits until every credential is
    delivered, held, blocked or dead-lettered and every request has a signed decision; prints a
    summary and shuts everything down. Counting is per credential event (see README).

    \b
    Example:
      nqf-hub demo --events 1000 --json | tail -1
    """
    from hub.demo.runner import Demo

    say = (lambda m: click.echo(m, err=True)) if as_json else click.echo
    result = Demo(settings(), events=n, timeout_s=timeout, keep_broker=keep_broker, say=say).run()
    if as_json:
        click.echo(json.dumps(result))
    else:
        click.echo(f"\n{result['ingested']} ingested: {result['delivered']} delivered, "
                   f"{result['held']} held, {result['blocked']} blocked, "
                   f"{result['dead_lettered']} dead-lettered in {result['elapsed_s']}s")
    sys.exit(0)

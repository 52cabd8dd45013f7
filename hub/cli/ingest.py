"""`nqf-hub ingest CONNECTOR PATH...`: decode and produce to hub.ingress."""
from __future__ import annotations

import json
import sys

import click

from hub.cli import run_guarded
from hub.cli.common import settings
from hub.cli.convert import error_line, source_options


@click.command("ingest")
@click.argument("connector")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@source_options
@click.option("--json", "as_json", is_flag=True,
              help='Last stdout line is {"ingested", "rejected", "elapsed_s"}.')
@click.option("--quiet", is_flag=True, help="No progress and no per-record error lines.")
@run_guarded
def cli(connector, paths, authority, authority_type, jurisdiction, as_json, quiet):
    """Decode PATHS with CONNECTOR and produce canonical events to <prefix>.ingress.

    Rejected records go to <prefix>.deadletter with their original bytes and located error
    headers (stage, connector, file+line, error class, message; never the value) and are listed
    on stderr as JSON lines. Progress is shown on stderr. Both topics are acknowledged by Kafka
    before the command ends.

    \b
    Exit status: 0 everything ingested, 2 some records rejected (the rest ingested),
                 1 usage, configuration or broker error.
    """
    from hub.ingest.decoding import decode_sources, make_context, sources_for
    from hub.ingest.producer import Progress, produce_all
    from hub.sdk import registry

    s = settings()
    conn = registry.inbound(connector)
    ctx = make_context(conn, authority=authority, authority_type=authority_type, jurisdiction=jurisdiction)
    items = decode_sources(conn, sources_for(conn, list(paths)), ctx)
    summary = produce_all(s, items, connector=connector, progress=Progress(enabled=not quiet),
                          on_error=None if quiet else (lambda e: click.echo(error_line(e), err=True)))
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    else:
        click.echo(f"ingested {summary.ingested:,} event(s), rejected {summary.rejected:,} "
                   f"in {summary.elapsed_s:.2f}s into {s.topic('ingress')}")
    sys.exit(2 if summary.rejected else 0)

"""`nqf-hub convert CONNECTOR PATH...`: offline decode to canonical JSON lines."""
from __future__ import annotations

import json
import sys

import click

from hub.cli import run_guarded
from hub.errors import DecodeError
from hub.jsonview import dumps
from hub.sdk.inbound import AUTHORITY_TYPES


def source_options(f):
    f = click.option("--authority", help="Id of the supplying authority (default: the connector's).")(f)
    f = click.option("--authority-type", type=click.Choice(AUTHORITY_TYPES),
                     help="Legal nature of the authority (drives privacy rules).")(f)
    f = click.option("--jurisdiction", help="ISO 3166-1 alpha-2 of the source, e.g. ZA, DE, GB-SCT.")(f)
    return f


def error_line(e: DecodeError) -> str:
    return json.dumps({"error": e.reason, **e.location.as_dict()}, ensure_ascii=False)


@click.command("convert")
@click.argument("connector")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@source_options
@run_guarded
def cli(connector, paths, authority, authority_type, jurisdiction):
    """Decode PATHS with the inbound CONNECTOR and print canonical JSON, one event per line.

    Nothing is sent to Kafka. Every rejected record is one JSON line on stderr naming file,
    record/line and field with the reason (never the personal-data value). Directories expand to
    the files in them.

    \b
    Exit status: 0 all records converted, 2 some were rejected (good ones still printed),
                 1 usage or configuration error.
    \b
    Example:
      nqf-hub convert openbadges3 badge.json > events.jsonl
    """
    from hub.ingest.decoding import decode_sources, make_context, sources_for
    from hub.sdk import registry

    conn = registry.inbound(connector)
    ctx = make_context(conn, authority=authority, authority_type=authority_type, jurisdiction=jurisdiction)
    rejected = 0
    out = sys.stdout
    for item, _ in decode_sources(conn, sources_for(conn, list(paths)), ctx):
        if isinstance(item, DecodeError):
            rejected += 1
            click.echo(error_line(item), err=True)
        else:
            out.write(dumps(item.event) + "\n")
    out.flush()
    sys.exit(2 if rejected else 0)

"""`nqf-hub ingest CONNECTOR PATH... --authority ID`: decode and produce to hub.ingress."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from hub.cli import run_guarded
from hub.cli.common import settings
from hub.cli.convert import error_line
from hub.errors import ConfigError


def load_authority(s, authority: str | None, tokens_file: str | None, token_env: str | None, connector: str):
    """The authorities-file entry an ingest runs for (ConfigError with what to do otherwise)."""
    from hub.serve.tokens import TokenBook
    path = Path(tokens_file) if tokens_file else Path(s.home) / "tokens.yaml"
    if not authority:
        raise ConfigError("name the supplying authority: --authority ID, an entry of the authorities file "
                          f"({path.name}; add one with `nqf-hub serve --issue-token ID`)")
    book = TokenBook.load(path)
    entry = book.get(authority)
    if entry is None:
        known = ", ".join(a.id for a in book.authorities) or "none"
        raise ConfigError(f"authority {authority} is not an entry of {path.name} (entries: {known})")
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise ConfigError(f"--token-env {token_env}: the environment variable is not set")
        if book.authenticate(token) is not entry:
            raise ConfigError(f"the token in ${token_env} does not match authority {authority}")
    if not entry.may_use(connector):
        raise ConfigError(f"authority {authority} may not use connector {connector} "
                          f"(its `connectors` in {path.name}; canonical-json and consent are granted by name only)")
    return entry


@click.command("ingest")
@click.argument("connector")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--authority", metavar="ID",
              help="The supplying authority: an entry of the authorities file (required).")
@click.option("--tokens", "tokens_file", type=click.Path(dir_okay=False),
              help="Authorities file (default $NQF_HUB_HOME/tokens.yaml, the one `nqf-hub serve` uses).")
@click.option("--token-env", metavar="VAR",
              help="Also prove the authority's bearer token, read from environment variable VAR "
                   "(for jobs run by the authority itself; never pass a token on the command line).")
@click.option("--json", "as_json", is_flag=True,
              help='Last stdout line is {"ingested", "rejected", "elapsed_s"}.')
@click.option("--quiet", is_flag=True, help="No progress and no per-record error lines.")
@run_guarded
def cli(connector, paths, authority, tokens_file, token_env, as_json, quiet):
    """Decode PATHS with CONNECTOR for the authority ID and produce canonical events to
    <prefix>.ingress.

    The authority is an entry of the authorities file that `nqf-hub serve` uses: the same rules
    apply as to an HTTP push with that authority's token. Its entry sets header.source
    (authority, authority_type, jurisdiction) of every event; a record whose issuer jurisdiction
    is not the authority's (or one of its document_jurisdictions) is rejected, a consent only
    for learners of its own jurisdiction is accepted, and the connector must be granted to it
    (canonical-json and consent by name only). The operator running this command holds the
    Kafka credentials for the ingress topic and vouches for naming the right authority;
    --token-env additionally checks the authority's own token.

    Rejected records go to <prefix>.deadletter with their original bytes and located error
    headers (stage, connector, file+line, error class, message; never the value) and are listed
    on stderr as JSON lines. Progress is shown on stderr. Both topics are acknowledged by Kafka
    before the command ends.

    \b
    Example:
      nqf-hub ingest saqa-nlrd /exports/2026-11/ --authority za-saqa
    \b
    Exit status: 0 everything ingested, 2 some records rejected (the rest ingested),
                 1 usage, configuration or broker error.
    """
    from hub.ingest.decoding import decode_sources, make_context, sources_for
    from hub.ingest.producer import Progress, produce_all
    from hub.sdk import registry

    s = settings()
    conn = registry.inbound(connector)
    entry = load_authority(s, authority, tokens_file, token_env, connector)
    ctx = make_context(conn, authenticated=entry.source)
    items = decode_sources(conn, sources_for(conn, list(paths)), ctx)
    summary = produce_all(s, items, connector=connector, progress=Progress(enabled=not quiet), authority=entry.id,
                          on_error=None if quiet else (lambda e: click.echo(error_line(e), err=True)))
    if as_json:
        click.echo(json.dumps(summary.as_dict()))
    else:
        click.echo(f"ingested {summary.ingested:,} event(s), rejected {summary.rejected:,} "
                   f"in {summary.elapsed_s:.2f}s into {s.topic('ingress')} for authority {entry.id}")
    sys.exit(2 if summary.rejected else 0)

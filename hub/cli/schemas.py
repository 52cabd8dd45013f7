"""`nqf-hub schemas check|release|list`."""
from __future__ import annotations

import json
import sys

import click

from hub.cli import run_guarded
from hub.cli.common import settings


@click.group("schemas")
def cli():
    """Canonical Avro schemas in schemas/avro (released versions in schemas/avro/released)."""


@cli.command("list")
@click.option("--json", "as_json", is_flag=True)
@run_guarded
def list_(as_json):
    """Every event and hub record schema with its fingerprint and personal-data fields."""
    from hub.schemas import Catalog
    cat = Catalog(settings().schemas_dir)
    for name, e in sorted(cat.current.items()):
        row = {"name": name, "fingerprint": e.fingerprint.hex(),
               "released": [v.version for v in cat.released.get(name, [])],
               "personal_fields": [f"{c.path}:{c.category}" for c in e.categories]}
        click.echo(json.dumps(row) if as_json else
                   f"{name:<42} {row['fingerprint']}  released {','.join(row['released']) or '-'}  "
                   f"{len(row['personal_fields'])} personal-data field(s)")


@cli.command()
@run_guarded
def check():
    """Exit 1 if a current schema cannot read data of a released version (BACKWARD_TRANSITIVE)."""
    from hub.schemas import Catalog
    from hub.schemas_release import check as run_check
    problems = run_check(Catalog(settings().schemas_dir))
    for p in problems:
        click.echo(p, err=True)
    click.echo("compatible with every released version" if not problems else f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


@cli.command()
@run_guarded
def release():
    """Snapshot changed schemas as new released versions (after the compatibility check)."""
    from hub.schemas import Catalog
    from hub.schemas_release import release as run_release
    for p in run_release(Catalog(settings().schemas_dir)) or ["nothing changed since the last release"]:
        click.echo(p)

"""Helpers shared by CLI commands: settings, JSON output, partners."""
from __future__ import annotations

import json
import sys

import click

from hub.config import Settings, load_settings


def settings() -> Settings:
    return load_settings()


def emit(obj, as_json: bool, human: str | None = None) -> None:
    """Print one JSON object per line with --json, else the human text."""
    if as_json:
        click.echo(json.dumps(obj, default=str, ensure_ascii=False))
    else:
        click.echo(human if human is not None else json.dumps(obj, indent=2, default=str))


def partner_ids(s: Settings, partners_dir=None) -> list[str]:
    from hub.routing.policy import load_partners
    return sorted(load_partners(partners_dir or s.partners_path))


def fail(msg: str, code: int = 1):
    click.echo(f"error: {msg}", err=True)
    sys.exit(code)

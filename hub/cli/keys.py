"""`nqf-hub keys generate|export` and `nqf-hub verify FILE`.

Keys live under <home>/keys (NQF_HUB_HOME, default ~/.nqf-hub); private keys never leave that
directory: no command prints or exports them.
"""
from __future__ import annotations

import json
import sys

import click

from hub.cli import run_guarded


def _store():
    from hub.config import load_settings
    from hub.recognition.signing import KeyStore
    return KeyStore(load_settings().home)


@click.group("keys")
def keys_group():
    """Ed25519 signing keys for recognition decisions (private keys stay in <home>/keys)."""


@keys_group.command("generate")
@click.option("--no-activate", is_flag=True, help="Keep signing with the current active key.")
@run_guarded
def generate_cmd(no_activate):
    """Create a new key pair; prints its key id (never the private key)."""
    store = _store()
    kid = store.generate(activate=not no_activate)
    active = " (active)" if store.active_id() == kid else ""
    click.echo(f"generated Ed25519 key {kid}{active} in {store.dir}")


@keys_group.command("export")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to a file instead of stdout.")
@run_guarded
def export_cmd(out):
    """Print the public keys as a JWK Set (JSON) for partners to verify decisions."""
    store = _store()
    jwks = store.jwks()
    if not jwks["keys"]:
        click.echo(f"error: no keys in {store.dir}; run: nqf-hub keys generate", err=True)
        sys.exit(1)
    text = json.dumps(jwks, indent=2) + "\n"
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)
        click.echo(f"wrote {len(jwks['keys'])} public key(s) to {out}", err=True)
    else:
        click.echo(text, nl=False)


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--jwks", "jwks_path", type=click.Path(exists=True, dir_okay=False),
              help="JWK Set with the hub's public keys (default: the keys under <home>/keys).")
@run_guarded
def verify_cmd(file, jwks_path):
    """Verify the signature of a RecognitionDecided in canonical JSON.

    \b
    Exit status: 0 valid; 1 invalid, tampered, unsigned or unreadable (the reason is printed).
    """
    from hub.recognition.signing import Verification, verify_json

    if jwks_path:
        try:
            with open(jwks_path, encoding="utf-8") as f:
                jwks = json.load(f)
        except (ValueError, UnicodeDecodeError):
            click.echo(f"invalid: {jwks_path} is not a JSON key set", err=True)
            sys.exit(1)
    else:
        jwks = _store().jwks()
    try:
        with open(file, "rb") as f:
            data = f.read(16 * 1024 * 1024 + 1)
        obj = json.loads(data) if len(data) <= 16 * 1024 * 1024 else None
        res = verify_json(obj, jwks) if obj is not None else Verification(False, "file is too large")
    except (ValueError, UnicodeDecodeError):
        res = Verification(False, "not valid JSON")
    if res.valid:
        click.echo(f"valid: {res.reason} (key {res.key_id})")
        sys.exit(0)
    click.echo(f"invalid: {res.reason}", err=True)
    sys.exit(1)


COMMANDS = {"keys": keys_group, "verify": verify_cmd}

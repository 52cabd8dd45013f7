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
    """Ed25519 signing keys, one per purpose: `audit` keys sign the router's audit seals,
    `recognition` keys sign recognition decisions (private keys stay in <home>/keys).

    \b
    Rotation:   nqf-hub keys generate --purpose recognition   (the new key signs from now on)
                nqf-hub keys retire OLD_KEY_ID                 (stops signing; old signatures verify)
    Compromise: nqf-hub keys revoke KEY_ID                     (everything it signed fails verification)
                nqf-hub keys export --out jwks.json            (give partners the new state)
    """


@keys_group.command("generate")
@click.option("--purpose", type=click.Choice(["audit", "recognition"]),
              help="What the key signs (default: one new key for each purpose).")
@click.option("--no-activate", is_flag=True, help="Keep signing with the current key of the purpose.")
@run_guarded
def generate_cmd(purpose, no_activate):
    """Create a new key pair; prints its key id (never the private key)."""
    from hub.recognition.signing import PURPOSES
    store = _store()
    for p in ([purpose] if purpose else PURPOSES):
        kid = store.generate(p, activate=not no_activate)
        active = " (signs from now on)" if store.active_id(p) == kid else ""
        click.echo(f"generated Ed25519 {p} key {kid}{active} in {store.dir}")


@keys_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per key.")
@run_guarded
def list_cmd(as_json):
    """Every key with its purpose, status (active, retired, revoked) and whether it signs."""
    from hub.recognition.signing import PURPOSES
    store = _store()
    signing = {store.active_id(p): p for p in PURPOSES}
    for kid in store.key_ids():
        k = store.info(kid)
        row = {"key_id": kid, "purpose": k["nqfhub_purpose"] or "legacy (any)", "status": k["nqfhub_status"],
               "signs": signing.get(kid), "created_at": k.get("nqfhub_created_at"),
               "status_at": k.get("nqfhub_status_at")}
        click.echo(json.dumps(row) if as_json else
                   f"{kid}  {row['purpose']:<13} {row['status']:<8}" + (f"  signs {row['signs']}" if row["signs"] else ""))


@keys_group.command("retire")
@click.argument("key_id")
@run_guarded
def retire_cmd(key_id):
    """Stop KEY_ID signing (its private key is deleted); decisions and seals it signed still
    verify. Generate the successor of its purpose first."""
    _store().retire(key_id)
    click.echo(f"retired {key_id}: it no longer signs; export the key set for partners (keys export)")


@keys_group.command("revoke")
@click.argument("key_id")
@click.confirmation_option(prompt="Everything this key signed will fail verification. Revoke?",
                           help="Do not ask for confirmation.")
@run_guarded
def revoke_cmd(key_id):
    """Revoke KEY_ID (compromised or withdrawn): its private key is deleted and every decision
    or seal it signed fails verification from now on."""
    _store().revoke(key_id)
    click.echo(f"revoked {key_id}; export the key set for partners (keys export)")


@keys_group.command("export")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write to a file instead of stdout.")
@run_guarded
def export_cmd(out):
    """Print the public keys as a JWK Set (JSON) for partners to verify decisions and seals:
    every key with `nqfhub_purpose` (audit | recognition) and `nqfhub_status` (active |
    retired | revoked; a revoked key's signatures must be rejected)."""
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

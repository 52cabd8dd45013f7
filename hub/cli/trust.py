"""`nqf-hub trust show|verify|context-add|status-put`: the trust registry and signed credentials.

Everything offline: the registry is read from `trust_dir` (default mappings/trust), cached status
lists from `status_cache_dir` (default <home>/status-lists); nothing is fetched.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from hub.cli import run_guarded


def _settings():
    from hub.config import load_settings
    return load_settings()


@click.group("trust")
def trust_group():
    """Trust registry (issuers each authority vouches for, their keys), JSON-LD contexts held
    locally, cached status lists, and offline checks of signed credentials.

    \b
    Examples:
      nqf-hub trust show
      nqf-hub trust verify badge.json transcript.jwt elmo.xml
      nqf-hub trust status-put https://issuer.example/status/1 downloaded-list.json
      nqf-hub trust context-add https://www.w3.org/ns/credentials/v2 reviewed-v2.jsonld
    """


@trust_group.command("show")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
@run_guarded
def show_cmd(as_json):
    """Load and validate the registry (every problem listed, exit 1) and summarise it."""
    from hub.verify import build_verifier
    s = _settings()
    v = build_verifier(s)
    reg = v.registry
    summary = {
        "trust_dir": str(s.trust_path), "status_cache_dir": str(s.status_cache_path),
        "authorities": {aid: {**a, "issuers": sorted(i.id for i in reg.issuers.values() if i.authority == aid)}
                        for aid, a in reg.authorities.items()},
        "certificates": len(reg.certificates), "contexts": sorted(v.contexts.documents),
        "cached_status_lists": len(list(s.status_cache_path.glob("*.json"))) if s.status_cache_path.is_dir() else 0,
    }
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(f"trust registry {summary['trust_dir']}: {len(reg.authorities)} authorit(y/ies), "
               f"{len(reg.issuers)} issuer(s), {summary['certificates']} pinned certificate(s)")
    for aid, a in summary["authorities"].items():
        click.echo(f"  {aid} ({a['jurisdiction']}): {', '.join(a['issuers'])}")
    click.echo(f"contexts held: {len(summary['contexts'])}; cached status lists: "
               f"{summary['cached_status_lists']} in {summary['status_cache_dir']}")
    if not reg.issuers:
        click.echo("no issuer is vouched for: every credential will be 'unverified'")


def _check_file(path: Path, verifier) -> dict:
    from hub.errors import DecodeError, SignatureInvalid
    from hub.sdk.limits import DEFAULT_LIMITS
    data = path.read_bytes()
    if len(data) > DEFAULT_LIMITS.max_document_bytes:
        return {"file": str(path), "status": "error", "reason": "file is larger than the document limit"}
    try:
        stripped = data.lstrip()
        if stripped.startswith(b"<"):
            from hub.sdk.xml import parse_document
            from hub.verify.xmldsig import check_elmo
            outcome = check_elmo(parse_document(data, DEFAULT_LIMITS, file=str(path)), verifier)
        else:
            value = stripped.decode("ascii").strip() if stripped.startswith(b"eyJ") else json.loads(data)
            outcome = verifier.check_json(value).outcome
    except SignatureInvalid as e:
        return {"file": str(path), "status": "signature-invalid", "reason": e.reason,
                "field": e.location.field}
    except DecodeError as e:
        return {"file": str(path), "status": "error", "reason": e.reason, "field": e.location.field}
    except (ValueError, UnicodeDecodeError) as e:
        return {"file": str(path), "status": "error", "reason": f"not JSON, a compact JWS or XML ({e.__class__.__name__})"}
    return {"file": str(path), **outcome.header()}


@trust_group.command("verify")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@run_guarded
def verify_cmd(files):
    """Check signed credentials offline (JSON with a proof, JWS JSON / JAdES, compact VC-JWT, ELMO
    XML-DSig): one JSON line per file. Exit 0 when every file is verified, 2 otherwise."""
    from hub.verify import build_verifier
    verifier = build_verifier(_settings())
    all_ok = True
    for p in files:
        row = _check_file(p, verifier)
        all_ok &= row["status"] == "verified"
        click.echo(json.dumps(row))
    sys.exit(0 if all_ok else 2)


@trust_group.command("context-add")
@click.argument("url")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@run_guarded
def context_add_cmd(url, file):
    """Hold a reviewed JSON-LD context locally (pinned by SHA-256) for RDF-canonicalised proofs."""
    from hub.verify.contexts import ContextStore
    store = ContextStore(directory=_settings().trust_path / "contexts")
    digest = store.add(url, file.read_bytes())
    click.echo(f"holding {url} (sha256 {digest}) in {store.directory}")


@trust_group.command("status-put")
@click.argument("url")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@run_guarded
def status_put_cmd(url, file):
    """Put a downloaded status list (Bitstring Status List credential or 1EdTech revocation list)
    in the status cache under the URL credentials name it by."""
    from hub.verify.status import StatusCache
    cache = StatusCache(_settings().status_cache_path)
    try:
        p = cache.put(url, file.read_bytes())
    except ValueError as e:
        click.echo(f"error: {file}: {e}", err=True)
        sys.exit(1)
    click.echo(f"cached {url} as {p}")


COMMANDS = {"trust": trust_group}

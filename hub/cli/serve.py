"""`nqf-hub serve`: HTTP ingest for authorities, the status page and /metrics."""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import click

from hub.cli import run_guarded
from hub.cli.common import settings


def _size(text: str) -> int:
    units = {"k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}
    t = text.strip().lower().removesuffix("ib").removesuffix("b")
    try:
        return int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)
    except (ValueError, KeyError):
        raise click.BadParameter("a size like 32MiB, 512k or 1048576") from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the ingest endpoint.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port of the ingest endpoint.")
@click.option("--status-host", default="127.0.0.1", show_default=True,
              help="Address of the status page and /metrics (keep it on an operator network).")
@click.option("--status-port", default=8081, show_default=True, type=int,
              help="Port of the status page and /metrics (never the ingest port).")
@click.option("--tokens", "tokens_file", type=click.Path(dir_okay=False),
              help="Authorities and token hashes (default $NQF_HUB_HOME/tokens.yaml if present; "
                   "without one, ingest is disabled and only the status page runs).")
@click.option("--max-body", default="32MiB", show_default=True, help="Largest document accepted.")
@click.option("--since", help="Status page: read topics from this time (ISO or 24h / 7d) instead of the beginning.")
@click.option("--issue-token", metavar="AUTHORITY_ID",
              help="Print a new token for AUTHORITY_ID and the tokens.yaml entry (hash only), then exit.")
@click.option("--connector", "grant", multiple=True,
              help="With --issue-token: a connector the authority may use (repeat; '*' = all but "
                   "canonical-json and consent).")
@click.option("--jurisdiction", help="With --issue-token: the authority's jurisdiction (e.g. ZA, GB-SCT).")
@click.option("--authority-type", type=click.Choice(["public_authority", "public_body", "private"]),
              help="With --issue-token: the authority's legal nature.")
@click.option("--log-level", default="info", show_default=True)
@run_guarded
def cli(host, port, status_host, status_port, tokens_file, max_body, since, issue_token, grant, jurisdiction,
        authority_type, log_level):
    """Serve POST /ingest/<connector> for authorities on --port, and the read-only status page
    (/status, /status.json) and Prometheus /metrics on --status-port.

    An authority sends one document per request with its bearer token:

    \b
      curl -H "Authorization: Bearer $TOKEN" --data-binary @export.json \\
           "http://127.0.0.1:8080/ingest/openbadges3?name=export.json"
      -> {"accepted": 120, "rejected": 2, "errors": [{"file": "export.json", "record": 7, ...}]}

    Tokens are stored only as SHA-256 hashes; each authority has its own rate limit
    (rate_per_minute, burst) and names the connectors it may use. The ingest port serves
    only /ingest and /healthz, so it can face the authorities (behind your TLS proxy). The
    status page and /metrics listen on their own address (default 127.0.0.1:8081): show
    them to operators and Prometheus only. CSV uploads name a reviewed mapping:
    /ingest/csv?mapping=in-nad-award-upload&name=awards.csv

    \b
    \b
    New token:   nqf-hub serve --issue-token za-saqa --connector saqa-nlrd --jurisdiction ZA \\
                   --authority-type public_authority >> ~/.nqf-hub/tokens.yaml  (see the output)
    """
    if issue_token:
        from hub.serve.tokens import issue_token as new
        token, digest = new()
        click.echo(f"# token for {issue_token} (give it to the authority; it is not stored anywhere):", err=True)
        click.echo(f"#   {token}", err=True)
        entry = {"id": issue_token, "token_sha256": digest,
                 "connectors": list(grant) or ["<connector>"], "jurisdiction": jurisdiction or "<ISO 3166 code>",
                 "authority_type": authority_type or "<public_authority|public_body|private>"}
        click.echo("  - " + json.dumps(entry))
        click.echo("# add the line above under `authorities:` in the tokens file (YAML accepts JSON objects)"
                   + ("" if grant and jurisdiction and authority_type else
                      "; replace every <placeholder> first (the file is refused until you do)"), err=True)
        return
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from hub.observability import broker_metrics
    from hub.observability.flows import FlowTracker
    from hub.observability.metrics import StageMetrics, register_worker
    from hub.serve.app import make_app, make_status_app
    from hub.serve.tokens import TokenBook

    if status_port == port:
        raise click.BadParameter("the status page and /metrics need their own port", param_hint="--status-port")
    s = settings()
    path = Path(tokens_file) if tokens_file else Path(s.home) / "tokens.yaml"
    book = TokenBook.load(path) if (tokens_file or path.exists()) else None
    if book is None:
        click.echo(f"no tokens file ({path}): POST /ingest is disabled; the status page runs", err=True)
    from hub.cli.ops import _serde, _since_ms
    tracker = FlowTracker(s, _serde(s), since_ms=_since_ms(since))
    tracker.start()
    StageMetrics("serve", settings=s)
    broker_metrics.register(s)
    worker = register_worker(s, "serve", status_port)   # where its /metrics are
    app = make_app(s, tokens=book, tracker=tracker, max_body=_size(max_body))
    status_app = make_status_app(s, tracker=tracker)
    click.echo(f"ingest on http://{host}:{port}/ingest/<connector>"
               + (f" for {len(book.authorities)} authorities" if book else " (disabled: no tokens file)")
               + f"; status page and metrics on http://{status_host}:{status_port}/status, /metrics", err=True)
    try:
        asyncio.run(_serve([(app, host, port), (status_app, status_host, status_port)]))
    except KeyboardInterrupt:
        pass
    finally:
        tracker.stop()
        if worker is not None:
            worker.unlink(missing_ok=True)


async def _serve(apps) -> None:
    """Run every (app, host, port) until SIGTERM / SIGINT, then shut each down cleanly."""
    import signal

    from aiohttp import web

    from hub.serve.app import AccessLogger
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runners = []
    try:
        for app, host, port in apps:
            runner = web.AppRunner(app, access_log_class=AccessLogger)
            await runner.setup()
            runners.append(runner)
            await web.TCPSite(runner, host, port).start()
        await stop.wait()
    finally:
        for runner in reversed(runners):
            await runner.cleanup()

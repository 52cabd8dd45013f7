"""`nqf-hub router` and `nqf-hub deliver`: the long-running workers."""
from __future__ import annotations

import logging

import click

from hub.cli import run_guarded
from hub.cli.common import settings


def _logging(level: str):
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@click.command("router")
@click.option("--partners-dir", type=click.Path(file_okay=False), help="Partner registry directory.")
@click.option("--batch", default=1000, show_default=True, help="Records per processing batch.")
@click.option("--metrics-port", type=int, help="Expose Prometheus metrics on this port.")
@click.option("--log-level", default="warning", show_default=True)
@click.option("--hold-ttl", default="30d", show_default=True,
              help="How long a held record waits for consent before it expires (e.g. 30d, 12h, 90s).")
@click.option("--sweep-interval", type=float, help="Seconds between expiry sweeps (default: TTL/4, 0.5-60).")
@click.option("--recipients-ttl", default="1825d", show_default=True,
              help="Forget who received a credential this long after its last delivery (revocations "
                   "later than that reach no partner).")
@click.option("--closed-holds-ttl", default="60d", show_default=True,
              help="Remember a closed hold this long (repeated release requests are ignored meanwhile); "
                   "keep it above --hold-ttl plus the release topics' retention.")
@click.option("--consent-join-ttl", default="400d", show_default=True,
              help="Forget a learner's consents untouched this long (entries with waiting holds stay).")
@click.option("--retention-interval", type=float,
              help="Seconds between table retention sweeps (default: the shortest TTL/4, 0.5 s-1 h).")
@run_guarded
def router(partners_dir, batch, metrics_port, log_level, hold_ttl, sweep_interval, recipients_ttl,
           closed_holds_ttl, consent_join_ttl, retention_interval):
    """Run the privacy router: <prefix>.ingress -> partner topics, held, audit, dead letters.

    Runs until stopped (SIGTERM/Ctrl-C). Exits non-zero if a record can be neither routed nor
    dead-lettered; the uncommitted records are re-read on restart.
    """
    _logging(log_level)
    from hub.routing.app import make_app, run_worker
    metrics = _metrics("router", metrics_port)
    from hub.routing.consent import parse_duration
    from hub.routing.retention import TableRetention
    retention = TableRetention(recipients=parse_duration(recipients_ttl),
                               closed_holds=parse_duration(closed_holds_ttl),
                               consent_joins=parse_duration(consent_join_ttl))
    app = make_app(settings(), partners_dir=partners_dir, batch=batch, metrics=metrics,
                   hold_ttl=parse_duration(hold_ttl), sweep_interval=sweep_interval,
                   retention=retention, retention_interval=retention_interval)
    run_worker(app, loglevel=log_level)


@click.command("deliver")
@click.option("--partners-dir", type=click.Path(file_okay=False), help="Partner registry directory.")
@click.option("--metrics-port", type=int, help="Expose Prometheus metrics on this port.")
@click.option("--log-level", default="warning", show_default=True)
@run_guarded
def deliver(partners_dir, metrics_port, log_level):
    """Run the outbound worker: partner topics -> webhook / file deliveries + receipts.

    Retries with exponential backoff per partner (delivery.max_attempts, delivery.backoff_s),
    then dead-letters. Stops cleanly on SIGTERM after finishing the current batch.
    """
    _logging(log_level)
    from hub.delivery.worker import build_worker
    build_worker(settings(), partners_dir=partners_dir, metrics=_metrics("delivery", metrics_port)).run()


def _metrics(stage: str, port):
    if not port:
        return None
    try:
        from hub.observability.metrics import StageMetrics
    except ImportError:
        return None
    return StageMetrics.serve(stage, port)


COMMANDS = {"router": router, "deliver": deliver}

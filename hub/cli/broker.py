"""`nqf-hub broker start|stop|status`: the embedded, memory-only broker."""
from __future__ import annotations

import click

from hub.cli import run_guarded
from hub.cli.common import emit, settings
from hub.runtime import broker


@click.group("broker")
def cli():
    """The embedded Kafka-compatible broker (Tansu, memory only) for demo, development, tests.

    Its address is recorded in $NQF_HUB_HOME/broker.json and every command finds it there.
    With NQF_HUB_BOOTSTRAP set, the hub talks to that Kafka instead and these commands refuse.
    """


@cli.command()
@click.option("--port", type=int, help="Listen on this loopback port (default: a free one).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@run_guarded
def start(port, as_json):
    """Start the broker in the background (or reuse the running one) and wait until it answers."""
    st, started = broker.start(settings(), port=port)
    emit({"started": started, "pid": st.pid, "bootstrap": st.bootstrap}, as_json,
         f"broker {'started' if started else 'already running'} at {st.bootstrap} (pid {st.pid})")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@run_guarded
def stop(as_json):
    """Stop the embedded broker. All its data (memory only) is gone afterwards."""
    stopped = broker.stop(settings())
    emit({"stopped": stopped}, as_json, "broker stopped" if stopped else "no embedded broker was running")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@run_guarded
def status(as_json):
    """Is the broker running and answering? Exit 0 when reachable, 3 when not."""
    st = broker.status(settings())
    if as_json:
        emit(st, True)
    elif st.get("mode") == "external":
        click.echo(f"external Kafka at {st['bootstrap']}: {'reachable' if st['reachable'] else 'NOT reachable'}")
    elif st.get("running"):
        click.echo(f"embedded broker at {st['bootstrap']} (pid {st['pid']}, up {st['uptime_s']}s), "
                   f"{'answering' if st['reachable'] else 'NOT answering'}; log: {st['log']}")
    else:
        click.echo("embedded broker is not running (start it with `nqf-hub broker start`)")
    raise SystemExit(0 if st.get("reachable") else 3)

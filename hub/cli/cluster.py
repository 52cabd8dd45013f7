"""`nqf-hub cluster start|stop|status|env|acls`: a local 3-node Apache Kafka cluster (KRaft, SASL_SSL)."""
from __future__ import annotations

import signal

import click

from hub.cli import run_guarded
from hub.cli.common import emit, settings
from hub.runtime import kafka_cluster as kc
from hub.runtime.kafka_acls import service_acls

NODE_CHOICE = click.Choice([str(n) for n in kc.NODES])


@click.group("cluster")
def cli():
    """A local Apache Kafka cluster for tests, CI and benchmarks (not for production).

    \b
    Three combined broker+controller nodes (KRaft) on 127.0.0.1, replication 3,
    min.insync.replicas 2, SASL_SSL listeners with SCRAM-SHA-512/256, a throwaway CA, one SCRAM
    user per hub service (admin, router, ingest, delivery, recognition, operator) and ACLs per
    service (`nqf-hub cluster acls`). Kafka's jars are fetched once with Maven (Java 17 + mvn).
    State, certificates and passwords: $NQF_HUB_HOME/kafka-cluster/ (files mode 0600).

    \b
      nqf-hub cluster start                 start (or resume) all three nodes
      eval "$(nqf-hub cluster env --user router)"   settings for a client as `router`
      nqf-hub cluster stop [--node 2] [--kill] [--wipe]
    """


def _print_env(state: dict, user: str) -> None:
    for k, v in kc.client_settings(state, user).items():
        click.echo(f"export {k}={v}")


@cli.command()
@click.option("--node", "nodes", multiple=True, type=NODE_CHOICE,
              help="Start only this node (repeatable); default: every node that is down.")
@click.option("--timeout", default=180.0, show_default=True, help="Seconds to wait for the cluster.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@run_guarded
def start(nodes, timeout, as_json):
    """Start the cluster (fetch, certificates, users, format on first use) and wait until all
    three brokers serve clients; then print the bootstrap and the admin client's settings."""
    log = (lambda m: click.echo(m, err=True))
    st = kc.start(settings(), nodes=tuple(int(n) for n in nodes) or kc.NODES, timeout=timeout, log=log)
    if as_json:
        emit({"bootstrap": st["bootstrap"], "started_nodes": st["started"], "dir": st["dir"],
              "env": kc.client_settings(st, kc.ADMIN)}, True)
        return
    click.echo(f"Kafka {st['version']} cluster at {st['bootstrap']} "
               f"(started nodes: {st['started'] or 'none, all were running'})")
    click.echo(f"# client settings as admin (other users: {', '.join(kc.USERS[1:])}; "
               f"nqf-hub cluster env --user NAME):")
    _print_env(st, kc.ADMIN)


@cli.command()
@click.option("--node", "nodes", multiple=True, type=NODE_CHOICE, help="Stop only this node (repeatable).")
@click.option("--kill", is_flag=True, help="SIGKILL (a crash) instead of a controlled shutdown.")
@click.option("--wipe", is_flag=True, help="Also delete data, certificates and users.")
@click.option("--json", "as_json", is_flag=True)
@run_guarded
def stop(nodes, kill, wipe, as_json):
    """Stop nodes (all by default); data is kept for the next `start` unless --wipe."""
    stopped = kc.stop(settings(), nodes=tuple(int(n) for n in nodes) or kc.NODES,
                      sig=signal.SIGKILL if kill else signal.SIGTERM, wipe=wipe)
    emit({"stopped_nodes": stopped, "wiped": wipe}, as_json,
         f"stopped nodes: {', '.join(map(str, stopped)) or 'none were running'}"
         + ("; data wiped" if wipe else ""))


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@run_guarded
def status(as_json):
    """Nodes, pids and whether the cluster answers. Exit 0 when all nodes run and answer, 3 otherwise."""
    st = kc.status(settings())
    if as_json:
        emit(st, True)
    elif not st["nodes"]:
        click.echo("no local Kafka cluster (start one with `nqf-hub cluster start`)")
    else:
        for n, v in st["nodes"].items():
            click.echo(f"node {n}: 127.0.0.1:{v['port']} {'running (pid %s)' % v['pid'] if v['running'] else 'down'}")
        click.echo(f"bootstrap {st['bootstrap']}: "
                   f"{'%d brokers answer' % st['brokers'] if st['reachable'] else 'NOT answering'}")
    raise SystemExit(0 if st["running"] and st["reachable"] else 3)


@cli.command()
@click.option("--user", default=kc.ADMIN, show_default=True, type=click.Choice(list(kc.USERS)))
@run_guarded
def env(user):
    """Print `export NQF_HUB_...` lines for a client connecting as USER (password by file)."""
    st = kc.read_state(settings())
    if not st:
        raise click.ClickException("no local Kafka cluster; run `nqf-hub cluster start` first")
    _print_env(st, user)


@cli.command()
@click.option("--kafka-acls", "as_commands", is_flag=True,
              help="Print kafka-acls.sh argument lines (for a production cluster) instead of a table.")
@run_guarded
def acls(as_commands):
    """The per-service ACLs (topic prefix from settings) the local cluster applies."""
    for a in service_acls(settings()):
        if as_commands:
            click.echo(f"kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config admin.properties "
                       f"{a.kafka_acls_args()}")
        else:
            click.echo(f"User:{a.principal:<12} {a.operation:<9} {a.resource:<6} {a.name} ({a.pattern})")

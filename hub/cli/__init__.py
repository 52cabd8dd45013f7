"""`nqf-hub` command line. Each command lives in its own module `hub.cli.<module>` exposing `cli`.

Commands load lazily so that `nqf-hub --help` is fast and a command's heavy imports (faust,
confluent-kafka) are paid only by that command. Hub errors print one clear line on stderr and
exit 1; no traceback for bad input or configuration.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from hub.errors import ConfigError, HubError

# command name -> (module, one-line help shown in `nqf-hub --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("hub.cli.demo", "Run the whole hub end to end on the embedded broker and summarise."),
    "broker": ("hub.cli.broker", "Start, stop or inspect the embedded Kafka-compatible broker."),
    "cluster": ("hub.cli.cluster", "Start or stop a local 3-node Apache Kafka cluster (SASL_SSL, ACLs) for tests."),
    "topics": ("hub.cli.topics", "Create the hub's topics (prefix from settings)."),
    "connectors": ("hub.cli.connectors", "List installed connectors and their roles."),
    "convert": ("hub.cli.convert", "Decode files with an inbound connector to canonical JSON (no Kafka)."),
    "ingest": ("hub.cli.ingest", "Decode files and produce the events to hub.ingress."),
    "policy": ("hub.cli.policy", "Explain and lint privacy routing rules."),
    "router": ("hub.cli.workers", "Run the privacy router (faust worker)."),
    "deliver": ("hub.cli.workers", "Run the outbound delivery worker for partners."),
    "levels": ("hub.cli.levels", "Compare levels across qualification frameworks."),
    "recognise": ("hub.cli.recognise", "Decide recognition offline over canonical JSON events."),
    "recognition": ("hub.cli.recognise", "Run the recognition processor (faust worker)."),
    "keys": ("hub.cli.keys", "Generate and export signing keys (JWKS)."),
    "verify": ("hub.cli.keys", "Verify a signed recognition decision."),
    "trust": ("hub.cli.trust", "Trust registry, cached status lists, offline checks of signed credentials."),
    "audit": ("hub.cli.audit", "Verify the audit chain and trace decisions."),
    "privacy": ("hub.cli.privacy", "Records of processing per partner from the audit chain (JSON, CSV)."),
    "status": ("hub.cli.ops", "Topics, consumer lag, dead letters, held records, workers."),
    "tail": ("hub.cli.ops", "Read a topic, decoded, with personal data masked."),
    "dlq": ("hub.cli.ops", "List, show and replay dead letters."),
    "held": ("hub.cli.ops", "List, release and expire held records."),
    "trace": ("hub.cli.ops", "Every stage one event passed."),
    "serve": ("hub.cli.serve", "HTTP ingest endpoint and status page."),
    "schemas": ("hub.cli.schemas", "Check and release canonical Avro schemas."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(n for n, (m, _) in COMMANDS.items() if importlib.util.find_spec(m) is not None)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, _ = COMMANDS[name]
        if importlib.util.find_spec(module) is None:
            return None
        mod = importlib.import_module(module)
        cmd = getattr(mod, "COMMANDS", {}).get(name) or getattr(mod, "cli", None)
        return cmd

    def format_commands(self, ctx, formatter):
        rows = [(n, COMMANDS[n][1]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="nqf-hub")
def main_group():
    """nqf-hub: canonical Avro events on Kafka between qualification frameworks.

    \b
    Quick start on one machine (embedded broker, no Docker):
      nqf-hub demo                      run everything end to end and print a summary
      nqf-hub convert openbadges3 FILE  decode a document offline to canonical JSON
      nqf-hub broker start              start the embedded broker for ingest/router/...

    Settings come from NQF_HUB_* environment variables or $NQF_HUB_HOME/config.yaml;
    set NQF_HUB_BOOTSTRAP=host:port to use an external Kafka cluster.
    """


def main(argv=None):
    try:
        return main_group.main(args=argv, prog_name="nqf-hub", standalone_mode=True)
    except HubError as e:  # raised outside click's own handling
        click.echo(f"error: {e}", err=True)
        sys.exit(1)


def run_guarded(fn):
    """Decorator for command bodies: HubError -> one line on stderr, exit 1 (config) or 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except ConfigError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
        except HubError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)
    return wrapper


cli = main_group

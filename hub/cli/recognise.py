"""Recognition commands.

`nqf-hub recognise --events EVENTS.jsonl --request REQUEST.json` runs the same decision logic as
the recognition processor, offline, over canonical JSON events (for tests and for explaining a
decision). `nqf-hub recognition` runs the recognition processor (faust worker) over hub.ingress.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from hub.cli import run_guarded
from hub.errors import ConfigError, DecodeError
from hub.sdk.limits import DEFAULT_LIMITS, check_json_limits


def read_events(path: Path, limits=DEFAULT_LIMITS):
    """Yield (line number, event dict | DecodeError) for a JSON Lines file of canonical events."""
    from hub.jsonview import event_from_json

    with open(path, "rb") as f:
        for n, raw in enumerate(iter(lambda: f.readline(limits.max_line_bytes + 1), b""), start=1):
            if len(raw) > limits.max_line_bytes and not raw.endswith(b"\n"):
                yield n, DecodeError(f"line longer than {limits.max_line_bytes} bytes", file=str(path), line=n)
                while raw and not raw.endswith(b"\n"):          # skip the rest of the long line
                    raw = f.readline(limits.max_line_bytes + 1)
                continue
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
                check_json_limits(obj, limits, file=str(path))
                yield n, event_from_json(obj)
            except (ValueError, UnicodeDecodeError):
                yield n, DecodeError("not valid JSON", file=str(path), line=n)
            except DecodeError as e:
                yield n, e.located(file=str(path), line=n)


def read_request(path: Path) -> dict:
    from hub.jsonview import event_from_json
    from hub.sdk.limits import load_json_document, read_bounded

    with open(path, "rb") as f:
        try:
            obj = load_json_document(read_bounded(f, DEFAULT_LIMITS.max_document_bytes, file=str(path)),
                                     DEFAULT_LIMITS, file=str(path))
        except DecodeError as e:
            raise ConfigError(f"{path}: {e.reason}") from None
    if isinstance(obj, list) and len(obj) == 1:
        obj = obj[0]
    try:
        ev = event_from_json(obj) if isinstance(obj, dict) else None
    except DecodeError as e:
        raise ConfigError(f"{path}: {e.location.field}: {e.reason}") from None
    if ev is None or ev["header"]["event_type"] != "RecognitionRequested":
        raise ConfigError(f"{path}: must hold one RecognitionRequested event in canonical JSON")
    return ev


def _print_decision(d: dict) -> None:
    click.echo(f"Decision {d['decision_id']} for request {d['request_id']} (credential {d['credential_id']})")
    click.echo(f"  outcome:          {d['outcome']}")
    click.echo(f"  target framework: {d['target_framework'] or '-'}")
    levels = ", ".join(f"{x['framework']} {x['code']}" for x in d["comparable_levels"])
    click.echo(f"  comparable:       {levels or '-'}")
    click.echo(f"  path:             {' -> '.join(d['path']) or '-'}")
    if d.get("qualification"):
        q = d["qualification"]
        click.echo(f"  qualification:    {q['id']}" + (f" ({q['title']})" if q.get("title") else ""))
    click.echo("  reasons:")
    for r in d["reasons"]:
        click.echo(f"    - {r['code']}: {r['message']}")
    if d.get("signature"):
        click.echo(f"  signed:           {d['signature']['alg']} key {d['signature']['key_id']}")


@click.command("recognise")
@click.option("--events", "events_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="Canonical JSON events, one per line (credentials, qualifications, accreditation, …).")
@click.option("--request", "request_path", required=True, type=click.Path(exists=True, dir_okay=False),
              help="One RecognitionRequested event in canonical JSON.")
@click.option("--json", "as_json", is_flag=True, help="Print the RecognitionDecided event as canonical JSON.")
@click.option("--as-of", "as_of", metavar="TIMESTAMP",
              help="Decision time (ISO-8601). Default: the request's occurred_at, so re-runs agree.")
@click.option("--sign", "do_sign", is_flag=True, help="Sign with the active key under <home>/keys.")
@click.option("--levels-dir", type=click.Path(file_okay=False), help="Level files (default: mappings/levels).")
@run_guarded
def recognise_cmd(events_path, request_path, as_json, as_of, do_sign, levels_dir):
    """Decide one recognition request offline over canonical JSON events.

    Same logic as the recognition processor: the credential, its qualification, the issuer's
    accreditation on the award date, revocations and the level comparison into the target
    framework. Rejected event lines are reported on stderr as JSON (line, field, reason).

    \b
    Exit status: 0 decided, 2 decided but some event lines were rejected,
                 1 bad request file or configuration.
    \b
    Example:
      nqf-hub recognise --events tests/data/recognition/events.jsonl \\
          --request tests/data/recognition/requests/ie-hons-to-germany.json
    """
    from hub.jsonview import dumps, parse_ts
    from hub.levels import load_levels
    from hub.recognition import RecognitionState, decide

    request = read_request(Path(request_path))
    state = RecognitionState()
    rejected = 0
    for n, item in read_events(Path(events_path)):
        if isinstance(item, DecodeError):
            rejected += 1
            click.echo(json.dumps({"error": item.reason, **item.location.as_dict()}), err=True)
        else:
            state.apply(item)
    if as_of:
        try:
            now = parse_ts(as_of)
        except ValueError:
            raise click.BadParameter("not an ISO-8601 timestamp", param_hint="--as-of") from None
    else:
        now = request["header"]["occurred_at"]
    decision = decide(request, state, load_levels(levels_dir), now)
    if do_sign:
        from hub.config import load_settings
        from hub.recognition.signing import KeyStore, sign
        decision = sign(decision, KeyStore(load_settings().home).signing_key(purpose="recognition"))
    if as_json:
        sys.stdout.write(dumps(decision) + "\n")
    else:
        _print_decision(decision)
    sys.exit(2 if rejected else 0)


@click.command("recognition")
@click.option("--wait-s", type=float, metavar="SECONDS",
              help="How long a request waits for its credential before it is decided "
                   "CANNOT_DETERMINE (default: 30 on the embedded broker, 600 on Kafka).")
@click.option("--batch", default=500, show_default=True, help="Records per processing batch.")
@click.option("--metrics-port", type=int, help="Expose Prometheus metrics on this port.")
@click.option("--log-level", default="warning", show_default=True)
@run_guarded
def recognition_worker(wait_s, batch, metrics_port, log_level):
    """Run the recognition processor: <prefix>.ingress -> signed decisions on <prefix>.recognition.

    Keeps qualifications, institutions and accreditation history (global tables) and issued
    credentials, revocations and waiting requests (partitioned like hub.ingress). A request is
    decided as soon as its credential is known; one that arrives first waits up to --wait-s.
    Decisions are signed with the active key in <home>/keys (refuses to start without one: run
    `nqf-hub keys generate`). Runs until stopped; exits 70 if a record can be neither decided
    nor dead-lettered (the uncommitted records are re-read on restart).
    """
    if wait_s is not None and wait_s < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--wait-s")
    from hub.cli.common import settings
    from hub.cli.workers import _logging, _metrics
    from hub.recognition.app import make_app, run_worker
    from hub.recognition.signing import KeyStore

    _logging(log_level)
    s = settings()
    KeyStore(s.home).signing_key(purpose="recognition")   # no key: a clear ConfigError before anything starts
    app = make_app(s, wait_s=wait_s, batch=batch, metrics=_metrics("recognition", metrics_port))
    run_worker(app, loglevel=log_level)


COMMANDS = {"recognise": recognise_cmd, "recognition": recognition_worker}

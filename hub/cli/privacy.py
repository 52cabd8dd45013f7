"""`nqf-hub privacy report`: records of processing from the audit chain.

    nqf-hub privacy report [--format json|csv] [--output FILE] [--since DATE] [--until DATE]
                           [--topic T | --records FILE.jsonl] [--save-records FILE.jsonl]

Reads every AuditRecord of <prefix>.audit (like `nqf-hub audit verify`: a direct-assignment
reader that never joins a consumer group), or a JSON Lines file of audit records for offline
use, and writes per partner: purposes, categories sent and removed, legal bases, regimes,
instruments relied on, consents counted, decisions per action, first and last decision. Audit
records hold ids and categories only, so the report holds no personal data. Exit 0; 1 on a
configuration problem; 2 when the records file has unreadable lines (reported by line number).
"""
from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from hub.cli import run_guarded


@click.group("privacy")
def cli():
    """Privacy reports over the audit chain.

    \b
    Examples:
      nqf-hub privacy report                          # JSON, from <prefix>.audit
      nqf-hub privacy report --format csv -o ropa.csv --since 2026-01-01
      nqf-hub privacy report --save-records audit.jsonl   # also keep the records for offline use
      nqf-hub privacy report --records audit.jsonl --format csv   # offline, no Kafka
    """


def _day(v: str | None, name: str) -> dt.datetime | None:
    if not v:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(v), dt.time(), dt.timezone.utc)
    except ValueError:
        raise click.BadParameter("must be a date YYYY-MM-DD", param_hint=name) from None


@cli.command("report")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default stdout).")
@click.option("--since", help="Only decisions on or after this date (YYYY-MM-DD, UTC).")
@click.option("--until", help="Only decisions before this date (YYYY-MM-DD, UTC).")
@click.option("--topic", help="Audit topic (default <prefix>.audit).")
@click.option("--records", "records_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read audit records from this JSON Lines file instead of Kafka (offline).")
@click.option("--save-records", type=click.Path(dir_okay=False, path_type=Path),
              help="When reading the topic, also write every audit record read to this JSON Lines file.")
@click.option("--partners-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Partner registry for names and jurisdictions (default: the settings partners dir).")
@run_guarded
def report(fmt, output, since, until, topic, records_file, save_records, partners_dir):
    """Records of processing per partner (purposes, categories, legal bases, counts) from audit records."""
    from hub.cli.common import settings as load
    from hub.errors import MappingFileError
    from hub.routing.policy import load_partners
    from hub.routing.processing_records import ProcessingReport, read_jsonl, to_json_line

    if records_file and save_records:
        raise click.UsageError("--save-records applies when reading the audit topic, not --records")
    s = load()
    try:
        partners = load_partners(Path(partners_dir) if partners_dir else s.partners_path)
    except MappingFileError as e:
        click.echo(f"warning: partner registry not read ({e}); names and jurisdictions left empty", err=True)
        partners = {}
    rep = ProcessingReport(partners, since=_day(since, "--since"), until=_day(until, "--until"))
    bad_lines: list[int] = []
    if records_file:
        source = f"file {records_file.name}"
        for n, rec in read_jsonl(records_file):
            if rec is None or (not rep.add(rec) and "partner_id" not in rec):
                bad_lines.append(n)
    else:
        from hub.cli.audit import _serde
        from hub.routing import audit_read
        t = topic or s.topic("audit")
        source = f"topic {t}"
        items = audit_read.read_partitions(s, t, _serde(s))
        out = open(save_records, "w", encoding="utf-8") if save_records else None
        try:
            for _, part in sorted(items.items()):
                for it in part:
                    if it.kind != "audit" or it.record is None:
                        continue
                    rep.add(it.record)
                    if out:
                        out.write(to_json_line(it.record) + "\n")
        finally:
            if out:
                out.close()
    text = json.dumps(rep.as_json(source), ensure_ascii=False, indent=2) + "\n" if fmt == "json" else rep.as_csv()
    if output:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output} ({rep.records} audit record(s), {len(rep.by_partner)} partner(s))", err=True)
    else:
        click.echo(text, nl=False)
    if bad_lines:
        shown = ", ".join(map(str, bad_lines[:20])) + (" …" if len(bad_lines) > 20 else "")
        click.echo(f"error: {len(bad_lines)} line(s) of {records_file.name} are not audit records: lines {shown}",
                   err=True)
        sys.exit(2)

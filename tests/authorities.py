"""Authorities files for tests that run `nqf-hub ingest` (which needs `--authority ID`, an entry
of the authorities file): one entry per source authority that the test's events name."""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path


def write_authorities(path: Path, events: Iterable[dict], connectors=("canonical-json",)) -> dict[str, list[dict]]:
    """Write `path` with one entry per header.source.authority of `events` (jurisdiction and
    authority type as the events state them; every authority keeps the entries already in the
    file); return the events grouped by authority, in their order."""
    from hub.serve.tokens import issue_token
    groups: dict[str, list[dict]] = {}
    entries: dict[str, dict] = {}
    if path.exists():
        import yaml
        entries = {a["id"]: a for a in (yaml.safe_load(path.read_text()) or {}).get("authorities", [])}
    for ev in events:
        src = ev["header"]["source"]
        groups.setdefault(src["authority"], []).append(ev)
        entries.setdefault(src["authority"], {
            "id": src["authority"], "token_sha256": issue_token()[1], "connectors": list(connectors),
            "jurisdiction": src["jurisdiction"], "authority_type": src["authority_type"]})
    path.write_text("authorities:\n" + "".join(f"  - {json.dumps(e)}\n" for e in entries.values()))
    return groups

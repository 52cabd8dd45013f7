"""The partner registry: one YAML file per partner, validated by mappings/partners/partner.schema.json.

`load_partners` is called once when a worker or CLI command starts; `subscribed` is called by the
router for every event × partner (cheap: set lookups).
"""
from __future__ import annotations

from pathlib import Path

from hub.config import PROJECT_ROOT
from hub.errors import MappingFileError
from hub.routing.policy._model import DEFAULT_EVENT_TYPES, Partner
from hub.routing.policy._yamlfiles import FAILED, load_schema, read_yaml, validate

PARTNER_SCHEMA = PROJECT_ROOT / "mappings" / "partners" / "partner.schema.json"


def load_partners(directory: Path) -> dict[str, Partner]:
    """Every `*.yaml` partner in `directory`, keyed by id.

    Raises MappingFileError listing all problems of all files (schema violations, a file name
    that is not '<id>.yaml', duplicate ids). A missing directory is an error; an empty one is not.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise MappingFileError(f"partner directory not found: {directory}")
    validator = load_schema(PARTNER_SCHEMA)
    problems: list[str] = []
    out: dict[str, Partner] = {}
    files = sorted(p for p in directory.iterdir()
                   if p.suffix in (".yaml", ".yml") and not p.name.startswith("."))
    for path in files:
        doc = read_yaml(path, problems)
        if doc is FAILED or not validate(validator, doc, path.name, problems):
            continue
        pid = doc["id"]
        if path.stem != pid:
            problems.append(f"{path.name}: id: file must be named {pid}.yaml")
        if pid in out:
            problems.append(f"{path.name}: id: duplicate partner id {pid}")
            continue
        from hub.delivery.endpoints import delivery_problems   # https except loopback
        problems += [f"{path.name}: {field}: {why}" for field, why in delivery_problems(doc["delivery"])]
        sub = dict(doc.get("subscribe") or {})
        for k in ("event_types", "source_jurisdictions"):
            if k in sub:
                sub[k] = frozenset(sub[k])
        out[pid] = Partner(
            id=pid, name=doc["name"], jurisdiction=doc["jurisdiction"],
            legal_nature=doc["legal_nature"], purposes=tuple(doc["purposes"]),
            instruments=tuple(doc.get("instruments") or ()),
            delivery=dict(doc.get("delivery") or {}), subscribe=sub,
            require_verified=bool(doc.get("require_verified", False)))
    if problems:
        raise MappingFileError(f"{len(problems)} problem(s) in partner files under {directory}", problems)
    return out


_DEFAULT_TYPES = frozenset(DEFAULT_EVENT_TYPES)


def subscribed(partner: Partner, event: dict) -> bool:
    """Whether `partner` wants this event at all (before any privacy decision).

    - event type in subscribe.event_types (default: CredentialIssued, CredentialRevoked,
      RecognitionDecided: the events that carry credential or recognition data);
    - source jurisdiction in subscribe.source_jurisdictions when given (a subdivision such as
      GB-SCT also matches GB);
    - a RecognitionDecided only goes to the partner that requested it, unless
      subscribe.all_recognition_decisions is true.
    """
    h = event["header"]
    et = h["event_type"]
    sub = partner.subscribe
    if et not in (sub.get("event_types") or _DEFAULT_TYPES):
        return False
    sj = sub.get("source_jurisdictions")
    if sj:
        j = h["source"]["jurisdiction"]
        if j not in sj and j.split("-", 1)[0] not in sj:
            return False
    if et == "RecognitionDecided" and not sub.get("all_recognition_decisions"):
        return event.get("requesting_partner") == partner.id
    return True

"""The instrument register: which transfer instruments, certifications and authorisations exist,
between whom, for what, and when (mappings/privacy/instruments/*.yaml, instrument.schema.json).

Evidence belongs to the exporter-recipient pair, not to the partner alone: SCCs signed by one
university do not serve another exporter. `PolicyEngine.decide` asks the register, for every
instrument id it is given (the partner file's `instruments:` and the router's or operator's
evidence), whether that instrument covers this transfer:

* the id is registered (an unregistered id counts for nothing);
* the recipient is this partner;
* the exporter (header.source.authority) is a party, or the instrument is a certification of
  the recipient that serves every exporter (`parties.exporters: ['*']`, allowed for
  certification kinds only, e.g. dpf-eu, apec-cbpr); `parties.exporter_jurisdictions`, when
  given, must contain the exporter's country;
* the purpose is in `scope.purposes` and every category that would be transferred after
  purpose limitation is in `scope.categories` (the record key is always allowed);
* the decision date is within valid_from..valid_until.

The decision date is the date of the decision (today, or `--at`), not the event's time: a
transfer happens when the hub sends, so an instrument that has expired since the credential was
issued no longer covers it, and one signed later covers a record issued before it.

Loaded once with the rules; `covering` runs per decision and is cached by the engine.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from hub.routing.policy._yamlfiles import FAILED, load_schema, read_yaml, validate

INSTRUMENT_DIR = "instruments"
INSTRUMENT_SCHEMA = "instrument.schema.json"

# Certifications and recognitions of the recipient itself: they may serve every exporter.
CERTIFICATION_KINDS = frozenset({
    "dpf-eu", "dpf-uk", "dpf-ch", "apec-cbpr", "apec-prp", "global-cbpr", "global-prp",
    "gdpr-certification", "gdpr-code-of-conduct", "br-seal", "kr-pipc-certification",
    "ca-pipeda-covered", "jp-appi-28-system",
})


@dataclass(frozen=True)
class Instrument:
    id: str
    kind: str
    title: str
    exporters: frozenset[str]               # authority ids; {'*'} = every exporter (certifications)
    exporter_jurisdictions: frozenset[str]  # empty = any
    recipient: str
    purposes: frozenset[str]
    categories: frozenset[str]
    valid_from: dt.date
    valid_until: dt.date | None
    source_file: str

    def why_not(self, *, exporter_id: str, exporter_country: str, partner_id: str, purpose: str | None,
                transferred: frozenset, at: dt.date, always_allowed: frozenset) -> str | None:
        """None when the instrument covers the transfer; else the reason (no personal data)."""
        if self.recipient != partner_id:
            return f"its recipient is {self.recipient}"
        if "*" not in self.exporters and exporter_id not in self.exporters:
            return "the exporter is not a party"
        if self.exporter_jurisdictions and exporter_country not in self.exporter_jurisdictions:
            return f"it does not cover exporters in {exporter_country}"
        if purpose not in self.purposes:
            return f"purpose {purpose} is outside its scope"
        extra = transferred - self.categories - always_allowed
        if extra:
            return f"categories {sorted(extra)} are outside its scope"
        if at < self.valid_from:
            return f"it is valid from {self.valid_from}"
        if self.valid_until is not None and at > self.valid_until:
            return f"it expired on {self.valid_until}"
        return None


class InstrumentRegister:
    """Instruments by id. Build with `load_register(rules_dir)` or from a list (tests, examples)."""

    def __init__(self, instruments: list[Instrument] | None = None):
        self.by_id: dict[str, Instrument] = {i.id: i for i in instruments or ()}

    def covering(self, ids, *, exporter_id: str, exporter_country: str, partner_id: str,
                 purpose: str | None, transferred: frozenset, at: dt.date,
                 always_allowed: frozenset = frozenset()) -> tuple[frozenset, tuple[str, ...]]:
        """(ids that cover this transfer, notes on the ids that do not)."""
        ok, notes = [], []
        for i in sorted(set(ids)):
            inst = self.by_id.get(i)
            if inst is None:
                notes.append(f"instrument {i} is not in the instrument register: not counted")
                continue
            why = inst.why_not(exporter_id=exporter_id, exporter_country=exporter_country,
                               partner_id=partner_id, purpose=purpose, transferred=transferred, at=at,
                               always_allowed=always_allowed)
            if why is None:
                ok.append(i)
            else:
                notes.append(f"instrument {i} does not cover this transfer: {why}")
        return frozenset(ok), tuple(notes)


def _date(s) -> dt.date | None:
    return None if s is None else dt.date.fromisoformat(str(s))


def load_register(rules_dir: Path, vocab, problems: list[str], partner_ids=None) -> InstrumentRegister:
    """Every instrument under `rules_dir/instruments/`; appends problems (schema, duplicate ids,
    id prefix not the kind, unknown purposes or categories, dates the wrong way round)."""
    from hub.routing.policy._rules import _schema_path

    d = Path(rules_dir) / INSTRUMENT_DIR
    if not d.is_dir():
        return InstrumentRegister()
    validator = load_schema(_schema_path(Path(rules_dir), INSTRUMENT_SCHEMA))
    out: list[Instrument] = []
    seen: dict[str, str] = {}
    for path in sorted(d.glob("*.yaml")):
        if path.name.startswith("."):
            continue
        name = f"{INSTRUMENT_DIR}/{path.name}"
        doc = read_yaml(path, problems)
        if doc is FAILED or not validate(validator, doc, name, problems):
            continue
        for n, e in enumerate(doc["instruments"]):
            where = f"{name}: instruments/{n} ({e['id']})"
            kind = e["id"].split(":", 1)[0]
            if kind != e["kind"]:
                problems.append(f"{where}: id must start with its kind '{e['kind']}:'")
            if e["id"] in seen:
                problems.append(f"{where}: id already used in {seen[e['id']]}")
                continue
            seen[e["id"]] = name
            parties, scope = e["parties"], e["scope"]
            if "*" in parties["exporters"] and kind not in CERTIFICATION_KINDS:
                problems.append(f"{where}: parties/exporters: '*' (every exporter) is only for certifications "
                                f"of the recipient ({', '.join(sorted(CERTIFICATION_KINDS))}); name the exporters")
            for p in scope["purposes"]:
                if vocab.purposes and p not in vocab.purposes:
                    problems.append(f"{where}: scope/purposes: unknown purpose {p}")
            for c in scope["categories"]:
                if vocab.categories and c not in vocab.categories:
                    problems.append(f"{where}: scope/categories: unknown category {c}")
            if partner_ids is not None and parties["recipient"] not in partner_ids:
                problems.append(f"{where}: parties/recipient: no partner {parties['recipient']}")
            vf, vu = _date(e["valid_from"]), _date(e.get("valid_until"))
            if vu is not None and vu < vf:
                problems.append(f"{where}: valid_until is before valid_from")
            out.append(Instrument(
                id=e["id"], kind=kind, title=e["title"], exporters=frozenset(parties["exporters"]),
                exporter_jurisdictions=frozenset(parties.get("exporter_jurisdictions") or ()),
                recipient=parties["recipient"], purposes=frozenset(scope["purposes"]),
                categories=frozenset(scope["categories"]), valid_from=vf, valid_until=vu, source_file=name))
    return InstrumentRegister(out)

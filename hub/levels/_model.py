"""Immutable records for level data: frameworks, levels, links and per-level rows.

Built once by the loader from the reviewed YAML files under mappings/levels/; nothing here is
mutated afterwards, so a catalog can be shared by threads and faust agents without locks.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: Confidence tags, strongest first. Rank is used to pick between routes and to report the
#: weakest link on a route; `identity` is what a comparison inside one framework reports.
CONFIDENCE_RANK: dict[str, int] = {
    "identity": 9,
    "verbatim_official": 7,
    "verbatim_secondary": 6,
    "stated_1to1_official": 5,
    "stated_official": 4,
    "stated_aligned": 4,
    "inferred_1to1": 2,
    "inferred_transitive": 1,
    "inferred": 1,
    "not_seen": 0,
}
LINK_TYPES = ("referencing", "comparison", "alignment", "crosswalk")
NONE = "none"


def is_inferred(confidence: str) -> bool:
    return confidence.startswith("inferred")


def weakest(tags) -> str:
    """The weakest confidence tag of `tags` (ties broken by name, so order never matters)."""
    return min(tags, key=lambda t: (CONFIDENCE_RANK.get(t, -1), t))


@dataclass(frozen=True)
class Level:
    code: str
    ordinal: int                      # position in the framework, 0 = lowest
    label: str | None = None
    qualification_types: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class Row:
    """One level row of a link: `targets` is None when the source says 'no comparable level'."""

    level: str
    targets: tuple[str, ...] | None
    confidence: str
    inferred: bool
    note: str | None = None
    confidence_note: str | None = None

    @property
    def is_none(self) -> bool:
        return self.targets is None


@dataclass(frozen=True)
class Link:
    """A link from framework `source` to framework `to` (usually a reference framework)."""

    source: str
    to: str
    type: str
    status: str
    year: int | None
    confidence: str
    inferred: bool
    table_seen: bool
    sources: tuple[dict, ...]
    rows: tuple[Row, ...]
    reverse_none: tuple[tuple[str, str], ...] = ()   # (target level, note)
    confidence_note: str | None = None
    note: str | None = None

    @property
    def has_data(self) -> bool:
        return bool(self.rows or self.reverse_none)


@dataclass(frozen=True)
class Framework:
    code: str
    name: str
    kind: str                           # national | reference
    levels: tuple[Level, ...]
    links: tuple[Link, ...]
    jurisdictions: tuple[str, ...] = ()
    region: str | None = None
    aliases: tuple[str, ...] = ()
    version: dict | None = None
    levels_verified: bool = True
    levels_sources: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    file: str | None = None
    _index: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self):
        idx = {}
        for lv in self.levels:
            idx[lv.code.casefold()] = lv
        for lv in self.levels:
            for a in lv.aliases:
                idx.setdefault(a.casefold(), lv)
        object.__setattr__(self, "_index", idx)

    @property
    def status(self) -> str:
        return (self.version or {}).get("status", "current")

    def level(self, code: str) -> Level | None:
        """The level with this code or alias (case-insensitive), or None."""
        return self._index.get(str(code).strip().casefold())

    def summary(self) -> dict:
        """What `nqf-hub levels list --json` prints for this framework."""
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "jurisdictions": list(self.jurisdictions),
            "region": self.region,
            "status": self.status,
            "aliases": list(self.aliases),
            "levels": [lv.code for lv in self.levels],
            "links": [{"to": ln.to, "type": ln.type, "status": ln.status,
                       "confidence": ln.confidence, "rows": len(ln.rows)} for ln in self.links],
        }

    def as_dict(self) -> dict:
        """Everything about the framework, JSON-ready (for `levels show --json`)."""
        return {
            **self.summary(),
            "version": self.version,
            "levels_verified": self.levels_verified,
            "levels": [{"code": lv.code, "label": lv.label,
                        "qualification_types": list(lv.qualification_types),
                        "aliases": list(lv.aliases), "note": lv.note} for lv in self.levels],
            "links": [{
                "to": ln.to, "type": ln.type, "status": ln.status, "year": ln.year,
                "confidence": ln.confidence, "confidence_note": ln.confidence_note,
                "inferred": ln.inferred, "table_seen": ln.table_seen,
                "sources": [dict(s) for s in ln.sources], "note": ln.note,
                "mappings": [{"level": r.level, "to": NONE if r.is_none else list(r.targets),
                              "confidence": r.confidence, "inferred": r.inferred,
                              "note": r.note, "confidence_note": r.confidence_note}
                             for r in ln.rows],
                "reverse_none": [{"level": lv, "note": n} for lv, n in ln.reverse_none],
            } for ln in self.links],
            "notes": list(self.notes),
        }

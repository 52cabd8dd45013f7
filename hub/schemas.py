"""Canonical Avro schemas: loading, expansion, fingerprints, personal-data categories.

schemas/avro/ holds one named type per file (`<namespace>.<Name>.avsc`); events reference the
shared records by name. `released/<full name>/v<N>.avsc` keeps every released version, fully
expanded, so that decoders can read old data and CI can check BACKWARD_TRANSITIVE compatibility.
Loaded once per process (`catalog()`), the runtime calls nothing here on the hot path except
lookups in dicts built at load time.
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

from hub.errors import SchemaError

EVENT_NAMESPACE = "nqfhub.events"
INTERNAL_NAMESPACE = "nqfhub.internal"
EVENT_TYPES = (
    "InstitutionPublished", "QualificationPublished", "CredentialIssued", "CredentialRevoked",
    "AccreditationChanged", "RecognitionRequested", "RecognitionDecided", "ConsentRecorded",
    "ConsentWithdrawn",
)
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
CATEGORY_KEY = "nqfhub.category"


def event_schema_name(event_type: str) -> str:
    return f"{EVENT_NAMESPACE}.{event_type}"


@dataclass(frozen=True)
class CategoryField:
    """A personal-data field: dotted path ('learner.national_ids[].value') and its category."""

    path: str
    category: str


@dataclass
class SchemaEntry:
    name: str
    expanded: dict
    parsed: dict
    fingerprint: bytes            # 8 bytes, little-endian CRC-64-AVRO (single-object encoding)
    version: str                  # 'current' or 'v1', 'v2' …
    categories: tuple[CategoryField, ...] = field(default_factory=tuple)


def _full_name(schema: dict, ns: str | None) -> str:
    name = schema["name"]
    if "." in name:
        return name
    return f"{schema.get('namespace') or ns}.{name}" if (schema.get("namespace") or ns) else name


class Catalog:
    """All named types of schemas/avro plus released versions, expanded and parsed."""

    def __init__(self, root: Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise SchemaError(f"schema directory not found: {self.root}")
        self.named: dict[str, dict] = {}
        for p in sorted(self.root.glob("*.avsc")):
            try:
                s = json.loads(p.read_text())
            except json.JSONDecodeError as e:
                raise SchemaError(f"{p.name}: not valid JSON ({e.msg} at line {e.lineno})") from None
            fn = _full_name(s, None)
            if p.stem != fn:
                raise SchemaError(f"{p.name}: file name must be the full name {fn}.avsc")
            self.named[fn] = s
        self.current: dict[str, SchemaEntry] = {}
        self.by_fingerprint: dict[bytes, SchemaEntry] = {}
        for fn, s in self.named.items():
            if s.get("type") == "record" and s.get("namespace") in (EVENT_NAMESPACE, INTERNAL_NAMESPACE):
                entry = self._entry(fn, self.expand(fn), "current")
                self.current[fn] = entry
                self.by_fingerprint[entry.fingerprint] = entry
        self.released: dict[str, list[SchemaEntry]] = {}
        rel = self.root / "released"
        if rel.is_dir():
            for d in sorted(rel.iterdir()):
                for p in sorted(d.glob("v*.avsc"), key=lambda q: int(q.stem[1:])):
                    entry = self._entry(d.name, json.loads(p.read_text()), p.stem)
                    self.released.setdefault(d.name, []).append(entry)
                    self.by_fingerprint.setdefault(entry.fingerprint, entry)

    # ---- expansion ---------------------------------------------------------------------
    def expand(self, name: str) -> dict:
        """The schema `name` with every referenced named type inlined at its first use."""
        seen: set[str] = set()

        def walk(t, ns):
            if isinstance(t, str):
                if t in PRIMITIVES:
                    return t
                fn = t if "." in t else f"{ns}.{t}"
                if fn not in self.named and t in self.named:
                    fn = t
                if fn in seen:
                    return fn
                if fn not in self.named:
                    raise SchemaError(f"unknown named type {t!r} referenced from namespace {ns}")
                return walk(self.named[fn], ns)
            if isinstance(t, list):
                return [walk(x, ns) for x in t]
            t = copy.deepcopy(t)
            kind = t.get("type")
            if kind in ("record", "enum", "fixed"):
                fn = _full_name(t, ns)
                seen.add(fn)
                t["name"], t["namespace"] = fn.rsplit(".", 1)[1], fn.rsplit(".", 1)[0]
                if kind == "record":
                    inner = t["namespace"]
                    for f in t["fields"]:
                        f["type"] = walk(f["type"], inner)
                return t
            if kind == "array":
                t["items"] = walk(t["items"], ns)
            elif kind == "map":
                t["values"] = walk(t["values"], ns)
            elif isinstance(kind, (dict, list)) or (isinstance(kind, str) and kind not in PRIMITIVES):
                t["type"] = walk(kind, ns)
            return t

        return walk(name, name.rsplit(".", 1)[0])

    def _entry(self, name: str, expanded: dict, version: str) -> SchemaEntry:
        try:
            # parsed once with the "parsed" marker, so schemaless_writer does not re-parse per call
            parsed = fastavro.parse_schema(copy.deepcopy(expanded))
        except Exception as e:  # fastavro raises several exception classes for bad schemas
            raise SchemaError(f"{name} ({version}): does not parse: {e}") from None
        canonical = to_parsing_canonical_form(parsed)
        fp = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
        return SchemaEntry(name, expanded, parsed, fp, version, tuple(categories_of(expanded)))

    # ---- lookups -----------------------------------------------------------------------
    def get(self, name: str) -> SchemaEntry:
        try:
            return self.current[name]
        except KeyError:
            raise SchemaError(f"no schema named {name}") from None

    def for_event_type(self, event_type: str) -> SchemaEntry:
        return self.get(event_schema_name(event_type))


def walk_fields(schema, prefix: str = ""):
    """Yield (dotted path, field) for every record field of an expanded schema, depth first.

    Paths mark array items with '[]' and map values with '{}' ('learner.national_ids[].value');
    a record that contains itself is walked once per path.
    """
    def walk(t, path, seen):
        if isinstance(t, list):
            for x in t:
                yield from walk(x, path, seen)
        elif isinstance(t, dict):
            kind = t.get("type")
            if kind == "record":
                fn = t.get("namespace", "") + "." + t["name"]
                if fn in seen:
                    return
                for f in t["fields"]:
                    p = f"{path}.{f['name']}" if path else f["name"]
                    yield p, f
                    yield from walk(f["type"], p, seen | {fn})
            elif kind == "array":
                yield from walk(t["items"], path + "[]", seen)
            elif kind == "map":
                yield from walk(t["values"], path + "{}", seen)
            elif isinstance(kind, (dict, list)):
                yield from walk(kind, path, seen)

    yield from walk(schema, prefix, frozenset())


def categories_of(schema, prefix: str = "") -> list[CategoryField]:
    """Every field tagged with `nqfhub.category`, as dotted paths ('[]' marks array items)."""
    return [CategoryField(p, f[CATEGORY_KEY]) for p, f in walk_fields(schema, prefix) if CATEGORY_KEY in f]


@lru_cache(maxsize=4)
def _catalog(root: str) -> Catalog:
    return Catalog(Path(root))


def catalog(root: Path | str | None = None) -> Catalog:
    if root is None:
        from hub.config import load_settings
        root = load_settings().schemas_dir
    return _catalog(str(Path(root).resolve()))

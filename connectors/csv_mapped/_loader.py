"""Load and check a CSV field mapping (mappings/fields/<name>.yaml).

`load_mapping(name_or_path)` validates the file against `mapping.schema.json` and then checks
what a schema cannot: targets exist in the canonical event, lookups named by transforms exist,
regular expressions and date formats compile, required columns cover the columns used. Every
problem is collected and raised at once as `MappingFileError`. The result is a `Mapping` whose
fields are compiled into plain functions, so the per-row work is small.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import yaml

from connectors.csv_mapped import _transforms as tr
from hub.errors import MappingFileError

SCHEMA_FILE = Path(__file__).with_name("mapping.schema.json")
_PLACEHOLDER = re.compile(r"\{([^{}|]+)(?:\|(slug|upper|lower))?\}")


@dataclass(frozen=True)
class Const:
    """A constant: kept only when something read from the row sits beside it (see README)."""

    value: Any


@dataclass
class FieldSpec:
    target: str
    parts: tuple[str, ...]
    columns: tuple[str, ...]                  # every column the field reads
    read: Callable[[dict], Any]               # row (column -> str) -> raw value or None
    transforms: tuple[Callable, ...]
    required: bool
    is_const: bool
    label: str                                # what errors name: the column(s), or the target


@dataclass
class GroupSpec:
    target: str
    instances: list[tuple[str, list[FieldSpec]]]   # (present column, fields) per n


@dataclass
class Mapping:
    name: str
    path: Path
    title: str
    event_type: str
    defaults: dict
    subject_jurisdiction: str | None
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8-sig"
    required_columns: tuple[str, ...] = ()
    filter: dict | None = None
    fields: list[FieldSpec] = field(default_factory=list)
    groups: list[GroupSpec] = field(default_factory=list)

    @property
    def columns(self) -> set[str]:
        cols = {c for f in self.fields for c in f.columns}
        for g in self.groups:
            for present, fs in g.instances:
                cols.add(present)
                cols |= {c for f in fs for c in f.columns}
        return cols


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator
    return Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def mappings_dir() -> Path:
    from hub.config import load_settings
    return load_settings().mappings_dir / "fields"


def resolve(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        return p
    return mappings_dir() / f"{name_or_path}.yaml"


def available() -> list[str]:
    d = mappings_dir()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def load_mapping(name_or_path: str | Path) -> Mapping:
    path = resolve(name_or_path)
    if not path.is_file():
        raise MappingFileError(f"CSV mapping {str(name_or_path)!r} not found",
                               [f"known mappings in {mappings_dir()}: {', '.join(available()) or 'none'}"])
    return _load(path.resolve(), path.stat().st_mtime_ns)


@lru_cache(maxsize=32)
def _load(path: Path, _mtime: int) -> Mapping:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise MappingFileError(f"{path.name}: not valid YAML", [f"{path.name}: {e.__class__.__name__}"]) from None
    problems = [f"{path.name}: {'/'.join(str(x) for x in e.absolute_path) or '(root)'}: {e.message}"
                for e in sorted(_validator().iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))]
    if problems:
        raise MappingFileError(f"{path.name} does not follow the CSV mapping schema", problems)
    return _compile(doc, path)


# ---- compiling -------------------------------------------------------------------------------
def _compile(doc: dict, path: Path) -> Mapping:
    problems: list[str] = []
    where = path.name
    if doc["mapping"] != path.stem:
        problems.append(f"{where}: mapping: must equal the file name ({path.stem})")
    csv_opts = doc.get("csv", {})
    m = Mapping(name=doc["mapping"], path=path, title=doc["title"], event_type=doc["event_type"],
                defaults=doc["defaults"], subject_jurisdiction=doc.get("subject_jurisdiction"),
                delimiter=csv_opts.get("delimiter", ","), quotechar=csv_opts.get("quotechar", '"'),
                encoding=csv_opts.get("encoding", "utf-8-sig"),
                required_columns=tuple(csv_opts.get("required_columns", ())), filter=doc.get("filter"))
    if m.encoding == "utf-8":
        m.encoding = "utf-8-sig"                     # a leading BOM is never part of a column name
    lookups = doc.get("lookups", {})
    for i, f in enumerate(doc["fields"]):
        spec = _field(f, lookups, problems, f"{where}: fields/{i}", m.event_type, ())
        if spec:
            m.fields.append(spec)
    for gi, g in enumerate(doc.get("groups", [])):
        item = _target_type(m.event_type, tuple(g["target"].split(".")))
        if isinstance(item, _Problem):
            problems.append(f"{where}: groups/{gi}/target: {item}")
            continue
        instances = []
        for n in range(g["repeat"]["from"], g["repeat"]["to"] + 1):
            fs = []
            for i, f in enumerate(g["fields"]):
                spec = _field(_subst(f, n), lookups, problems if n == g["repeat"]["from"] else [],
                              f"{where}: groups/{gi}/fields/{i}", m.event_type, tuple(g["target"].split(".")))
                if spec:
                    fs.append(spec)
            instances.append((g["present"].replace("{n}", str(n)), fs))
        m.groups.append(GroupSpec(g["target"], instances))
    targets = [f.target for f in m.fields]
    dup = sorted({t for t in targets if targets.count(t) > 1 and not t.endswith("[]")})
    if dup:
        problems.append(f"{where}: fields: target(s) mapped twice: {', '.join(dup)}")
    if m.filter and m.filter["column"] not in m.required_columns and m.required_columns:
        problems.append(f"{where}: filter/column: must be one of csv/required_columns")
    if problems:
        raise MappingFileError(f"{where} is not a usable CSV mapping", problems)
    return m


def _subst(f: dict, n: int) -> dict:
    def s(v):
        if isinstance(v, str):
            return v.replace("{n}", str(n))
        if isinstance(v, list):
            return [s(x) for x in v]
        return v
    return {k: s(v) for k, v in f.items()}


def _field(f: dict, lookups: dict, problems: list, where: str, event_type: str,
           base: tuple[str, ...]) -> FieldSpec | None:
    target = f["target"]
    parts = tuple(target.split("."))
    if not base and parts == ("occurred_at",):
        pass
    elif parts[0] == "header":
        problems.append(f"{where}/target: the header is built by the hub (use 'occurred_at')")
        return None
    else:
        t = _target_type(event_type, base + parts)
        if isinstance(t, _Problem):
            problems.append(f"{where}/target: {t}")
            return None
    columns: tuple[str, ...] = ()
    is_const = False
    if "column" in f:
        col = f["column"]
        columns = (col,)
        read = lambda row, c=col: row.get(c) or None  # noqa: E731
    elif "columns" in f:
        cols, sep = tuple(f["columns"]), f.get("separator", " ")
        columns = cols
        read = lambda row, cs=cols, s=sep: s.join(x for x in (row.get(c) for c in cs) if x) or None  # noqa: E731
    elif "first_of" in f:
        cols = tuple(f["first_of"])
        columns = cols
        read = lambda row, cs=cols: next((row[c] for c in cs if row.get(c)), None)  # noqa: E731
    elif "template" in f:
        tpl = f["template"]
        holes = _PLACEHOLDER.findall(tpl)
        if not holes:
            problems.append(f"{where}/template: has no {{COLUMN}} placeholder (use const)")
            return None
        columns = tuple(h[0] for h in holes)
        read = _template(tpl)
    else:
        is_const = True
        value = f["const"]
        read = lambda row, v=value: v  # noqa: E731
    fns = []
    for j, t in enumerate(f.get("transforms", [])):
        try:
            fns.append(_transform(t, lookups))
        except (ValueError, re.error, KeyError) as e:
            problems.append(f"{where}/transforms/{j}: {e}")
    label = ", ".join(columns) if columns else target
    return FieldSpec(target, parts, columns, read, tuple(fns), bool(f.get("required")), is_const, label)


def _template(tpl: str):
    filters = {"slug": tr._slug, "upper": str.upper, "lower": str.lower, None: lambda x: x, "": lambda x: x}

    def read(row):
        missing = False

        def sub(m):
            nonlocal missing
            v = row.get(m.group(1))
            if not v:
                missing = True
                return ""
            return filters[m.group(2)](v)
        out = _PLACEHOLDER.sub(sub, tpl)
        return None if missing else out
    return read


def _transform(t, lookups: dict):
    if isinstance(t, str):
        return tr.SIMPLE[t]
    (kind, arg), = t.items()
    if kind == "date":
        for fmt in ([arg] if isinstance(arg, str) else arg):
            if "%" not in fmt:
                raise ValueError("date format has no strftime directive (e.g. %d/%m/%Y)")
        return tr.date(arg)
    if kind == "lookup":
        name, unknown = (arg, "reject") if isinstance(arg, str) else (arg["table"], arg.get("unknown", "reject"))
        if name not in lookups:
            raise KeyError(f"lookup table {name!r} is not defined under lookups")
        return tr.lookup(lookups[name], name, unknown)
    if kind == "level":
        if arg.get("pattern"):
            re.compile(arg["pattern"])
        return tr.level(arg["framework"], arg.get("pattern"), arg.get("unmatched", "reject"))
    if kind == "split_name":
        return tr.split_name(arg["part"], arg.get("order", "given_first"))
    if kind == "regex":
        re.compile(arg["pattern"])
        return tr.regex(arg["pattern"], arg.get("group", 1), arg.get("unmatched", "reject"))
    if kind == "prefix":
        return tr.prefix(arg)
    if kind == "identifier":
        return tr.identifier(arg["scheme"])
    if kind == "default":
        return ("default", arg)
    raise ValueError(f"unknown transform {kind}")


# ---- targets against the canonical schema ----------------------------------------------------
def _named(name: str) -> dict | None:
    from hub.schemas import catalog
    named = catalog().named
    return named.get(name) or named.get(f"nqfhub.{name}")


def _unwrap(t):
    if isinstance(t, list):
        non_null = [x for x in t if x != "null"]
        t = non_null[0] if len(non_null) == 1 else t
    if isinstance(t, str) and _named(t):
        return _named(t)
    if isinstance(t, dict) and isinstance(t.get("type"), (dict, list)):
        return _unwrap(t["type"])
    return t


class _Problem(str):
    """A target path that does not exist in the event schema (the message)."""


def _target_type(event_type: str, parts: tuple[str, ...]):
    """The schema type at `parts`, or a `_Problem` message when the path does not exist."""
    t = _named(f"nqfhub.events.{event_type}")
    for i, p in enumerate(parts):
        arr = p.endswith("[]")
        name = p[:-2] if arr else p
        shown = ".".join(parts[: i + 1])
        if isinstance(t, dict) and t.get("type") == "map":
            if arr:
                return _Problem(f"{shown} is a map entry, not an array")
            t = _unwrap(t["values"])
            continue
        if not (isinstance(t, dict) and t.get("type") == "record"):
            return _Problem(f"{shown} is inside a value that has no fields")
        fld = next((x for x in t["fields"] if x["name"] == name), None)
        if fld is None:
            return _Problem(f"{event_type} has no field {shown}")
        t = _unwrap(fld["type"])
        if arr:
            if not (isinstance(t, dict) and t.get("type") == "array"):
                return _Problem(f"{shown} is not an array")
            t = _unwrap(t["items"])
        elif isinstance(t, dict) and t.get("type") == "array":
            return _Problem(f"{shown} is an array: write {name}[]")
    return t

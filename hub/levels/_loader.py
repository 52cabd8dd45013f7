"""Read and validate the level files under mappings/levels/ (one YAML file per framework).

Called once per process (`load_levels()` caches per directory). Every file is checked against
`level_file.schema.json`, then across files (link targets exist, mapped levels exist on both
sides, one link per pair of frameworks, aliases unique …). All problems of all files are
collected and raised together as one `MappingFileError`, so a reviewer fixes them in one pass.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from hub.errors import MappingFileError
from hub.levels._model import NONE, Framework, Level, Link, Row, is_inferred

SCHEMA_PATH = Path(__file__).with_name("level_file.schema.json")


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader with its own resolver table, so nothing else in the process can change how
    level files read. Only true/false are booleans (the country code NO stays a string) and
    dates stay strings (the schema checks them as 'YYYY[-MM[-DD]]')."""

    yaml_implicit_resolvers: dict = {}


for _tag, _rx, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)"
                              r"|[-+]?0x[0-9a-fA-F_]+)$", "-+0123456789"),
    ("tag:yaml.org,2002:float", r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
                                r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
                                r"|\.(?:nan|NaN|NAN))$", "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
):
    _YamlLoader.add_implicit_resolver(_tag, re.compile(_rx), list(_first))


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _where(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(root)"


def _schema_problems(name: str, doc) -> list[str]:
    errors = sorted(_validator().iter_errors(doc), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out = []
    for e in errors:
        msg = e.message
        if e.validator in ("if", "then", "else", "allOf", "oneOf") and e.context:
            msg = "; ".join(sorted({c.message for c in e.context}))
        out.append(f"{name}: {_where(e.absolute_path)}: {msg}")
    return out


def _build(name: str, doc: dict) -> Framework:
    levels = tuple(Level(code=lv["code"], ordinal=i, label=lv.get("label"),
                         qualification_types=tuple(lv.get("qualification_types", ())),
                         aliases=tuple(lv.get("aliases", ())), note=lv.get("note"))
                   for i, lv in enumerate(doc["levels"]))
    links = []
    for ln in doc["links"]:
        rows = []
        for m in ln["mappings"]:
            conf = m.get("confidence", ln["confidence"])
            rows.append(Row(level=m["level"], targets=None if m["to"] == NONE else tuple(m["to"]),
                            confidence=conf, inferred=is_inferred(conf), note=m.get("note"),
                            confidence_note=m.get("confidence_note", None if "confidence" in m
                                                  else ln.get("confidence_note"))))
        links.append(Link(
            source=doc["code"], to=ln["to"], type=ln["type"], status=ln["status"],
            year=ln.get("year"), confidence=ln["confidence"], inferred=is_inferred(ln["confidence"]),
            table_seen=ln.get("table_seen", bool(rows)), sources=tuple(ln["sources"]),
            rows=tuple(rows), reverse_none=tuple((r["level"], r["note"]) for r in ln.get("reverse_none", ())),
            confidence_note=ln.get("confidence_note"), note=ln.get("note")))
    return Framework(code=doc["code"], name=doc["name"], kind=doc["kind"], levels=levels,
                     links=tuple(links), jurisdictions=tuple(doc.get("jurisdictions", ())),
                     region=doc.get("region"), aliases=tuple(doc.get("aliases", ())),
                     version=doc.get("version"), levels_verified=doc.get("levels_verified", True),
                     levels_sources=tuple(doc.get("levels_sources", ())),
                     notes=tuple(doc.get("notes", ())), file=name)


def _cross_check(fws: dict[str, Framework], broken: set[str] = frozenset()) -> list[str]:
    """Problems that need more than one file: targets, aliases, pairs, versions.

    `broken` names frameworks whose own file failed; links to them are not checked further.
    """
    problems: list[str] = []
    names: dict[str, str] = {c.casefold(): c for c in sorted(broken)}
    for code in sorted(fws):
        names.setdefault(code.casefold(), code)
    for code in sorted(fws):
        fw = fws[code]
        for a in fw.aliases:
            other = names.setdefault(a.casefold(), code)
            if other != code:
                problems.append(f"{fw.file}: aliases: '{a}' is already the code or an alias of {other}")

    def resolve(c):
        return names.get(str(c).casefold())

    pairs: dict[frozenset, str] = {}
    for code in sorted(fws):
        fw = fws[code]
        seen_codes: set[str] = set()
        for lv in fw.levels:
            for c in dict.fromkeys((lv.code, *lv.aliases)):
                if c.casefold() in seen_codes:
                    problems.append(f"{fw.file}: levels: code or alias '{c}' is used twice")
                seen_codes.add(c.casefold())
        for i, ln in enumerate(fw.links):
            where = f"{fw.file}: links[{i}]"
            target = resolve(ln.to)
            if target is None:
                problems.append(f"{where}.to: unknown framework '{ln.to}'")
                continue
            if target != ln.to:
                problems.append(f"{where}.to: use the code '{target}', not the alias '{ln.to}'")
            if target == code:
                problems.append(f"{where}.to: a framework cannot link to itself")
                continue
            if target in broken:
                continue
            pair = frozenset((code, target))
            if pair in pairs:
                problems.append(f"{where}: a second link between {code} and {target} (first in {pairs[pair]});"
                                " keep one link per pair of frameworks")
            pairs.setdefault(pair, where)
            tfw = fws[target]
            rows_seen: set[str] = set()
            for j, row in enumerate(ln.rows):
                lv = fw.level(row.level)
                if lv is None or lv.code != row.level:
                    problems.append(f"{where}.mappings[{j}].level: '{row.level}' is not a level code of {code}")
                elif row.level in rows_seen:
                    problems.append(f"{where}.mappings[{j}].level: '{row.level}' has two rows")
                rows_seen.add(row.level)
                for t in row.targets or ():
                    tl = tfw.level(t)
                    if tl is None or tl.code != t:
                        problems.append(f"{where}.mappings[{j}].to: '{t}' is not a level code of {target}")
            mapped_to = {t for r in ln.rows for t in (r.targets or ())}
            for j, (lv_code, _) in enumerate(ln.reverse_none):
                tl = tfw.level(lv_code)
                if tl is None or tl.code != lv_code:
                    problems.append(f"{where}.reverse_none[{j}].level: '{lv_code}' is not a level code of {target}")
                elif lv_code in mapped_to:
                    problems.append(f"{where}.reverse_none[{j}].level: '{lv_code}' is also a mapping target")
        v = fw.version or {}
        for k in ("supersedes", "superseded_by"):
            vals = v.get(k) or []
            for c in ([vals] if isinstance(vals, str) else vals):
                if resolve(c) is None:
                    problems.append(f"{fw.file}: version.{k}: unknown framework '{c}'")
    return problems


def load_dir(directory: Path | str) -> dict[str, Framework]:
    """Every framework in `directory`, validated; raises MappingFileError listing all problems."""
    directory = Path(directory)
    if not directory.is_dir():
        raise MappingFileError(f"level files directory not found: {directory}")
    problems: list[str] = []
    fws: dict[str, Framework] = {}
    broken: set[str] = set()
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml"))
    if not files:
        raise MappingFileError(f"no level files (*.yaml) in {directory}")
    for p in files:
        name = p.name
        try:
            doc = yaml.load(p.read_text(encoding="utf-8"), Loader=_YamlLoader)  # noqa: S506 (safe loader)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"line {mark.line + 1}" if mark else "(file)"
            broken.add(p.stem)
            problems.append(f"{name}: {where}: not valid YAML ({getattr(e, 'problem', None) or 'parse error'})")
            continue
        except (OSError, UnicodeDecodeError) as e:
            broken.add(p.stem)
            problems.append(f"{name}: cannot be read ({e.__class__.__name__})")
            continue
        found = _schema_problems(name, doc)
        if found:
            problems.extend(found)
            broken.add(p.stem)
            continue
        if doc["code"] != p.stem:
            broken.add(p.stem)
            problems.append(f"{name}: code: must match the file name ('{p.stem}')")
            continue
        if doc["code"] in fws:
            problems.append(f"{name}: code: '{doc['code']}' is defined twice")
            continue
        fws[doc["code"]] = _build(name, doc)
    problems.extend(_cross_check(fws, broken))
    if problems:
        raise MappingFileError(f"{len(problems)} problem(s) in level files under {directory}", problems)
    return fws

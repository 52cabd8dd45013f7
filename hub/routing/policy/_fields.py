"""Where each personal-data category sits in each event type, how to test presence and how to
remove or pseudonymise it without touching the input.

Built once at engine load from the canonical Avro schemas (`nqfhub.category` attributes) plus
the record links of hub.yaml. On the hot path `present()` reads a handful of paths and
`apply()` copies only the containers along the changed paths (copy-on-write).
"""
from __future__ import annotations

from dataclasses import dataclass

from hub.errors import PolicyError

_EMPTY = (None, "", [], {})


@dataclass(frozen=True)
class FieldSpec:
    path: str                  # 'learner.national_ids[].value'
    steps: tuple               # (('learner', ''), ('national_ids', '[]'), ('value', ''))
    empty: object              # what 'removed' looks like: None, [] or {}; PolicyError if required
    is_string: bool


def _steps(path: str) -> tuple:
    out = []
    for part in path.split("."):
        if part.endswith("[]"):
            out.append((part[:-2], "[]"))
        elif part.endswith("{}"):
            out.append((part[:-2], "{}"))
        else:
            out.append((part, ""))
    return tuple(out)


def _field_types(schema: dict) -> dict[str, object]:
    """dotted path -> Avro type of that field (paths as hub.schemas.categories_of writes them)."""
    out: dict[str, object] = {}

    def walk(t, path, seen):
        if isinstance(t, list):
            for x in t:
                walk(x, path, seen)
        elif isinstance(t, dict):
            kind = t.get("type")
            if kind == "record":
                fn = t.get("namespace", "") + "." + t["name"]
                if fn in seen:
                    return
                for f in t["fields"]:
                    p = f"{path}.{f['name']}" if path else f["name"]
                    out[p] = f["type"]
                    walk(f["type"], p, seen | {fn})
            elif kind == "array":
                walk(t["items"], path + "[]", seen)
            elif kind == "map":
                walk(t["values"], path + "{}", seen)
            elif isinstance(kind, (dict, list)):
                walk(kind, path, seen)

    walk(schema, "", frozenset())
    return out


def _empty_for(t):
    """The removed value for a field of Avro type t, or a marker when it cannot be removed."""
    if isinstance(t, list):
        return None if "null" in t else _REQUIRED
    if isinstance(t, dict):
        if t.get("type") == "array":
            return []
        if t.get("type") == "map":
            return {}
    return _REQUIRED


_REQUIRED = object()


def _is_string(t) -> bool:
    if isinstance(t, list):
        return any(_is_string(x) for x in t if x != "null")
    return t == "string" or (isinstance(t, dict) and t.get("type") == "string")


class EventFields:
    """Category → fields for one event type."""

    def __init__(self, event_type: str, schema: dict, pairs: list[tuple[str, str]],
                 removable: dict[str, bool]):
        self.event_type = event_type
        types = _field_types(schema)
        self.by_category: dict[str, list[FieldSpec]] = {}
        for path, cat in pairs:
            t = types.get(path)
            if t is None:
                raise PolicyError(f"{event_type}: no field at path {path} (category {cat})")
            empty = _empty_for(t)
            if empty is _REQUIRED and removable.get(cat, True) and "[]" not in path:
                raise PolicyError(f"{event_type}.{path}: category {cat} is on a required field "
                                  "and cannot be removed; mark the category removable: false")
            self.by_category.setdefault(cat, []).append(
                FieldSpec(path, _steps(path), None if empty is _REQUIRED else empty, _is_string(t)))
        # presence is tested on the shortest path per category (the array itself, not its items)
        self._probe = [(cat, min(specs, key=lambda s: len(s.steps)).steps)
                       for cat, specs in self.by_category.items()]

    # ---- hot path ------------------------------------------------------------------------
    def present(self, event: dict) -> frozenset[str]:
        out = []
        for cat, steps in self._probe:
            if _any_value(event, steps, 0):
                out.append(cat)
        return frozenset(out)

    def apply(self, event: dict, drop: frozenset[str], pseudo: frozenset[str], pseudonymise) -> dict:
        """A copy of `event` with categories in `drop` emptied and the string fields of categories
        in `pseudo` replaced by `pseudonymise(scheme, value)`. The input is not modified."""
        out = event
        for cat in drop:
            for spec in self.by_category.get(cat, ()):
                if "[]" in spec.path and spec.path.rsplit("[]", 1)[0] in self._paths(cat):
                    continue    # the enclosing array of the same category is emptied instead
                out = _set(out, spec.steps, 0, lambda _v, e=spec.empty: e)
        for cat in pseudo - drop:
            for spec in self.by_category.get(cat, ()):
                if spec.is_string:
                    out = _pseudo(out, spec.steps, 0, pseudonymise, spec.path)
        return out

    def _paths(self, cat: str) -> set[str]:
        return {s.path for s in self.by_category.get(cat, ())}


def _any_value(node, steps, i) -> bool:
    if i == len(steps):
        return node not in _EMPTY
    if not isinstance(node, dict):
        return False
    name, mode = steps[i]
    v = node.get(name)
    if v is None:
        return False
    if mode == "":
        return _any_value(v, steps, i + 1)
    if i + 1 == len(steps):
        return bool(v)
    items = v if mode == "[]" else v.values()
    return any(_any_value(x, steps, i + 1) for x in items)


def _set(node, steps, i, fn):
    """Copy-on-write replace of the value(s) at steps; returns node unchanged if absent."""
    if not isinstance(node, dict):
        return node
    name, mode = steps[i]
    if name not in node:
        return node
    v = node[name]
    last = i + 1 == len(steps)
    if mode == "":
        nv = fn(v) if last else _set(v, steps, i + 1, fn)
    elif v is None:
        return node
    elif last:
        nv = fn(v)
    elif mode == "[]":
        nv = [_set(x, steps, i + 1, fn) for x in v]
    else:
        nv = {k: _set(x, steps, i + 1, fn) for k, x in v.items()}
    if nv is v:
        return node
    copy = dict(node)
    copy[name] = nv
    return copy


def _pseudo(node, steps, i, pseudonymise, path):
    """Replace string leaves; a sibling 'scheme' (NationalId) becomes 'nqfhub-pseudonym:<scheme>'."""
    if not isinstance(node, dict):
        return node
    name, mode = steps[i]
    if name not in node or node[name] is None:
        return node
    v = node[name]
    if i + 1 == len(steps):
        if mode != "" or not isinstance(v, str):
            return node
        scheme = node.get("scheme") if isinstance(node.get("scheme"), str) else path
        copy = dict(node)
        copy[name] = pseudonymise(scheme, v)
        if "scheme" in node and isinstance(node["scheme"], str):
            copy["scheme"] = "nqfhub-pseudonym:" + node["scheme"]
        return copy
    if mode == "":
        nv = _pseudo(v, steps, i + 1, pseudonymise, path)
    elif mode == "[]":
        nv = [_pseudo(x, steps, i + 1, pseudonymise, path) for x in v]
    else:
        nv = {k: _pseudo(x, steps, i + 1, pseudonymise, path) for k, x in v.items()}
    if nv is v:
        return node
    copy = dict(node)
    copy[name] = nv
    return copy

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
    from hub.schemas import walk_fields
    return {p: f["type"] for p, f in walk_fields(schema)}


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
        probes = [(cat, min(specs, key=lambda s: len(s.steps)).steps)
                  for cat, specs in self.by_category.items()]
        self._top = tuple((cat, st[0][0]) for cat, st in probes if len(st) == 1 and st[0][1] == "")
        groups: dict[str, list] = {}
        self._deep = []
        for cat, st in probes:
            if len(st) == 2 and st[0][1] == "" and st[1][1] == "":
                groups.setdefault(st[0][0], []).append((cat, st[1][0]))
            elif not (len(st) == 1 and st[0][1] == ""):
                self._deep.append((cat, st))
        self._groups = tuple((parent, tuple(items)) for parent, items in groups.items())
        self._plans: dict = {}

    # ---- hot path ------------------------------------------------------------------------
    def present(self, event: dict) -> frozenset[str]:
        """Categories with a non-empty value (None, '', [] and {} are empty)."""
        out = [cat for cat, name in self._top if event.get(name)]
        for parent, items in self._groups:
            sub = event.get(parent)
            if sub:
                out.extend(cat for cat, name in items if sub.get(name))
        for cat, steps in self._deep:
            if _any_value(event, steps, 0):
                out.append(cat)
        return frozenset(out)

    def apply(self, event: dict, drop: frozenset[str], pseudo: frozenset[str], pseudonymise) -> dict:
        """A copy of `event` with categories in `drop` emptied and the string fields of categories
        in `pseudo` replaced by `pseudonymise(scheme, value)`. The input is not modified; only the
        containers along changed paths are copied."""
        plan = self._plans.get((drop, pseudo))
        if plan is None:
            plan = self._plans[(drop, pseudo)] = self._compile(drop, pseudo)
        top, groups, generic, pseudo_specs = plan
        out = dict(event)
        for name, empty in top:
            if name in out:
                out[name] = _fresh(empty)
        for parent, fields in groups:
            sub = out.get(parent)
            if isinstance(sub, dict):
                sub = dict(sub)
                for name, empty in fields:
                    if name in sub:
                        sub[name] = _fresh(empty)
                out[parent] = sub
        for spec in generic:
            out = _set(out, spec.steps, 0, lambda _v, e=spec.empty: _fresh(e))
        for spec in pseudo_specs:
            out = _pseudo(out, spec.steps, 0, pseudonymise, spec.path)
        return out

    def _compile(self, drop, pseudo):
        top, groups, generic = [], {}, []
        for cat in sorted(drop):
            paths = {s.path for s in self.by_category.get(cat, ())}
            for spec in self.by_category.get(cat, ()):
                if "[]" in spec.path and spec.path.rsplit("[]", 1)[0] in paths:
                    continue    # the enclosing array of the same category is emptied instead
                st = spec.steps
                if len(st) == 1 and st[0][1] == "":
                    top.append((st[0][0], spec.empty))
                elif len(st) == 2 and st[0][1] == "" and st[1][1] == "":
                    groups.setdefault(st[0][0], []).append((st[1][0], spec.empty))
                else:
                    generic.append(spec)
        pseudo_specs = [spec for cat in sorted(pseudo - drop) for spec in self.by_category.get(cat, ())
                        if spec.is_string]
        return (tuple(top), tuple((p, tuple(f)) for p, f in groups.items()), tuple(generic),
                tuple(pseudo_specs))


def _fresh(empty):
    """A new empty container each time (callers may mutate the output)."""
    if empty == []:
        return []
    if empty == {}:
        return {}
    return empty


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

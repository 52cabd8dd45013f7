"""The comparison engine: level sets across frameworks, via links and shared reference frameworks.

`LevelCatalog` is built once from validated frameworks. It turns every link into a forward table
(level -> target levels or 'none') and a reverse table (target level -> the levels that map to
it, so many-to-one read backwards gives several levels), and keeps an adjacency list of
frameworks. `compare()` is called per recognition request; results are cached per
(framework, level, target), so repeated comparisons are dictionary lookups.

How a comparison is chosen (the same answer whatever order the files or rows were read in):
  1. same framework -> the level itself (confidence 'identity');
  2. routes = simple paths of links between the two frameworks (at most MAX_HOPS links),
     shortest first; a direct link is a route of one hop, a shared reference framework gives
     routes of two hops (national -> EQF -> national);
  3. at the shortest length where some route gives an answer: a 'comparable' route wins over a
     'none' route; between comparable routes, the one whose weakest link is strongest wins
     (then: no partial hops, fewer levels, path text);
  4. a route gives 'none' when a hop meets a row the source marks 'none' (or a target level the
     source says has no counterpart, `reverse_none`); a level without a row makes the route
     'unknown' and longer routes are tried;
  5. nothing found -> 'unknown'.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

from hub.levels._model import CONFIDENCE_RANK, Framework, Link, weakest

COMPARABLE, NONE, UNKNOWN = "comparable", "none", "unknown"
MAX_HOPS = 3
_CACHE_LIMIT = 200_000


@dataclass(frozen=True)
class Comparison:
    """Result of comparing one level with a target framework. Immutable; safe to share."""

    status: str                               # comparable | none | unknown
    source: str                               # 'FRAMEWORK:LEVEL' as resolved (or as given)
    target: str
    levels: tuple[str, ...] = ()              # target level codes, lowest first
    path: tuple[str, ...] = ()                # 'FRAMEWORK:code|code' per step, 'X:none' / 'X:?'
    confidence: str | None = None             # weakest confidence tag on the route
    inferred: bool = False                    # some row on the route is only inferred
    derived: bool = False                     # the route has more than one link
    partial: bool = False                     # some levels of a set had no counterpart
    link_types: tuple[str, ...] = ()
    link_statuses: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def level_refs(self) -> list[dict]:
        """The levels as LevelRef dicts ({framework, code}) for canonical events."""
        return [{"framework": self.target, "code": c} for c in self.levels]

    def as_dict(self) -> dict:
        return {"status": self.status, "from": self.source, "to": self.target,
                "levels": list(self.levels), "path": list(self.path),
                "confidence": self.confidence, "inferred": self.inferred, "derived": self.derived,
                "partial": self.partial, "link_types": list(self.link_types),
                "link_statuses": list(self.link_statuses), "notes": list(self.notes)}


class _Edge(NamedTuple):
    frm: str
    to: str
    link: Link
    forward: bool       # True: frm is the link's source; False: the link is read backwards


class _Step(NamedTuple):
    status: str
    levels: tuple[str, ...]
    confidences: tuple[str, ...]
    partial: bool


class LevelCatalog:
    """All frameworks plus the comparison graph. Built once; `compare()` is pure and cached."""

    def __init__(self, frameworks: Iterable[Framework]):
        fws = sorted(frameworks, key=lambda f: f.code)
        self.frameworks: dict[str, Framework] = {f.code: f for f in fws}
        self._names: dict[str, str] = {}
        for f in fws:
            self._names.setdefault(f.code.casefold(), f.code)
        for f in fws:
            for a in f.aliases:
                self._names.setdefault(a.casefold(), f.code)
        self._ordinal = {f.code: {lv.code: lv.ordinal for lv in f.levels} for f in fws}
        self._fwd: dict[tuple[str, str], dict] = {}
        self._rev: dict[tuple[str, str], dict] = {}
        self._rev_none: dict[tuple[str, str], frozenset] = {}
        adj: dict[str, list[_Edge]] = {f.code: [] for f in fws}
        for f in fws:
            for ln in f.links:
                if not ln.has_data or ln.to not in self.frameworks:
                    continue
                key = (f.code, ln.to)
                self._fwd[key] = {r.level: r for r in ln.rows}
                rev: dict[str, list] = {}
                for r in ln.rows:
                    for t in r.targets or ():
                        rev.setdefault(t, []).append(r)
                order = self._ordinal[f.code]
                self._rev[key] = {t: (tuple(sorted({r.level for r in rs}, key=order.__getitem__)),
                                      tuple(sorted(r.confidence for r in rs)))
                                  for t, rs in rev.items()}
                self._rev_none[key] = frozenset(lv for lv, _ in ln.reverse_none)
                adj[f.code].append(_Edge(f.code, ln.to, ln, True))
                adj[ln.to].append(_Edge(ln.to, f.code, ln, False))
        self._adj = {k: tuple(sorted(v, key=lambda e: (e.to, e.link.source))) for k, v in adj.items()}
        self._routes: dict[tuple[str, str], tuple[tuple[_Edge, ...], ...]] = {}
        self._cache: dict[tuple[str, str, str], Comparison] = {}

    # ---- lookups -----------------------------------------------------------------------
    def resolve(self, code: str) -> str | None:
        """Canonical framework code for a code or alias (case-insensitive), or None."""
        return self._names.get(str(code).strip().casefold())

    def get(self, code: str) -> Framework | None:
        c = self.resolve(code)
        return self.frameworks[c] if c else None

    def for_jurisdiction(self, jurisdiction: str, *, include_superseded: bool = False) -> list[Framework]:
        """National frameworks of a jurisdiction; 'GB' also matches 'GB-SCT', 'GB-ENG' …"""
        j = str(jurisdiction).strip().upper()
        out = []
        for f in self.frameworks.values():
            if f.kind != "national" or (f.status == "superseded" and not include_superseded):
                continue
            if any(x == j or x.startswith(j + "-") for x in f.jurisdictions):
                out.append(f)
        return out

    # ---- comparison --------------------------------------------------------------------
    def compare(self, framework: str, level: str, target: str) -> Comparison:
        """Levels of `target` comparable with `framework:level`. Never raises for unknown input."""
        key = (framework, level, target)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        result = self._compare(framework, level, target)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = result
        return result

    def _compare(self, framework: str, level: str, target: str) -> Comparison:
        src = self.resolve(framework)
        dst = self.resolve(target)
        given = f"{framework}:{level}"
        if src is None:
            return Comparison(UNKNOWN, given, target, notes=(f"unknown framework '{framework}'",))
        if dst is None:
            return Comparison(UNKNOWN, given, target, notes=(f"unknown framework '{target}'",))
        lv = self.frameworks[src].level(level)
        if lv is None:
            return Comparison(UNKNOWN, given, dst, notes=(f"'{level}' is not a level of {src}",))
        start = f"{src}:{lv.code}"
        if src == dst:
            return Comparison(COMPARABLE, start, dst, (lv.code,), (start,), "identity")
        routes = self._routes_between(src, dst)
        if not routes:
            return Comparison(UNKNOWN, start, dst, path=(start,),
                              notes=(f"no link connects {src} and {dst}",))
        first_unknown = None
        for length in range(1, MAX_HOPS + 1):
            results = [self._run(r, lv.code, start) for r in routes if len(r) == length]
            comparable = [c for c in results if c.status == COMPARABLE]
            if comparable:
                return min(comparable, key=lambda c: (-CONFIDENCE_RANK[c.confidence], c.partial,
                                                       len(c.levels), c.path))
            nones = [c for c in results if c.status == NONE]
            if nones:
                return min(nones, key=lambda c: (-CONFIDENCE_RANK[c.confidence], c.path))
            if first_unknown is None and results:
                first_unknown = min(results, key=lambda c: c.path)
        assert first_unknown is not None
        return first_unknown

    def _routes_between(self, src: str, dst: str) -> tuple[tuple[_Edge, ...], ...]:
        key = (src, dst)
        if key not in self._routes:
            found: list[tuple[_Edge, ...]] = []

            def walk(node, route, visited):
                if node == dst:
                    found.append(tuple(route))
                    return
                if len(route) == MAX_HOPS:
                    return
                for e in self._adj.get(node, ()):
                    if e.to not in visited:
                        walk(e.to, route + [e], visited | {e.to})

            walk(src, [], {src})
            found.sort(key=lambda r: (len(r), [e.to for e in r]))
            self._routes[key] = tuple(found)
        return self._routes[key]

    def _run(self, route: tuple[_Edge, ...], code: str, start: str) -> Comparison:
        codes: tuple[str, ...] = (code,)
        path = [start]
        confs: list[str] = []
        partial = False
        types = tuple(e.link.type for e in route)
        statuses = tuple(e.link.status for e in route)
        notes = tuple(f"{e.link.source} -> {e.link.to} link is legacy (not maintained)"
                      for e in route if e.link.status == "legacy")
        for e in route:
            step = self._hop(e, codes)
            confs.extend(step.confidences)
            if step.status != COMPARABLE:
                path.append(f"{e.to}:{'none' if step.status == NONE else '?'}")
                conf = weakest(confs) if confs else None
                lv = "/".join(codes)
                why = ((f"the source says {e.frm} level {lv} has no comparable level in {e.to}",)
                       if step.status == NONE else (f"no level row for {e.frm} level {lv} towards {e.to}",))
                return Comparison(step.status, start, route[-1].to, path=tuple(path),
                                  confidence=conf if step.status == NONE else None,
                                  inferred=any(c.startswith("inferred") for c in confs),
                                  derived=len(route) > 1, link_types=types, link_statuses=statuses,
                                  notes=why + notes)
            partial = partial or step.partial
            codes = step.levels
            path.append(f"{e.to}:{'|'.join(codes)}")
        conf = weakest(confs)
        return Comparison(COMPARABLE, start, route[-1].to, codes, tuple(path), conf,
                          inferred=any(c.startswith("inferred") for c in confs),
                          derived=len(route) > 1, partial=partial, link_types=types,
                          link_statuses=statuses, notes=notes)

    def _hop(self, e: _Edge, codes: tuple[str, ...]) -> _Step:
        out: set[str] = set()
        confs: list[str] = []
        n_none = n_unknown = 0
        if e.forward:
            rows = self._fwd[(e.frm, e.to)]
            for c in codes:
                r = rows.get(c)
                if r is None:
                    n_unknown += 1
                    continue
                confs.append(r.confidence)
                if r.targets is None:
                    n_none += 1
                else:
                    out.update(r.targets)
        else:
            key = (e.to, e.frm)
            rev, rev_none = self._rev[key], self._rev_none[key]
            for c in codes:
                hit = rev.get(c)
                if hit:
                    out.update(hit[0])
                    confs.extend(hit[1])
                elif c in rev_none:
                    n_none += 1
                    confs.append(e.link.confidence)
                else:
                    n_unknown += 1
        if out:
            order = self._ordinal[e.to]
            return _Step(COMPARABLE, tuple(sorted(out, key=order.__getitem__)), tuple(confs),
                         bool(n_none or n_unknown))
        if n_none and not n_unknown:
            return _Step(NONE, (), tuple(confs), False)
        return _Step(UNKNOWN, (), tuple(confs), False)

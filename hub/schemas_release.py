"""Snapshot the current canonical schemas as a released version (`nqf-hub schemas release`).

A new version file `released/<name>/v<N+1>.avsc` is written only for schemas whose parsing
canonical form changed since their last released version, and only if the current schema can
read data written with every released version (BACKWARD_TRANSITIVE).
"""
from __future__ import annotations

import json

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from hub.errors import SchemaError
from hub.schemas import Catalog


def compatible(reader: dict, writer: dict) -> bool:
    r = avro.schema.parse(json.dumps(reader))
    w = avro.schema.parse(json.dumps(writer))
    return (ReaderWriterCompatibilityChecker().get_compatibility(r, w).compatibility
            == SchemaCompatibilityType.compatible)


def check(cat: Catalog) -> list[str]:
    """Every incompatibility of a current schema with a released version."""
    problems = []
    for name, entry in sorted(cat.current.items()):
        for old in cat.released.get(name, []):
            if not compatible(entry.expanded, old.expanded):
                problems.append(f"{name}: cannot read data written with released {old.version}")
    return problems


def release(cat: Catalog) -> list[str]:
    problems = check(cat)
    if problems:
        raise SchemaError("not released; incompatible with released versions:\n  " + "\n  ".join(problems))
    written = []
    for name, entry in sorted(cat.current.items()):
        versions = cat.released.get(name, [])
        if versions and versions[-1].fingerprint == entry.fingerprint:
            continue
        d = cat.root / "released" / name
        d.mkdir(parents=True, exist_ok=True)
        p = d / f"v{len(versions) + 1}.avsc"
        p.write_text(json.dumps(entry.expanded, indent=2, ensure_ascii=False) + "\n")
        written.append(str(p.relative_to(cat.root)))
    return written

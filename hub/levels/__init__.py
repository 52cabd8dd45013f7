"""Qualification framework levels and the comparison engine.

Data: one YAML file per framework under `mappings/levels/` (levels in order as strings, links to
reference frameworks with type, source, year, status and confidence), validated against
`level_file.schema.json` when loaded. Use:

    cat = load_levels()                       # once per process; cached per directory
    cat.compare("IE-NFQ", "8", "UK-SCO-SCQF") # Comparison(status='comparable', levels=('9', '10'), …)

`compare` returns sets of levels ('comparable'), 'none' when a source says there is no
comparable level, or 'unknown' when there is no data; see `_engine` for how routes are chosen.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from hub.levels._engine import COMPARABLE, MAX_HOPS, NONE, UNKNOWN, Comparison, LevelCatalog
from hub.levels._loader import SCHEMA_PATH, load_dir
from hub.levels._model import CONFIDENCE_RANK, Framework, Level, Link, Row, is_inferred, weakest


@lru_cache(maxsize=4)
def _load(directory: str) -> LevelCatalog:
    return LevelCatalog(load_dir(directory).values())


def levels_dir(mappings_dir: Path | str | None = None) -> Path:
    if mappings_dir is None:
        from hub.config import load_settings
        mappings_dir = load_settings().mappings_dir
    return Path(mappings_dir) / "levels"


def load_levels(directory: Path | str | None = None) -> LevelCatalog:
    """The catalog of `directory` (default: <settings.mappings_dir>/levels), validated and cached.

    Raises `MappingFileError` listing every problem of every file when the data is invalid.
    """
    d = Path(directory) if directory is not None else levels_dir()
    return _load(str(d.resolve()))


__all__ = [
    "COMPARABLE", "CONFIDENCE_RANK", "Comparison", "Framework", "Level", "LevelCatalog", "Link",
    "MAX_HOPS", "NONE", "Row", "SCHEMA_PATH", "UNKNOWN", "is_inferred", "load_dir", "load_levels",
    "levels_dir", "weakest",
]

"""Split one fixed-width line into checked fields.

`RecordParser(layout)(line)` returns a dict field name -> value (trimmed text, `datetime.date`
for date fields, the normalised code for lookup fields, '' for blank optional fields) or raises
`LineError(field, reason)` for the first problem on the line. Reasons never quote the value.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from connectors.saqa_nlrd._layouts import Layout
from connectors.saqa_nlrd._lookups import TABLES


class LineError(Exception):
    """A line is rejected; `field` names the NLRD field ("(record length)" for the whole line)."""

    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


@lru_cache(maxsize=4096)
def parse_ccyymmdd(v: str) -> dt.date | None:
    """A CCYYMMDD date, or None when `v` is not one."""
    if len(v) != 8 or not v.isdigit():
        return None
    try:
        return dt.date(int(v[:4]), int(v[4:6]), int(v[6:]))
    except ValueError:
        return None


def _code_checker(table_name: str):
    table = TABLES[table_name]

    def check(v: str) -> str:
        if v in table:
            return v
        if v.isdigit():                     # zero-padded numeric codes ('015' for '15')
            w = v.lstrip("0") or "0"
            if w in table:
                return w
        raise ValueError(f"unknown code in lookup '{table_name}'")
    return check


def _date_check(v: str) -> dt.date:
    d = parse_ccyymmdd(v)
    if d is None:
        raise ValueError("not a date in CCYYMMDD form")
    return d


def _digits_check(v: str) -> str:
    if not v.isdigit():
        raise ValueError("must contain only digits")
    return v


class RecordParser:
    """Callable parser for one layout; built once per file, called once per line."""

    def __init__(self, layout: Layout):
        self.layout = layout
        self.length = layout.record_length
        plan = []
        for f in layout.fields:
            if f.kind == "date":
                check = _date_check
            elif f.kind == "digits":
                check = _digits_check
            elif f.kind.startswith("code:"):
                check = _code_checker(f.kind[5:])
            else:
                check = None
            plan.append((f.name, f.start, f.start + f.length, f.required == "Y", check))
        self._plan = tuple(plan)

    def __call__(self, line: str) -> dict:
        if len(line) != self.length:
            raise LineError("(record length)", f"record is {len(line)} characters long; File {self.layout.file_no} "
                                  f"records are {self.length}")
        rec = {}
        for name, s, e, required, check in self._plan:
            v = line[s:e].strip()
            if not v:
                if required:
                    raise LineError(name, "is required but blank")
                rec[name] = ""
                continue
            if check is not None:
                try:
                    v = check(v)
                except ValueError as err:
                    raise LineError(name, str(err)) from None
            rec[name] = v
        return rec

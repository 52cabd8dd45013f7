"""Format NLRD fixed-width lines from field values (used by fixtures, tests and benchmarks).

`format_line('25', {'National_Id': '...', ...})` left-aligns and space-pads each value to its
field length; dates may be given as `datetime.date`. A value longer than its field raises
ValueError (so a generator cannot silently shift the columns).
"""
from __future__ import annotations

import datetime as dt

from connectors.saqa_nlrd._layouts import LAYOUTS


def format_line(file_no: str, values: dict) -> str:
    layout = LAYOUTS[file_no]
    unknown = set(values) - {f.name for f in layout.fields}
    if unknown:
        raise ValueError(f"not fields of File {file_no}: {', '.join(sorted(unknown))}")
    parts = []
    for f in layout.fields:
        v = values.get(f.name, "")
        if isinstance(v, dt.date):
            v = v.strftime("%Y%m%d")
        v = str(v)
        if len(v) > f.length:
            raise ValueError(f"{f.name} is longer than {f.length}")
        parts.append(v.ljust(f.length))
    return "".join(parts)

"""Value transforms a field mapping can chain (validated at load, applied per cell).

Each builder takes the transform's settings and returns a function value -> value that raises
`CellError(reason)` for a bad value; the reason never quotes the value. `None` means "empty"
and passes through every transform except `default`.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache


class CellError(Exception):
    pass


@lru_cache(maxsize=4096)
def _slug(v: str) -> str:
    v = unicodedata.normalize("NFKD", v).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", v.lower()).strip("-")


def _number(v):
    try:
        x = float(str(v).replace(",", "").strip())
    except ValueError:
        raise CellError("is not a number") from None
    if x != x or x in (float("inf"), float("-inf")):
        raise CellError("is not a number")
    return x


def _integer(v):
    x = _number(v)
    if not x.is_integer():
        raise CellError("is not a whole number")
    return int(x)


def _iso_date(v):
    try:
        return dt.date.fromisoformat(str(v)[:10]).isoformat()
    except ValueError:
        raise CellError("is not a date in YYYY-MM-DD form") from None


SIMPLE = {
    "upper": lambda v: v.upper(),
    "lower": lambda v: v.lower(),
    "title": lambda v: v.title(),
    "slug": _slug,
    "number": _number,
    "integer": _integer,
    "iso_date": _iso_date,
}


def date(formats):
    formats = [formats] if isinstance(formats, str) else list(formats)
    shown = " or ".join(formats)

    @lru_cache(maxsize=4096)          # exports repeat the same few thousand dates
    def f(v):
        for fmt in formats:
            try:
                return dt.datetime.strptime(v, fmt).date().isoformat()
            except ValueError:
                continue
        raise CellError(f"is not a date in the form {shown}")
    return f


def lookup(table: dict, name: str, unknown: str = "reject"):
    folded = {str(k).casefold(): v for k, v in table.items()}

    def f(v):
        key = str(v).casefold()
        if key in folded:
            return folded[key]
        if unknown == "keep":
            return v
        if unknown == "null":
            return None
        raise CellError(f"unknown code in lookup '{name}'")
    return f


def level(framework: str, pattern: str | None = None, unmatched: str = "reject"):
    rx = re.compile(pattern, re.IGNORECASE) if pattern else None

    def f(v):
        code = str(v).strip()
        if rx is not None:
            m = rx.fullmatch(code)
            if not m:
                if unmatched == "skip":
                    return None
                raise CellError(f"is not a level of {framework} in the expected form")
            code = m.group(1) if m.groups() else m.group(0)
            code = code.lstrip("0") or code if code.isdigit() else code
        return {"framework": framework, "code": code}
    return f


def split_name(part: str, order: str = "given_first"):
    """'Given Names Family' (given_first) or 'Family Given Names' (family_first); a comma always
    means 'Family, Given'. A single word is the family name."""
    def f(v):
        s = " ".join(str(v).split())
        if "," in s:
            family, _, given = (x.strip() for x in s.partition(","))
        else:
            words = s.split(" ")
            if len(words) == 1:
                family, given = words[0], ""
            elif order == "given_first":
                family, given = words[-1], " ".join(words[:-1])
            else:
                family, given = words[0], " ".join(words[1:])
        out = given if part == "given" else family
        return out or None
    return f


def regex(pattern: str, group: int = 1, unmatched: str = "reject"):
    rx = re.compile(pattern)

    def f(v):
        m = rx.search(str(v))
        if not m:
            if unmatched == "null":
                return None
            raise CellError("does not have the expected form")
        return m.group(group if m.groups() else 0)
    return f


def prefix(p: str):
    return lambda v: p + str(v)


def identifier(scheme: str):
    return lambda v: {"scheme": scheme, "value": str(v)}

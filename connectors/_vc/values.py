"""Typed readers for VC field values; each raises `ValueProblem(reason)` naming no value.

The mappings call these with a field path and turn a `ValueProblem` into a located DecodeError.
"""
from __future__ import annotations

import datetime as dt
import re

UTC = dt.timezone.utc
_COUNTRY = re.compile(r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")
_ISCED_F = re.compile(r"^(\d{2,4})(\s|$|[^\d])")


class ValueProblem(ValueError):
    pass


def timestamp(s) -> dt.datetime:
    """An ISO-8601 / RFC 3339 date-time (a bare date is read as midnight UTC) -> aware UTC."""
    if not isinstance(s, str):
        raise ValueProblem("must be a date-time string")
    try:
        t = dt.datetime.fromisoformat(s.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueProblem("is not a valid ISO-8601 date-time") from None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def local_date(s) -> dt.date:
    """The calendar date as written (the issuer's own date, not shifted to UTC)."""
    if not isinstance(s, str):
        raise ValueProblem("must be a date string")
    if "T" in s or "t" in s:
        timestamp(s)   # a date-time: the whole value must be valid, the date part is used
    try:
        return dt.date.fromisoformat(s.strip()[:10])
    except ValueError:
        raise ValueProblem("is not a valid ISO-8601 date") from None


def country(code) -> str | None:
    """ISO 3166-1 alpha-2 (or a subdivision like GB-SCT), upper-cased; None when absent."""
    if code is None:
        return None
    if not isinstance(code, str) or not _COUNTRY.match(code.strip()):
        raise ValueProblem("is not an ISO 3166-1 alpha-2 country code")
    return code.strip().upper()


def isced_f(value) -> str | None:
    """The ISCED-F 2013 code at the start of a field-of-study value, or None if it has none."""
    if not isinstance(value, str):
        return None
    m = _ISCED_F.match(value.strip())
    return m.group(1) if m else None


def text(value, langs: tuple[str, ...] = ("en",)) -> str | None:
    """A plain string from a string, a JSON-LD language map ({'en': 'x'} / {'en': ['x']}) or a
    list of {'@value', '@language'} objects; prefers `langs`, else the first language."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        vals = [v for v in value if v is not None]
        if vals and all(isinstance(v, dict) and "@value" in v for v in vals):
            for lang in langs:
                for v in vals:
                    if v.get("@language") == lang:
                        return str(v["@value"])
            return str(vals[0]["@value"])
        return text(vals[0], langs) if vals else None
    if isinstance(value, dict):
        if "@value" in value:
            return str(value["@value"])
        for lang in langs:
            if lang in value:
                return text(value[lang], langs)
        for v in value.values():
            return text(v, langs)
    return None

"""Decoding a consent register, one consent action per row / object.

Columns (CSV header, or keys of a JSON object); names are matched case-insensitively:

  consent_id     required; the register's id of the consent (not personal data by itself)
  action         recorded (default) | withdrawn
  timestamp      when the learner gave or withdrew the consent (ISO 8601 date or date-time, UTC
                 unless an offset is given); required
  id_scheme      identifier scheme, the same the credential sources use (e.g. za-id)
  id_value       identifier value                        } at least one of id_value or email
  email          e-mail address                          } (JSON: also national_ids: [{scheme, value}])
  given_names, family_name, birth_date   optional, for the learner record
  purposes       required when recorded; ';', '|' or ',' separated in CSV, an array in JSON
  partners       partner ids; empty = any partner for the purposes
  valid_until    optional ISO date or date-time
  jurisdiction   the learner's data-protection jurisdiction (ISO 3166-1/-2); default: the
                 source's jurisdiction (--jurisdiction / the HTTP token's)
  given_by       optional: the register's reference of the person who gave it (never a name)
  capacity       optional: learner | parent_guardian | legal_representative (who consents for
                 a child, where the law says so, is checked by the policy engine)
  notice_version optional: version of the privacy notice shown
  recipient_countries  optional ISO 3166-1 alpha-2 codes named in the consent (separated like
                 purposes); empty = no country named

The format is sniffed from the content: '{' or '[' first means JSON (one object, an array of
objects, or JSON Lines), anything else CSV (UTF-8, comma separated, header row first).
Errors name the file, line or record and column, never the value.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator

from hub.sdk.events import millis
from hub.errors import DecodeError, InputTooLarge
from hub.sdk.inbound import DecodeContext, Decoded, Inbound, Source, SourceDefaults
from hub.sdk.limits import check_json_limits, load_json_document, read_bounded

UTC = dt.timezone.utc
COLUMNS = ("consent_id", "action", "timestamp", "id_scheme", "id_value", "email", "given_names",
           "family_name", "birth_date", "purposes", "partners", "valid_until", "jurisdiction",
           "given_by", "capacity", "notice_version", "recipient_countries")
CAPACITIES = ("learner", "parent_guardian", "legal_representative")
_SPLIT = re.compile(r"[;|,]")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_JURIS = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _ts(v, field: str) -> dt.datetime:
    s = str(v).strip()
    try:
        if len(s) == 10:
            d = dt.date.fromisoformat(s)
            t = dt.datetime(d.year, d.month, d.day, tzinfo=UTC)
        else:
            t = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
            t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    except ValueError:
        raise DecodeError("not an ISO 8601 date or date-time", field=field) from None
    return millis(t)


def _list(v, field: str) -> list[str]:
    if v is None or v == "":
        return []
    items = v if isinstance(v, list) else _SPLIT.split(str(v))
    out = []
    for x in items:
        if not isinstance(x, str):
            raise DecodeError("must be a list of strings", field=field)
        x = x.strip()
        if x:
            if not _ID.match(x):
                raise DecodeError("ids must be lower-case letters, digits, '_' and '-'", field=field)
            out.append(x)
    return sorted(set(out))


def _str(row: dict, k: str) -> str | None:
    v = row.get(k)
    if v is None:
        return None
    if not isinstance(v, str):
        raise DecodeError("must be a string", field=k)
    return v.strip() or None


def to_event(row: dict, ctx: DecodeContext) -> dict:
    """One register row (keys lower-cased) -> a ConsentRecorded / ConsentWithdrawn event."""
    cid = _str(row, "consent_id")
    if not cid:
        raise DecodeError("consent_id is required", field="consent_id")
    if len(cid) > 200:
        raise DecodeError("consent_id is longer than 200 characters", field="consent_id")
    action = (_str(row, "action") or "recorded").lower()
    if action not in ("recorded", "withdrawn"):
        raise DecodeError("action must be recorded or withdrawn", field="action")
    if not row.get("timestamp"):
        raise DecodeError("timestamp is required", field="timestamp")
    at = _ts(row["timestamp"], "timestamp")
    ids = []
    if isinstance(row.get("national_ids"), list):
        for i, n in enumerate(row["national_ids"]):
            if not isinstance(n, dict) or not n.get("scheme") or not n.get("value"):
                raise DecodeError("each national id needs scheme and value", field=f"national_ids[{i}]")
            ids.append({"scheme": str(n["scheme"]).strip(), "value": str(n["value"]).strip()})
    value = _str(row, "id_value")
    if value:
        scheme = _str(row, "id_scheme")
        if not scheme:
            raise DecodeError("id_scheme is required with id_value", field="id_scheme")
        ids.append({"scheme": scheme, "value": value})
    email = _str(row, "email")
    if email and not _EMAIL.match(email):
        raise DecodeError("not an e-mail address", field="email")
    if not ids and not email:
        raise DecodeError("the learner needs id_scheme + id_value or email", field="id_value")
    birth = _str(row, "birth_date")
    learner = {"given_names": _str(row, "given_names"), "family_name": _str(row, "family_name"),
               "birth_date": _ts(birth, "birth_date").date() if birth else None,
               "national_ids": ids, "email": email, "gender": None, "citizenship": None,
               "ethnicity": None, "disability": None, "home_language": None, "functional_ratings": None}
    juris = _str(row, "jurisdiction")
    if juris and not _JURIS.match(juris.upper()):
        raise DecodeError("not an ISO 3166 code", field="jurisdiction")
    etype = "ConsentRecorded" if action == "recorded" else "ConsentWithdrawn"
    header = ctx.header(etype, subject=cid, record_ref=f"{cid}@{at.isoformat()}", occurred_at=at,
                        subject_jurisdiction=juris.upper() if juris else None)
    if etype == "ConsentWithdrawn":
        return {"header": header, "consent_id": cid, "learner": learner}
    purposes = _list(row.get("purposes"), "purposes")
    if not purposes:
        raise DecodeError("a recorded consent names at least one purpose", field="purposes")
    until = row.get("valid_until")
    return {"header": header, "consent_id": cid, "learner": learner, "purposes": purposes,
            "partners": _list(row.get("partners"), "partners"),
            "valid_until": _ts(until, "valid_until") if until else None, **_provenance(row)}


def _provenance(row: dict) -> dict:
    """Who gave a recorded consent, in what capacity, under which notice, naming which countries."""
    by, cap, notice = _str(row, "given_by"), _str(row, "capacity"), _str(row, "notice_version")
    for k, v in (("given_by", by), ("notice_version", notice)):
        if v is not None and len(v) > 200:
            raise DecodeError(f"{k} is longer than 200 characters", field=k)
    if cap is not None and cap.lower() not in CAPACITIES:
        raise DecodeError("capacity must be one of " + ", ".join(CAPACITIES), field="capacity")
    raw = row.get("recipient_countries")
    raw = [x.lower() if isinstance(x, str) else x for x in raw] if isinstance(raw, list) else \
        (raw.lower() if isinstance(raw, str) else raw)
    countries = [c.upper() for c in _list(raw, "recipient_countries")]
    if any(not re.fullmatch(r"[A-Z]{2}", c) for c in countries):
        raise DecodeError("recipient_countries must be ISO 3166-1 alpha-2 codes", field="recipient_countries")
    return {"given_by": by, "given_by_capacity": cap.lower() if cap else None, "notice_version": notice,
            "recipient_countries": countries}


class ConsentRegisterInbound(Inbound):
    name = "consent"
    format_version = "nqf-hub consent register 1 (CSV with header row, JSON, JSON Lines)"
    event_types = ("ConsentRecorded", "ConsentWithdrawn")
    defaults = SourceDefaults("consent-register", "public_body", "ZZ")
    guarantee = ("at-least-once into hub.ingress, keyed by consent id; event ids derive from consent id "
                 "and timestamp, so re-sending a register is idempotent")

    def decode(self, source: Source, ctx: DecodeContext) -> Iterator[Decoded | DecodeError]:
        with source.open() as f:
            head = f.read(1024)
            f.seek(0)
            first = head.lstrip()[:1]
            if first in (b"{", b"["):
                yield from self._json(f, source, ctx)
            else:
                yield from self._csv(f, source, ctx)

    def _row(self, row: dict, ctx, source, raw: bytes, n: int, line: int | None):
        try:
            ev = to_event({str(k).strip().lower(): v for k, v in row.items() if k is not None}, ctx)
        except DecodeError as e:
            e.raw = raw
            return e.located(file=source.name, record=n, line=line)
        return Decoded(ev, raw=raw, record=n, line=line)

    def _csv(self, f, source: Source, ctx: DecodeContext):
        text = io.TextIOWrapper(f, encoding="utf-8-sig", newline="")
        limit = ctx.limits.max_line_bytes
        try:
            reader = csv.DictReader(text)
            header = [h.strip().lower() for h in reader.fieldnames or []]
        except UnicodeDecodeError:
            yield DecodeError("not UTF-8 text", file=source.name, line=1)
            return
        except csv.Error as e:
            yield DecodeError(f"the header row is not readable CSV ({e.__class__.__name__})",
                              file=source.name, line=1, field="(header)")
            return
        if "consent_id" not in header:
            yield DecodeError("the header row has no consent_id column (columns: " + ", ".join(COLUMNS) + ")",
                              file=source.name, line=1, field="consent_id")
            return
        n = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (UnicodeDecodeError, csv.Error) as e:
                yield DecodeError(f"unreadable CSV row ({e.__class__.__name__})", file=source.name,
                                  line=reader.line_num)
                return
            n += 1
            raw = ",".join(v or "" for v in row.values() if isinstance(v, str)).encode()
            if len(raw) > limit:
                yield InputTooLarge(f"row longer than {limit} bytes", file=source.name, record=n,
                                    line=reader.line_num)
                continue
            if None in row:
                yield DecodeError("more values than header columns", file=source.name, record=n,
                                  line=reader.line_num)
                continue
            yield self._row(row, ctx, source, raw, n, reader.line_num)

    def _json(self, f, source: Source, ctx: DecodeContext):
        limits = ctx.limits
        try:
            data = read_bounded(f, limits.max_document_bytes, file=source.name)
        except InputTooLarge as e:
            yield e
            return
        objs: list[tuple[object, int | None, bytes]] = []
        try:
            doc = json.loads(data)
            items = doc if isinstance(doc, list) else [doc]
            objs = [(o, None, json.dumps(o).encode()) for o in items]
            check_json_limits(doc, limits, file=source.name)
        except json.JSONDecodeError:
            # JSON Lines
            for ln, raw in enumerate(data.splitlines(), start=1):
                if not raw.strip():
                    continue
                try:
                    o = load_json_document(raw, limits, file=source.name, record=ln, line=ln)
                except DecodeError as e:
                    yield e.located(line=ln)
                    continue
                objs.append((o, ln, raw))
        except UnicodeDecodeError:
            yield DecodeError("not UTF-8 text", file=source.name, record=1)
            return
        except ValueError:   # int max_str_digits ("Exceeds the limit (4300 digits)")
            yield InputTooLarge("a number has more digits than the parser allows", file=source.name)
            return
        except RecursionError:
            yield InputTooLarge(f"nesting deeper than {limits.max_depth}", file=source.name)
            return
        except DecodeError as e:
            yield e
            return
        for n, (o, ln, raw) in enumerate(objs, start=1):
            if not isinstance(o, dict):
                yield DecodeError("each consent must be a JSON object", file=source.name, record=n, line=ln)
                continue
            yield self._row(o, ctx, source, raw, n, ln)

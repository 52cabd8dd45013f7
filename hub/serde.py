"""Wire format of canonical events.

Two framings, both decodable without asking the hub:
- Avro single-object encoding (no registry): 0xC3 0x01 + 8-byte little-endian CRC-64-AVRO
  fingerprint of the writer schema + Avro binary body. The writer schema is found among the
  schemas shipped in schemas/avro (current and released).
- Confluent framing (when `NQF_HUB_SCHEMA_REGISTRY_URL` is set): 0x00 + 4-byte big-endian schema
  id + Avro binary body. Subjects use the record-name strategy (`nqfhub.events.CredentialIssued`).

Records are Python dicts as fastavro represents them (date, datetime with tzinfo=UTC).
"""
from __future__ import annotations

import io
import json
import struct
import threading

import fastavro
import httpx

from hub.errors import SchemaError, SerdeError
from hub.schemas import Catalog, SchemaEntry, catalog, event_schema_name

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
CONFLUENT_MAGIC = b"\x00"


class RegistryClient:
    """A minimal Confluent-compatible schema registry client (register, fetch by id), cached."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self._http = httpx.Client(timeout=timeout)
        self._ids: dict[str, int] = {}
        self._schemas: dict[int, dict] = {}
        self._lock = threading.Lock()

    def register(self, subject: str, schema: dict) -> int:
        key = subject + json.dumps(schema, sort_keys=True)
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        try:
            r = self._http.post(f"{self.url}/subjects/{subject}/versions",
                                json={"schema": json.dumps(schema)},
                                headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
            r.raise_for_status()
        except httpx.HTTPError as e:
            raise SchemaError(f"schema registry: cannot register {subject}: {e.__class__.__name__}") from None
        sid = int(r.json()["id"])
        with self._lock:
            self._ids[key] = sid
            self._schemas[sid] = schema
        return sid

    def fetch(self, schema_id: int) -> dict:
        with self._lock:
            if schema_id in self._schemas:
                return self._schemas[schema_id]
        try:
            r = self._http.get(f"{self.url}/schemas/ids/{schema_id}")
            r.raise_for_status()
        except httpx.HTTPError as e:
            raise SerdeError(f"schema registry: cannot fetch schema id {schema_id}: {e.__class__.__name__}") from None
        schema = json.loads(r.json()["schema"])
        with self._lock:
            self._schemas[schema_id] = schema
        return schema


class Serde:
    """Encode and decode canonical events and hub records. Thread-safe; build one per process."""

    def __init__(self, cat: Catalog | None = None, registry_url: str | None = None):
        self.catalog = cat or catalog()
        self.registry = RegistryClient(registry_url) if registry_url else None
        self._by_registry_id: dict[int, tuple[str, dict]] = {}

    # ---- encode ------------------------------------------------------------------------
    def encode(self, record: dict, schema_name: str | None = None) -> bytes:
        """Encode `record`; for canonical events the schema follows header.event_type."""
        name = schema_name or event_schema_name(record["header"]["event_type"])
        entry = self.catalog.get(name)
        buf = io.BytesIO()
        if self.registry:
            sid = self.registry.register(name, entry.expanded)
            buf.write(CONFLUENT_MAGIC + struct.pack(">I", sid))
        else:
            buf.write(SINGLE_OBJECT_MAGIC + entry.fingerprint)
        try:
            fastavro.schemaless_writer(buf, entry.parsed, record)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            # fastavro's messages can quote values; keep only the class and the field it names.
            raise SerdeError(f"record does not match schema {name}: {_safe_reason(e)}") from None
        return buf.getvalue()

    # ---- decode ------------------------------------------------------------------------
    def decode(self, data: bytes) -> tuple[str, dict]:
        """Return (schema full name, record) read with the current schema of that name."""
        if data[:2] == SINGLE_OBJECT_MAGIC and len(data) >= 10:
            writer = self.catalog.by_fingerprint.get(bytes(data[2:10]))
            if writer is None:
                raise SerdeError("single-object fingerprint is not a known schema")
            reader = self.catalog.current.get(writer.name)
            body = data[10:]
            return writer.name, self._read(body, writer.parsed,
                                           None if reader is None or reader is writer else reader.parsed)
        if data[:1] == CONFLUENT_MAGIC and len(data) >= 5 and self.registry:
            sid = struct.unpack(">I", data[1:5])[0]
            if sid not in self._by_registry_id:
                schema = self.registry.fetch(sid)
                name = f"{schema.get('namespace')}.{schema['name']}"
                self._by_registry_id[sid] = (name, fastavro.parse_schema(schema))
            name, writer = self._by_registry_id[sid]
            reader = self.catalog.current.get(name)
            return name, self._read(data[5:], writer, reader.parsed if reader else None)
        raise SerdeError("value is neither Avro single-object encoded nor Confluent framed")

    @staticmethod
    def _read(body: bytes, writer, reader):
        try:
            return fastavro.schemaless_reader(io.BytesIO(body), writer, reader)
        except Exception as e:  # noqa: BLE001 - fastavro raises many classes on corrupt bytes
            raise SerdeError(f"cannot decode Avro body: {e.__class__.__name__}") from None

    def entry(self, name: str) -> SchemaEntry:
        return self.catalog.get(name)


def _safe_reason(e: Exception) -> str:
    msg = str(e)
    # fastavro: "<value> (type <class>) do not match <schema>" / "on field <name>"
    if "on field" in msg:
        return f"{e.__class__.__name__} on field {msg.rsplit('on field', 1)[1].strip()}"
    return e.__class__.__name__


_default: Serde | None = None


def default_serde() -> Serde:
    global _default
    if _default is None:
        from hub.config import load_settings
        s = load_settings()
        _default = Serde(catalog(s.schemas_dir), s.schema_registry_url)
    return _default

"""On-disk index of File 25 persons, so that File 29 can be joined with flat memory.

While File 25 streams, each valid person is written to a SQLite table in a private temporary
directory, keyed by the join key(s): 'N<National_Id>' and/or 'A<type>:<Person_Alternate_Id>'.
File 29 then looks each achievement's person up by key. SQLite's page cache is capped
(`CACHE_KIB`), so memory stays flat however many persons a load holds; the database is deleted
when the load ends (also when the iterator is closed early). Personal data lives only in that
private directory (mode 0700) for the duration of the load.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile

CACHE_KIB = 16 * 1024        # SQLite page cache: 16 MiB
BATCH = 5000                 # rows per executemany while indexing
SEP = "\x1f"                 # unit separator: cannot occur in a fixed-width ASCII field


def national_key(national_id: str) -> str:
    return "N" + national_id


def alternate_key(id_type: str, alt_id: str) -> str:
    return f"A{id_type}:{alt_id}"


class PersonIndex:
    """Write persons (`add`, then `flush`), then read them (`get`). Use as a context manager."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="nqfhub-nlrd-")
        os.chmod(self._dir.name, 0o700)
        self._db = sqlite3.connect(os.path.join(self._dir.name, "persons.db"))
        cur = self._db.cursor()
        for pragma in ("journal_mode=OFF", "synchronous=OFF", f"cache_size=-{CACHE_KIB}",
                       "temp_store=FILE", "locking_mode=EXCLUSIVE"):
            cur.execute(f"PRAGMA {pragma}")
        cur.execute("CREATE TABLE persons (k TEXT PRIMARY KEY, v TEXT NOT NULL) WITHOUT ROWID")
        self._pending: list[tuple[str, str]] = []
        self.count = 0

    def add(self, keys: list[str], fields: list[str]) -> None:
        """Index one person under each of `keys`; a later person with the same key replaces it."""
        v = SEP.join(fields)
        for k in keys:
            self._pending.append((k, v))
        self.count += 1
        if len(self._pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self._pending:
            self._db.executemany("INSERT OR REPLACE INTO persons (k, v) VALUES (?, ?)", self._pending)
            self._db.commit()
            self._pending.clear()

    def get(self, key: str) -> list[str] | None:
        row = self._db.execute("SELECT v FROM persons WHERE k = ?", (key,)).fetchone()
        return row[0].split(SEP) if row else None

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            self._dir.cleanup()

    def __enter__(self) -> "PersonIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

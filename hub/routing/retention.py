"""Bounded retention of the router's tables: `recipients`, `closed_holds`, `consent_joins`.

Each row records the partition whose changelog holds it (`p`: the partition of the input record
that wrote it; faust writes a row to the changelog partition of the event being processed) and
when it was last written (`t`, epoch seconds). A sweep deletes the rows of one partition not
written for longer than their table's TTL; faust writes a tombstone to the changelog, so the
deletion survives a restart (the changelog is compacted: deleted rows disappear from it too).

The sweep runs inside the stream: the retention timer (hub.routing.app) writes one tick record
per partition to `<prefix>.release.auto` (header `nqfhub.retention`); the routing agent, on
reading the tick of partition p, sweeps the rows with p = p, while the current event is the tick
(so each tombstone goes to the row's changelog partition). The consent join sweeps its table on
its own ticks (hub.routing.consent.JoinProcessor): it drops entries that became empty at once
and entries with no waiting hold that were not written for `consent_joins`.

What the TTLs mean:
- recipients: a revocation later than this after the last delivery of the credential reaches no
  partner (default 5 years);
- closed_holds: a repeated release request for the same hold later than this is processed again
  (partners de-duplicate by event id); keep it above the hold TTL plus the release topics'
  retention (default 60 days);
- consent_joins: a recorded consent that nothing touched for this long is forgotten; holds still
  waiting keep their entry until they expire (default 400 days).
Rows written before retention existed (no `p`/`t`) are kept until they are written again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

RETENTION_HEADER = "nqfhub.retention"     # a tick on <prefix>.release.auto


@dataclass(frozen=True)
class TableRetention:
    recipients: dt.timedelta = dt.timedelta(days=1825)
    closed_holds: dt.timedelta = dt.timedelta(days=60)
    consent_joins: dt.timedelta = dt.timedelta(days=400)

    def sweep_interval(self) -> float:
        """Seconds between sweeps: a quarter of the shortest TTL, between 0.5 s and 1 hour."""
        shortest = min(self.recipients, self.closed_holds, self.consent_joins).total_seconds()
        return min(3600.0, max(0.5, shortest / 4))


def is_tick(headers) -> bool:
    if isinstance(headers, dict):
        return RETENTION_HEADER in headers
    return any(k == RETENTION_HEADER for k, _ in headers or [])


def _partition(origin) -> int | None:
    return origin[1] if origin else None


# ---- recipients: credential id -> partners that received it ------------------------------------
def recipients_of(value) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):          # a row written before retention
        return value
    return list(value.get("partners") or [])


def recipients_row(partners, origin, now: dt.datetime) -> dict:
    return {"partners": sorted(partners), "p": _partition(origin), "t": now.timestamp()}


# ---- closed_holds: hold (or erasure target) -> how it was closed -------------------------------
def closed_row(outcome: str, origin, now: dt.datetime) -> dict:
    return {"outcome": outcome, "p": _partition(origin), "t": now.timestamp()}


# ---- the sweep -----------------------------------------------------------------------------------
def expired(row, partition: int, now: dt.datetime, ttl: dt.timedelta) -> bool:
    return (isinstance(row, dict) and row.get("p") == partition and isinstance(row.get("t"), (int, float))
            and row["t"] < now.timestamp() - ttl.total_seconds())


def sweep_table(table, partition: int, now: dt.datetime, ttl: dt.timedelta) -> int:
    """Delete the rows of `partition` last written longer than `ttl` ago; returns how many."""
    gone = [k for k, row in list(table.items()) if expired(row, partition, now, ttl)]
    for k in gone:
        del table[k]
    return len(gone)


def sweep_router_tables(recipients, closed, partition: int, now: dt.datetime,
                        retention: TableRetention) -> dict:
    """The routing agent's sweep on a retention tick of `partition`."""
    return {"recipients": sweep_table(recipients, partition, now, retention.recipients),
            "closed_holds": sweep_table(closed, partition, now, retention.closed_holds)}

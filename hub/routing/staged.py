"""Table writes of a batch that become durable only after the batch's outputs are acknowledged.

The router's agents decide from faust tables and write them while they handle a record: the
release handler marks a hold closed (`closed_holds`) so a repeated request changes nothing, the
consent join drops a hold it has asked to release from its entry (`consent_joins`). faust sends
such a write to the table's changelog at once (`send_soon`), while the outputs the write stands
for (the partner copy, the audit record, the release request) are produced and acknowledged at
the end of the batch. A kill -9 in between left the changelog saying "released" with no release
written; the batch, not committed, was read again after the restart, and the restored table
turned the request into a duplicate that produces nothing: the release was lost for good.

`StagedTable` is the table as the agent sees it during a batch: reads see the batch's own writes
and deletions, the table itself is untouched until `apply()`, which the agent calls after the
outputs are acknowledged. A crash before `apply` leaves table and outputs as they were, so the
re-read batch decides again (at-least-once; partners de-duplicate by event id). Each staged write
keeps the faust "current event" it was made under, so `apply` writes it to that event's
changelog partition, as a direct write would have.
"""
from __future__ import annotations

from collections.abc import MutableMapping

__all__ = ["StagedTable"]

_DELETED = object()


class StagedTable(MutableMapping):
    def __init__(self, table, current_event=None):
        """`table`: a faust Table (or any mapping); `current_event`: faust's context variable of
        the event being processed (hub.runtime.faust_patches.current_event), None for a dict."""
        self.table = table
        self._event = current_event
        self._staged: dict = {}         # key -> (event reference, value or _DELETED)

    def _ref(self):
        return self._event.get(None) if self._event is not None else None

    def __getitem__(self, key):
        if key in self._staged:
            value = self._staged[key][1]
            if value is _DELETED:
                raise KeyError(key)
            return value
        return self.table[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key) -> bool:
        if key in self._staged:
            return self._staged[key][1] is not _DELETED
        return key in self.table

    def __setitem__(self, key, value) -> None:
        self._staged[key] = (self._ref(), value)

    def __delitem__(self, key) -> None:
        if key not in self:
            raise KeyError(key)
        self._staged[key] = (self._ref(), _DELETED)

    def __iter__(self):
        for key in list(self.table):
            if key not in self._staged:
                yield key
        for key, (_, value) in list(self._staged.items()):
            if value is not _DELETED:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    @property
    def pending(self) -> int:
        """Writes and deletions not applied yet."""
        return len(self._staged)

    def apply(self) -> None:
        """Write the staged rows to the table (call after the outputs they stand for are
        acknowledged), each under the event it was staged in."""
        staged, self._staged = self._staged, {}
        for key, (ref, value) in staged.items():
            token = self._event.set(ref) if self._event is not None else None
            try:
                if value is _DELETED:
                    self.table.pop(key, None)
                else:
                    self.table[key] = value
            finally:
                if token is not None:
                    self._event.reset(token)

    def discard(self) -> None:
        """Forget the staged writes (what a crash before `apply` amounts to)."""
        self._staged = {}

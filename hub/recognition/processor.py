"""The recognition processor's per-record logic, independent of the stream framework.

`RecognitionCore.handle(value, key, origin, tables, now)` takes one record of hub.ingress and
returns the records it causes:

  - reference and credential events (QualificationPublished, InstitutionPublished,
    AccreditationChanged, CredentialIssued, CredentialRevoked) are folded into the tables with
    the row functions and merge rules of `hub.recognition.rows`; they cause no output, except
    that a CredentialIssued releases the requests that were waiting for it;
  - a RecognitionRequested whose credential is known is decided at once: one signed
    RecognitionDecided on <prefix>.recognition, keyed by credential id; otherwise it is parked
    in the `pending` table until the credential arrives or its deadline (`wait_s`) passes;
  - a record that cannot be decoded becomes one dead letter with its original bytes (stage
    "recognition"); so does a request that cannot be decided for a hub-level reason.

`RecognitionCore.sweep(tables, now)` is called periodically (the faust app: every second): it
decides the parked requests whose credential has arrived meanwhile and, with
`timed_out=True` (CANNOT_DETERMINE, CREDENTIAL_NOT_RECEIVED), those whose deadline has passed.

Removing a request from `pending` is deferred: `handle` and `sweep` append the removals to the
`deferred` list they are given, and the caller applies them with `settle()` only after every
output has been acknowledged by Kafka. A crash in between therefore decides a request twice
(the decision id is deterministic, partners de-duplicate by event id), never zero times.
Without a `deferred` list (plain loops, tests) removals are applied at once.

While its removal is deferred a request is *in flight*: decided, the decision not yet
acknowledged, the request still in `pending`. The faust worker's agent and its sweep timer
interleave at every await (the agent awaits the broker's acknowledgement while the timer runs),
so without a guard the other one found the request still parked and decided it again: the same
decision id twice, and with different outcomes when the sweep timed a request out
(CANNOT_DETERMINE) while the agent was releasing it because its credential had just arrived.
So `handle` and `sweep` skip in-flight requests; `settle` ends the flight. Only a crash (the
at-least-once case above) still decides a request twice.

The faust worker (hub.recognition.app) and any hand-written loop call exactly this code, with
faust tables or plain dicts.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field

from hub.config import Settings
from hub.errors import HubError, RecordError, SerdeError
from hub.jsonview import event_from_json, to_jsonable
from hub.recognition.decide import HubIdentity, decide
from hub.recognition.signing import SigningKey, sign
from hub.recognition.state import RecognitionState
from hub.routing.router import Output
from hub.runtime.deadletter import dlq_headers
from hub.serde import Serde

log = logging.getLogger("nqfhub.recognition")
UTC = dt.timezone.utc
STAGE = "recognition"
REFERENCE_TABLES = ("qualifications", "institutions", "accreditation")
CREDENTIAL_TABLES = ("credentials", "revocations", "pending")


def pending_key(credential_id: str) -> bytes:
    """Key of the pending table: the credential id as hub.ingress keys it (UTF-8 bytes), so the
    table's changelog partition (murmur2 of the key) is the partition of the credential."""
    return credential_id.encode("utf-8")


@dataclass
class RecognitionTables:
    """The six tables the processor reads and writes (any MutableMapping: dict, faust Table).

    qualifications, institutions, accreditation   reference data, keyed as `rows` says
    credentials, revocations                      keyed by credential id
    pending                                       pending_key(credential id) -> list of parked
                                                  requests {event_id, deadline (epoch s), request}
    """

    qualifications: MutableMapping = field(default_factory=dict)
    institutions: MutableMapping = field(default_factory=dict)
    accreditation: MutableMapping = field(default_factory=dict)
    credentials: MutableMapping = field(default_factory=dict)
    revocations: MutableMapping = field(default_factory=dict)
    pending: MutableMapping = field(default_factory=dict)

    def __post_init__(self):
        self.state = RecognitionState(qualifications=self.qualifications, institutions=self.institutions,
                                      accreditation=self.accreditation, credentials=self.credentials,
                                      revocations=self.revocations)


@dataclass(frozen=True)
class Removal:
    """Parked requests (by event id) to drop from `pending` once their decisions are acknowledged."""

    key: bytes
    event_ids: frozenset


class RecognitionCore:
    """Built once per worker process; `handle` is called for every record of hub.ingress."""

    def __init__(self, settings: Settings, serde: Serde, levels, signing_key: SigningKey, *,
                 wait_s: float = 30.0, hub: HubIdentity = HubIdentity(), metrics=None):
        self.settings = settings
        self.serde = serde
        self.levels = levels
        self.key = signing_key
        self.wait_s = float(wait_s)
        self.hub = hub
        self.metrics = metrics
        self.t_out = settings.topic("recognition")
        self.t_dlq = settings.topic("deadletter")
        self._in_flight: set[str] = set()    # request event ids decided, removal deferred

    # ---- the hot path ---------------------------------------------------------------------
    def handle(self, value: bytes, key: bytes | None, origin: tuple[str, int, int] | None,
               tables: RecognitionTables, now: dt.datetime, deferred: list | None = None) -> list[Output]:
        """Outputs for one record of hub.ingress (see the module docstring)."""
        try:
            name, event = self.serde.decode(value)
            if not name.startswith("nqfhub.events."):
                raise SerdeError(f"a {name} record is not a canonical event")
        except RecordError as e:
            return [self._dead_letter(value, key, e, "schema", origin)]
        h = event["header"]
        etype = h["event_type"]
        if self.metrics:
            self.metrics.event_in(event)
        if etype == "RecognitionRequested":
            if h["event_id"] in self._in_flight:   # redelivered while its decision is being sent
                return []
            if tables.state.ready(event):
                return [self._decide(event, tables, now, False, origin, value)]
            self._park(event, tables, now)
            return []
        if tables.state.apply(event) and etype == "CredentialIssued":
            return self._release(pending_key(event["credential_id"]), tables, now, origin,
                                 deferred, only_due=False)
        return []

    def sweep(self, tables: RecognitionTables, now: dt.datetime, *,
              owns: Callable[[bytes], bool] | None = None, deferred: list | None = None) -> list[Output]:
        """Decide parked requests whose credential is now known, or whose deadline has passed.

        `owns(key)` says whether this worker owns the key's partition (faust keeps standby copies
        of other workers' partitions in its tables); None means every key.
        """
        outs: list[Output] = []
        for k in list(tables.pending.keys()):
            if owns is not None and not owns(k):
                continue
            outs += self._release(k, tables, now, None, deferred, only_due=True)
        return outs

    def settle(self, tables: RecognitionTables, deferred: list[Removal]) -> None:
        """Apply deferred removals (call only after the outputs that caused them are acknowledged);
        their requests are no longer in flight."""
        for r in deferred:
            _remove(tables.pending, r)
            self._in_flight.difference_update(r.event_ids)
        deferred.clear()

    # ---- pending requests -----------------------------------------------------------------
    def _park(self, request: dict, tables: RecognitionTables, now: dt.datetime) -> None:
        k = pending_key(request["credential_id"])
        rows = list(tables.pending.get(k) or [])
        eid = request["header"]["event_id"]
        if any(r["event_id"] == eid for r in rows):       # a replayed request keeps its first deadline
            return
        rows.append({"event_id": eid, "deadline": now.timestamp() + self.wait_s,
                     "request": to_jsonable(request)})
        tables.pending[k] = rows

    def _release(self, k: bytes, tables: RecognitionTables, now: dt.datetime, origin, deferred,
                 *, only_due: bool) -> list[Output]:
        rows = tables.pending.get(k) or []
        if not rows:
            return []
        ready = tables.state.credential(k.decode("utf-8")) is not None
        now_s = now.timestamp()
        outs, done = [], set()
        for r in rows:
            if r["event_id"] in self._in_flight:         # decided, decision not acknowledged yet
                continue
            if not ready and (not only_due or r["deadline"] > now_s):
                continue
            request = event_from_json(r["request"])
            outs.append(self._decide(request, tables, now, not ready, origin, None))
            done.add(r["event_id"])
        if done:
            removal = Removal(k, frozenset(done))
            if deferred is None:
                _remove(tables.pending, removal)
            else:
                deferred.append(removal)
                self._in_flight.update(done)
        return outs

    # ---- outputs --------------------------------------------------------------------------
    def _decide(self, request: dict, tables: RecognitionTables, now: dt.datetime, timed_out: bool,
                origin, raw: bytes | None) -> Output:
        h = request["header"]
        try:
            decision = sign(decide(request, tables.state, self.levels, now, timed_out=timed_out,
                                   hub=self.hub), self.key)
            value = self.serde.encode(decision)
        except HubError as e:
            return self._dead_letter(raw if raw is not None else self.serde.encode(request),
                                     pending_key(request["credential_id"]), e, "internal", origin,
                                     h["event_id"])
        headers = [("nqfhub.event_id", decision["header"]["event_id"].encode()),
                   ("nqfhub.trace_id", h["trace_id"].encode()),
                   ("nqfhub.event_type", b"RecognitionDecided"),
                   ("nqfhub.outcome", decision["outcome"].encode())]
        return Output(self.t_out, pending_key(request["credential_id"]), value, headers)

    def _dead_letter(self, value, key, err, reason_class, origin, event_id=None) -> Output:
        where = f"{origin[0]}/{origin[1]}@{origin[2]}" if origin else None
        log.warning("dead-lettering a record: %s at %s", err.__class__.__name__, where or "pending request")
        if self.metrics:
            self.metrics.dead_letter(STAGE, reason_class)
        return Output(self.t_dlq, key, value, dlq_headers(
            stage=STAGE, error=err, reason_class=reason_class, original=origin,
            event_id=event_id, source=where))


def _remove(pending: MutableMapping, r: Removal) -> None:
    rows = pending.get(r.key) or []
    keep = [x for x in rows if x["event_id"] not in r.event_ids]
    if len(keep) == len(rows):
        return
    if keep:
        pending[r.key] = keep
    else:
        del pending[r.key]


def default_wait_s(settings: Settings) -> float:
    """How long a request waits for its credential: 30 s on the embedded broker, 10 min on Kafka."""
    return 30.0 if settings.consumer_profile.name == "embedded" else 600.0


def build_core(settings: Settings, *, wait_s: float | None = None, metrics=None,
               levels_dir=None) -> RecognitionCore:
    """Load levels, schemas and the active signing key once.

    Raises ConfigError when there is no signing key in <home>/keys (run `nqf-hub keys
    generate`) and MappingFileError when the level files are invalid.
    """
    from hub.levels import load_levels
    from hub.recognition.signing import KeyStore
    from hub.schemas import catalog

    key = KeyStore(settings.home).signing_key(purpose="recognition")
    levels = load_levels(levels_dir or settings.mappings_dir / "levels")
    serde = Serde(catalog(settings.schemas_dir), settings.schema_registry_url)
    return RecognitionCore(settings, serde, levels, key,
                           wait_s=default_wait_s(settings) if wait_s is None else wait_s, metrics=metrics)

"""Every metric family the hub exposes, defined once per process in the default registry.

docs/operating.md has the table; tests/unit/ops/test_metrics_doc.py checks that the table and
this module name the same families. Label values come from `hub.observability.labels` only.
"""
from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# `_created` series double the output and no dashboard or alert here uses them
disable_created_metrics()

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
AGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
ATTEMPT_BUCKETS = (1, 2, 3, 4, 5, 8, 13)

# ---- every long-running process ---------------------------------------------------------------
WORKER_INFO = Gauge("nqfhub_worker_info", "1 while a hub process runs; labels say which.",
                    ["stage", "version", "topic_prefix"])
WORKER_START = Gauge("nqfhub_worker_start_time_seconds", "Unix time the process started.", ["stage"])
LAST_PROGRESS = Gauge("nqfhub_worker_last_progress_timestamp_seconds",
                      "Unix time the stage last finished a batch of records.", ["stage"])
PROCESSED = Counter("nqfhub_records_processed", "Records a stage consumed and finished (committed).",
                    ["stage"])
PROCESSING = Histogram("nqfhub_processing_seconds", "Time to process one batch of records.",
                       ["stage"], buckets=LATENCY_BUCKETS)
EVENT_AGE = Histogram("nqfhub_event_age_seconds",
                      "Time from an event's recorded_at (ingest) to the stage taking it in.",
                      ["stage"], buckets=AGE_BUCKETS)

# ---- flows ---------------------------------------------------------------------------------------
EVENTS_IN = Counter("nqfhub_events_in", "Canonical events a stage took in.",
                    ["stage", "connector", "jurisdiction"])
EVENTS_OUT = Counter("nqfhub_events_out",
                     "Records a stage emitted, by outcome (ingest: accepted|rejected; "
                     "router: forward|forward_minimised|hold|block; delivery: delivered|dead_lettered).",
                     ["stage", "connector", "outcome"])
ROUTED = Counter("nqfhub_routing_decisions",
                 "Routing decisions, one per event x subscribed partner.",
                 ["partner", "action", "jurisdiction"])
DEAD_LETTERS = Counter("nqfhub_dead_letters", "Records written to the dead-letter topic.",
                       ["stage", "reason_class"])
VERIFICATIONS = Counter("nqfhub_credential_verifications",
                        "Signature / proof checks of credentials at ingest (hub.verify), by outcome "
                        "(verified|unverified|invalid|signature_invalid).", ["connector", "outcome"])

# ---- delivery ------------------------------------------------------------------------------------
DELIVERIES = Counter("nqfhub_deliveries", "Events delivered to a partner (acknowledged).", ["partner"])
DELIVERY_FAILURES = Counter("nqfhub_delivery_failures", "Failed delivery attempts.",
                            ["partner", "kind"])
DELIVERY_LATENCY = Histogram("nqfhub_delivery_latency_seconds",
                             "First attempt to acknowledgement, retries included.", ["partner"],
                             buckets=LATENCY_BUCKETS)
DELIVERY_ATTEMPTS = Histogram("nqfhub_delivery_attempts", "Attempts per delivered event.",
                              ["partner"], buckets=ATTEMPT_BUCKETS)

# ---- consumer lag (background thread in each consuming worker) -----------------------------------
LAG = Gauge("nqfhub_consumer_lag", "End offset minus committed offset.", ["group", "topic", "partition"])
COMMITTED = Gauge("nqfhub_consumer_committed_offset", "Committed offset of the group.",
                  ["group", "topic", "partition"])
END_OFFSET = Gauge("nqfhub_topic_end_offset", "High watermark (next offset to be written).",
                   ["topic", "partition"])
LAG_ERRORS = Counter("nqfhub_lag_probe_errors", "Lag probes that failed (broker unreachable …).",
                     ["group"])

# ---- held records (computed by `nqf-hub serve` from hub.held and hub.audit) -----------------------
HELD_OPEN = Gauge("nqfhub_held_records", "Held records neither released nor expired.", ["partner"])
HELD_OLDEST = Gauge("nqfhub_held_oldest_age_seconds", "Age of the oldest open held record.",
                    ["partner"])
HELD_OVERDUE = Gauge("nqfhub_held_overdue_records", "Open held records past their expiry time.",
                     ["partner"])
DLQ_STORED = Gauge("nqfhub_dead_letters_stored", "Dead letters in the topic (as read by serve).",
                   ["stage", "reason_class"])

# ---- HTTP ingest endpoint -------------------------------------------------------------------------
HTTP_REQUESTS = Counter("nqfhub_http_requests", "HTTP requests answered.", ["route", "status"])
HTTP_SECONDS = Histogram("nqfhub_http_request_seconds", "HTTP request handling time.", ["route"],
                         buckets=LATENCY_BUCKETS)
HTTP_RECORDS = Counter("nqfhub_http_ingest_records", "Records received over HTTP, by outcome.",
                       ["authority", "connector", "outcome"])
HTTP_RATE_LIMITED = Counter("nqfhub_http_rate_limited", "Requests refused by the rate limiter.",
                            ["authority"])
HTTP_AUTH_FAILURES = Counter("nqfhub_http_auth_failures", "Requests with a missing or unknown token.")

# ---- replay / release (operator actions) ---------------------------------------------------------
OPERATOR_ACTIONS = Counter("nqfhub_operator_actions", "dlq replay, held release/expire done.",
                           ["action"])


def policy_decision_recorder():
    """The policy engine's per-rule counter: `hub.routing.metrics.count_decision(partner, decision)`.

    That module owns the family nqfhub_policy_decisions_total{regime,rule,partner,action}; the
    stage metrics call it instead of defining a second family of the same name.
    """
    try:
        from hub.routing.metrics import count_decision
    except ImportError:
        return None
    return count_decision


def family_names() -> list[str]:
    """Exposed family names (counters with their _total suffix), for the docs test."""
    out = []
    for obj in globals().values():
        if isinstance(obj, (Counter, Gauge, Histogram)):
            name = obj._name  # noqa: SLF001 - prometheus_client keeps it there
            out.append(name + "_total" if isinstance(obj, Counter) else name)
    return sorted(out)

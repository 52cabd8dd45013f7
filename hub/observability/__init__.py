"""Operating the hub: metrics, consumer lag, and what operators read and do.

    observability/families.py     every Prometheus metric family (docs/operating.md has the table)
    observability/metrics.py      StageMetrics: what the workers call; record_ingest; worker records
    observability/lag.py          consumer lag per partition (status, metrics thread)
    observability/broker_metrics.py  embedded broker gauges, collected on scrape
    observability/reading.py      direct-assignment topic reading (never joins a worker's group)
    observability/masking.py      personal data masked by schema category
    observability/display.py      one record as an operator sees it (`tail`)
    observability/status.py       `nqf-hub status`
    observability/deadletters.py  `nqf-hub dlq list|show|replay`
    observability/held.py         `nqf-hub held list|release|expire`
    observability/trace.py        `nqf-hub trace EVENT_ID`
    observability/flows.py        the status page's background reader
"""

"""The routing stage: for every event on hub.ingress and every subscribed partner, decide
forward / forward_minimised / hold / block and write the partner copy, the held record and the
audit record.

    routing/policy/       the pure decision engine (no Kafka): rule files, partners, pseudonyms
    routing/router.py     the per-record logic the faust worker runs (calls PolicyEngine.decide)
    routing/app.py        the faust worker (routing agent + consent-join agent)
    routing/audit_chain.py the per-partition hash chain of hub.audit, seals, verification (pure)
    routing/audit_read.py reading audit partitions back (verify, chain recovery)
    routing/consent.py    learner keys and the consent join (held records meet consents)
    routing/release.py    release / expiry / erasure requests: produced by the join and by
                          operators, answered by the router
    routing/metrics.py    the decision and held-outcome counters the router increments
"""

"""The routing stage: for every event on hub.ingress and every subscribed partner, decide
forward / forward_minimised / hold / block and write the partner copy, the held record and the
audit record.

    routing/policy/   the pure decision engine (no Kafka): rule files, partners, pseudonyms
    routing/router.py the per-record logic the faust worker runs (calls PolicyEngine.decide)
    routing/app.py    the faust worker
    routing/metrics.py the decision counter the router increments
"""

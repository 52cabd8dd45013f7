"""Recognition: join a RecognitionRequested with credential, qualification, accreditation and
revocation state, compare levels, and emit a signed RecognitionDecided.

Public face:
    RecognitionState      the five tables (dicts offline, faust tables in the processor)
    decide(...)           pure decision function -> RecognitionDecided (fastavro dict)
    rows                  event -> table row functions and merge rules (for faust agents)
    signing               Ed25519 sign/verify over the canonical serialisation, KeyStore
See README.md in this folder for the outcome semantics and reason codes.
"""
from hub.recognition import rows, signing
from hub.recognition.decide import (CANNOT_DETERMINE, NOT_RECOGNISED, OUTCOMES, PARTIALLY_RECOGNISED,
                                    REASONS, RECOGNISED, HubIdentity, best_comparison, decide,
                                    decision_event_id)
from hub.recognition.state import RecognitionState

__all__ = [
    "CANNOT_DETERMINE", "HubIdentity", "NOT_RECOGNISED", "OUTCOMES", "PARTIALLY_RECOGNISED",
    "REASONS", "RECOGNISED", "RecognitionState", "best_comparison", "decide", "decision_event_id",
    "rows", "signing",
]

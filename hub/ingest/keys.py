"""Partition keys: events about one subject share a key, so they stay ordered (issued → revoked)."""
from __future__ import annotations


def subject_key(event: dict) -> str:
    t = event["header"]["event_type"]
    if t in ("CredentialIssued", "CredentialRevoked", "RecognitionRequested", "RecognitionDecided"):
        return event["credential_id"]
    if t == "QualificationPublished":
        return event["qualification"]["id"]
    if t == "InstitutionPublished":
        return event["institution"]["id"]
    if t == "AccreditationChanged":
        return event["subject_id"]
    if t in ("ConsentRecorded", "ConsentWithdrawn"):
        return event["consent_id"]
    return event["header"]["event_id"]

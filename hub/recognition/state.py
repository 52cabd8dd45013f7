"""`RecognitionState`: the five tables a recognition decision reads.

The offline command (`nqf-hub recognise`) builds one from a JSON Lines file of canonical events;
the faust processor passes its tables instead (any MutableMapping works: dict, faust Table).
`apply(event)` is called once per canonical event from hub.ingress, in any order and possibly
more than once; the merge rules in `rows` make the result independent of both.
"""
from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from hub.recognition import rows as R


class RecognitionState:
    """Qualifications, institutions, accreditation history, credentials and revocations."""

    def __init__(self, *, qualifications: MutableMapping | None = None,
                 institutions: MutableMapping | None = None,
                 accreditation: MutableMapping | None = None,
                 credentials: MutableMapping | None = None,
                 revocations: MutableMapping | None = None):
        self.qualifications = {} if qualifications is None else qualifications
        self.institutions = {} if institutions is None else institutions
        self.accreditation = {} if accreditation is None else accreditation
        self.credentials = {} if credentials is None else credentials
        self.revocations = {} if revocations is None else revocations

    @classmethod
    def from_events(cls, events: Iterable[dict]) -> "RecognitionState":
        st = cls()
        for ev in events:
            st.apply(ev)
        return st

    def apply(self, event: dict) -> bool:
        """Fold one canonical event (fastavro dict) into the tables; False if not relevant."""
        spec = R.TABLES.get(event["header"]["event_type"])
        if spec is None:
            return False
        table_name, row_fn, merge = spec
        table = getattr(self, table_name)
        key, row = row_fn(event)
        table[key] = merge(table.get(key), row)
        return True

    # ---- lookups used by decide() -------------------------------------------------------
    def credential(self, credential_id: str) -> dict | None:
        return self.credentials.get(credential_id)

    def revocation(self, credential_id: str) -> dict | None:
        return self.revocations.get(credential_id)

    def qualification(self, qualification_id: str) -> dict | None:
        return self.qualifications.get(qualification_id)

    def institution(self, institution_id: str) -> dict | None:
        return self.institutions.get(institution_id)

    def accreditation_history(self, subject_type: str, subject_id: str) -> list[dict]:
        return list(self.accreditation.get(R.accreditation_key(subject_type, subject_id)) or [])

    def ready(self, request: dict) -> bool:
        """True once the requested credential is known (the processor waits until then, bounded)."""
        return request["credential_id"] in self.credentials

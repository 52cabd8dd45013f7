"""Fixtures for the operations tests: canonical events from the openbadges3 samples, fake Kafka messages."""
from __future__ import annotations

import pytest



@pytest.fixture(scope="session")
def sample_events():
    """Decoded CredentialIssued events with learner data (openbadges3 connector, no broker)."""
    import json

    from hub.ingest.decoding import decode_sources, make_context
    from hub.sdk import registry
    from hub.sdk.inbound import Decoded, Source
    from connectors.openbadges3.samples import sample_credentials
    conn = registry.inbound("openbadges3")
    data = "\n".join(json.dumps(c) for c in sample_credentials(10, seed=5)).encode()
    out = []
    for item, raw in decode_sources(conn, [Source(name="s.jsonl", data=data)], make_context(conn)):
        assert isinstance(item, Decoded), item
        out.append((item.event, raw))
    return out


@pytest.fixture(scope="session")
def serde():
    from hub.serde import default_serde
    return default_serde()

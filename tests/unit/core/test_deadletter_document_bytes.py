"""A document that does not parse is dead-lettered with its original bytes (it used to be empty)."""
from __future__ import annotations

import pytest

from hub.config import load_settings
from hub.ingest import decoding
from hub.ingest.decoding import decode_paths, decode_sources, make_context
from hub.ingest.producer import produce_all
from hub.sdk import registry
from hub.sdk.inbound import Source
from tests.fakes import FakeProducer

BROKEN_XML = b'<?xml version="1.0"?>\n<elmo><report>\n'


@pytest.mark.parametrize("connector", ["elmo", "xhochschule", "ewp-tor", "openbadges3", "clr2"])
def test_unparseable_file_dead_letter_carries_the_document(tmp_path, connector):
    f = tmp_path / "broken.xml"
    f.write_bytes(BROKEN_XML)
    s = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    p = FakeProducer()
    summary = produce_all(s, decode_paths(connector, [f]), connector=connector, producer=p)
    assert summary.rejected == 1 and summary.ingested == 0
    [(topic, _key, value, headers)] = p.sent
    assert topic == s.topic("deadletter") and value == BROKEN_XML
    assert "nqfhub.dlq.raw.truncated_from" not in dict(headers)


def test_uploaded_bytes_over_http_are_kept(tmp_path):
    conn = registry.inbound("openbadges3")
    src = Source(name="upload.json", data=b'{"not json')
    [(err, _)] = list(decode_sources(conn, [src], make_context(conn)))
    assert err.raw == b'{"not json'


def test_long_documents_keep_a_bounded_prefix_and_their_size(tmp_path, monkeypatch):
    monkeypatch.setattr(decoding, "DEAD_LETTER_MAX_RAW", 16)
    f = tmp_path / "broken.xml"
    f.write_bytes(BROKEN_XML)
    s = load_settings({"NQF_HUB_HOME": str(tmp_path)})
    p = FakeProducer()
    produce_all(s, decode_paths("elmo", [f]), connector="elmo", producer=p)
    [(_t, _k, value, headers)] = p.sent
    assert value == BROKEN_XML[:16]
    assert dict(headers)["nqfhub.dlq.raw.truncated_from"] == str(len(BROKEN_XML)).encode()


def test_record_level_errors_keep_their_own_record_bytes(tmp_path):
    f = tmp_path / "events.jsonl"
    f.write_text('{"bad": \n')
    [(err, _)] = list(decode_paths("canonical-json", [f]))
    assert err.raw == b'{"bad": \n'

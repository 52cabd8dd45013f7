"""File-drop delivery: files stay inside their folder, are private (0600) and appear whole."""
from __future__ import annotations

import os
import stat

import pytest

from connectors.file_drop import FileDropDelivery
from hub.errors import PermanentDeliveryError
from hub.sdk.outbound import Envelope

GOOD_ID = "1168cddc-0890-548f-bb70-efd8280659f3"


def env(event_id: str) -> Envelope:
    return Envelope(event_id=event_id, event_type="CredentialIssued", partner_id="p",
                    trace_id="219a67f73dff5e43f17d439b2a592621", content_type="application/json")


@pytest.mark.parametrize("evil", ["../../../escaped", "../escaped", "{tmp}/abs-escaped", "a/b", "..",
                                  "", "x\x00y", GOOD_ID + "/../../escaped", "../../.." ])
def test_event_id_cannot_write_outside_the_drop_folder(tmp_path, evil):
    evil = evil.replace("{tmp}", str(tmp_path))
    drop = tmp_path / "a" / "b" / "c" / "drop"          # every '..' above stays inside tmp_path
    drop.mkdir(parents=True)
    (drop.parent / f"{GOOD_ID}").mkdir()                 # so GOOD_ID/../.. resolves
    d = FileDropDelivery({"path": str(drop)})
    with pytest.raises(PermanentDeliveryError) as e:
        d.deliver(b"{}", env(evil))
    assert evil not in str(e.value) or not evil            # the value is not quoted
    outside = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert outside == []                                   # nothing written anywhere


def test_a_symlink_in_place_of_the_file_is_not_followed_out_of_the_folder(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    target = tmp_path / "victim.json"
    target.write_bytes(b"original")
    (drop / f"{GOOD_ID}.json").symlink_to(target)
    FileDropDelivery({"path": str(drop)}).deliver(b"new", env(GOOD_ID))
    assert target.read_bytes() == b"original"              # rename replaced the link, not the target
    assert (drop / f"{GOOD_ID}.json").read_bytes() == b"new"
    assert not (drop / f"{GOOD_ID}.json").is_symlink()


def test_drop_files_are_private_and_written_whole(tmp_path):
    drop = tmp_path / "drop"
    old = os.umask(0o022)
    try:
        FileDropDelivery({"path": str(drop)}).deliver(b'{"a":1}', env(GOOD_ID))
    finally:
        os.umask(old)
    f = drop / f"{GOOD_ID}.json"
    assert f.read_bytes() == b'{"a":1}'
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert [p.name for p in drop.iterdir()] == [f.name]    # no temporary file left behind


def test_redelivery_overwrites_the_same_file(tmp_path):
    d = FileDropDelivery({"path": str(tmp_path)})
    d.deliver(b"one", env(GOOD_ID))
    d.deliver(b"one", env(GOOD_ID))
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{GOOD_ID}.json"]

"""Outbound `file`: writes each encoded event to `<delivery.path>/<event_id>.<ext>` atomically.

The file name is the idempotency key: a redelivery overwrites the same file with the same bytes.
Partners that pick up files (SFTP, shared folders) read only complete files: each is written to a
hidden temporary name (created exclusively, mode 0600), fsync'd and renamed over the final name;
the folder is fsync'd so the rename survives a crash.

Path safety: the event id must be a UUID (`hub.sdk.ids`; ingest already dead-letters any other),
and every path is resolved and refused unless it is directly inside the resolved drop folder, so
no id, symlinked name or `..` can make the hub write elsewhere. A refused id is a permanent
failure (dead-lettered); the error never quotes the id.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from hub.errors import ConfigError, PermanentDeliveryError, RetriableDeliveryError
from hub.sdk.ids import is_event_id
from hub.sdk.outbound import Delivery, DeliveryResult, Envelope
from hub.sdk.registry import ConnectorSpec

EXTENSIONS = {"application/json": "json", "application/ld+json": "jsonld", "application/xml": "xml",
              "application/vc+ld+json": "json", "text/xml": "xml"}
FILE_MODE = 0o600


class FileDropDelivery(Delivery):
    name = "file"

    def __init__(self, config: dict, secret: bytes | None = None):
        super().__init__(config, secret)
        if not config.get("path"):
            raise ConfigError("file delivery needs delivery.path")
        self.dir = Path(config["path"]).expanduser()

    def _inside(self, folder: Path, name: str) -> Path:
        """`folder/name`, or PermanentDeliveryError unless it names an entry directly in `folder`
        (the resolved folder). The entry itself is not resolved: a symlink there is replaced by
        the rename, never followed."""
        p = folder / name
        if (name in ("", ".", "..") or "\x00" in name or os.sep in name or p.name != name
                or p.parent.resolve() != folder):
            raise PermanentDeliveryError("file drop refused a path outside its folder")
        return p

    def deliver(self, body: bytes, envelope: Envelope) -> DeliveryResult:
        """Called by the worker once per attempt; returns only after the file is durable."""
        if not is_event_id(envelope.event_id):
            raise PermanentDeliveryError("file drop refused an event id that is not a UUID")
        ext = EXTENSIONS.get(envelope.content_type.split(";")[0], "bin")
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            folder = self.dir.resolve(strict=True)
            final = self._inside(folder, f"{envelope.event_id}.{ext}")
            tmp = self._inside(folder, f".{envelope.event_id}.{secrets.token_hex(6)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         FILE_MODE)
            try:
                with os.fdopen(fd, "wb") as f:
                    os.fchmod(f.fileno(), FILE_MODE)      # whatever the umask
                    f.write(body)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, final)                    # replaces a symlink, never follows it
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError as e:
            raise RetriableDeliveryError(f"file drop failed: {e.__class__.__name__}") from None
        return DeliveryResult("delivered")


CONNECTOR = ConnectorSpec(name="file", description="Atomic file per event (mode 0600) in a drop directory",
                          delivery=FileDropDelivery)

"""Outbound `file`: writes each encoded event to `<delivery.path>/<event_id>.<ext>` atomically.

The file name is the idempotency key: a redelivery overwrites the same file with the same bytes.
Partners that pick up files (SFTP, shared folders) read only complete files: each is written to a
hidden temporary name and renamed.
"""
from __future__ import annotations

import os
from pathlib import Path

from hub.errors import ConfigError, RetriableDeliveryError
from hub.sdk.outbound import Delivery, DeliveryResult, Envelope
from hub.sdk.registry import ConnectorSpec

EXTENSIONS = {"application/json": "json", "application/ld+json": "jsonld", "application/xml": "xml",
              "application/vc+ld+json": "json", "text/xml": "xml"}


class FileDropDelivery(Delivery):
    name = "file"

    def __init__(self, config: dict, secret: bytes | None = None):
        super().__init__(config, secret)
        if not config.get("path"):
            raise ConfigError("file delivery needs delivery.path")
        self.dir = Path(config["path"]).expanduser()

    def deliver(self, body: bytes, envelope: Envelope) -> DeliveryResult:
        ext = EXTENSIONS.get(envelope.content_type.split(";")[0], "bin")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            final = self.dir / f"{envelope.event_id}.{ext}"
            tmp = self.dir / f".{envelope.event_id}.{os.getpid()}.tmp"
            with open(tmp, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except OSError as e:
            raise RetriableDeliveryError(f"file drop failed: {e.__class__.__name__}") from None
        return DeliveryResult("delivered")


CONNECTOR = ConnectorSpec(name="file", description="Atomic file per event in a drop directory",
                          delivery=FileDropDelivery)

"""Shared face of the VC encoders (`openbadges3`, `elm`): one CredentialIssued -> one JSON credential."""
from __future__ import annotations

import json
from abc import abstractmethod
from typing import ClassVar

from hub.errors import PermanentDeliveryError
from hub.sdk.outbound import Encoder


class CredentialEncoder(Encoder):
    """Renders a CredentialIssued as one unsigned JSON(-LD) credential, compact UTF-8 JSON.

    The outbound worker calls `encode(event)` once per (minimised) event; an event of another
    type raises `PermanentDeliveryError` (the format cannot express it). Subclasses build the
    credential in `credential(event)`; pure and thread-safe when that is.
    """

    event_types: ClassVar[tuple[str, ...]] = ("CredentialIssued",)

    def encode(self, event: dict) -> bytes:
        et = event.get("header", {}).get("event_type")
        if et not in self.event_types:
            raise PermanentDeliveryError(f"{self.name} cannot express a {et} event")
        return json.dumps(self.credential(event), ensure_ascii=False, separators=(",", ":")).encode()

    @abstractmethod
    def credential(self, ev: dict) -> dict:
        """The credential as a dict (what `encode` serialises)."""

"""Connector SDK: what a format adapter implements. The runtime owns Kafka, retries, metrics."""
from hub.errors import DecodeError, InputTooLarge, PermanentDeliveryError, RetriableDeliveryError
from hub.sdk.inbound import (AUTHORITY_TYPES, DecodeContext, Decoded, Inbound, MultiFileInbound,
                             Source, SourceDefaults)
from hub.sdk.limits import DEFAULT_LIMITS, Limits, bounded_lines, load_json_document, read_bounded
from hub.sdk.outbound import Delivery, DeliveryResult, Encoder, Envelope
from hub.sdk.registry import ConnectorSpec

__all__ = [
    "AUTHORITY_TYPES", "ConnectorSpec", "DEFAULT_LIMITS", "DecodeContext", "DecodeError", "Decoded",
    "Delivery", "DeliveryResult", "Encoder", "Envelope", "Inbound", "InputTooLarge", "Limits",
    "MultiFileInbound", "PermanentDeliveryError", "RetriableDeliveryError", "Source", "SourceDefaults",
    "bounded_lines", "load_json_document", "read_bounded",
]

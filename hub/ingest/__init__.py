"""Ingest runtime: decode with an inbound connector, produce to hub.ingress, dead-letter the rest."""

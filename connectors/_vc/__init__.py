"""Shared code of the JSON verifiable-credential connectors (OB3, CLR 2.0, ELM/EDC).

Private to the VC family of connectors: `documents` splits a source into bounded JSON records
(single document, JSON array or JSON Lines), `validation` checks a record against a JSON Schema
and turns the first problem into a located `DecodeError` that never quotes a value, and `values`
holds small typed readers (dates, language maps, country codes) used by the mappings; `canonical`
builds complete canonical records and `outbound.CredentialEncoder` is the shared face of the
encoders that write credentials back out (openbadges3, elm).
"""

"""pyxb bindings generated from ../_schema/elmo_v1_subset.xsd (`elmo_v1`; regenerate with
`python -m connectors.elmo._bindings`).

Importing this package quiets pyxb's per-node warnings about wildcard content that the subset
schema deliberately leaves unbound.
"""
import logging

logging.getLogger("pyxb").setLevel(logging.ERROR)

"""pyxb bindings generated from ../_schema/loq_subset.xsd (`loq_v3`; regenerate with
`python -m connectors.eu_qdr._bindings`). Importing this package quiets pyxb's warnings about
wildcard content the subset schema deliberately leaves unbound."""
import logging

logging.getLogger("pyxb").setLevel(logging.ERROR)

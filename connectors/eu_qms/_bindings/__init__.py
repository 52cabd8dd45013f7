"""pyxb bindings generated from ../_schema/ams_subset.xsd (`ams_v3`; regenerate with
`python -m connectors.eu_qms._bindings`). Used by the benchmark to measure per-record typed
binding; the connector itself streams with lxml (see README for the numbers)."""
import logging

logging.getLogger("pyxb").setLevel(logging.ERROR)

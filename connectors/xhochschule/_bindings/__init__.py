"""pyxb bindings generated from ../_schema/xhochschule_subset.xsd and xbildung_subset.xsd
(`xhochschule_v12`, `xbildung_v12`; regenerate with `python -m connectors.xhochschule._bindings`).
Used by the benchmark; the connector reads with lxml (see README for the numbers)."""
import logging

logging.getLogger("pyxb").setLevel(logging.ERROR)

"""pyxb bindings generated from ../_schema/ewp_tor_get_response_subset.xsd (`ewp_tor_v2`;
regenerate with `python -m connectors.ewp_tor._bindings`). The ELMO inside a `tor` is a skip
wildcard here (bound separately by connectors.elmo._bindings.elmo_v1 when needed)."""
import logging

logging.getLogger("pyxb").setLevel(logging.ERROR)

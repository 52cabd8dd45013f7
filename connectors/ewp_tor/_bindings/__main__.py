"""Regenerate the EWP ToR pyxb bindings:  python -m connectors.ewp_tor._bindings"""
from pathlib import Path

from hub.sdk.xml import generate_bindings

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    print("wrote", generate_bindings(HERE.parent / "_schema" / "ewp_tor_get_response_subset.xsd",
                                     HERE, "ewp_tor_v2", "python -m connectors.ewp_tor._bindings"))

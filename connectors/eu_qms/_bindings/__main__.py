"""Regenerate the AMS pyxb bindings:  python -m connectors.eu_qms._bindings"""
from pathlib import Path

from hub.sdk.xml import generate_bindings

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    print("wrote", generate_bindings(HERE.parent / "_schema" / "ams_subset.xsd", HERE, "ams_v3",
                                     "python -m connectors.eu_qms._bindings"))

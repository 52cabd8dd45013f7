"""Regenerate the XHochschule pyxb bindings:  python -m connectors.xhochschule._bindings"""
from pathlib import Path

from hub.sdk.xml import generate_bindings

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    print("wrote", generate_bindings(HERE.parent / "_schema" / "xhochschule_subset.xsd", HERE,
                                     "xhochschule_v12", "python -m connectors.xhochschule._bindings",
                                     extra=(("xbildung_subset.xsd", "xbildung_v12"),)))

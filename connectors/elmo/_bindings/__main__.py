"""Regenerate the ELMO pyxb bindings:  python -m connectors.elmo._bindings"""
from pathlib import Path

from hub.sdk.xml import generate_bindings

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    out = generate_bindings(HERE.parent / "_schema" / "elmo_v1_subset.xsd", HERE, "elmo_v1",
                            "python -m connectors.elmo._bindings")
    print(f"wrote {out}")

"""The signed bytes are RFC 8785 (JCS): published test vectors of RFC 8785, written in from the RFC
(section 3.2.2 example, section 3.2.3 sorting example, Appendix B number serialisation), run
through the functions the hub signs and hashes with."""
from __future__ import annotations

import json
import struct

import pytest

from hub.recognition.signing import jcs


def _float(hex_bits: str) -> float:
    return struct.unpack(">d", bytes.fromhex(hex_bits))[0]


# RFC 8785 Appendix B: IEEE-754 bit patterns and their JSON serialisation
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),                          # minus zero
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize("bits,expected", APPENDIX_B)
def test_appendix_b_number_serialisation(bits, expected):
    assert jcs([_float(bits)]) == f"[{expected}]".encode()


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_appendix_b_nan_and_infinity_are_errors(bits):
    with pytest.raises(ValueError):
        jcs([_float(bits)])


def test_section_3_2_2_primitive_data_types():
    """The example of RFC 8785 section 3.2.2 (literals, numbers, string escaping)."""
    source = ('{\n  "numbers": [333333333.33333329, 1E30, 4.50,\n              2e-3, 0.000000000000000000000000001],\n'
              '  "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n'
              '  "literals": [null, true, false]\n}')
    expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                '"string":"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    assert jcs(json.loads(source)) == expected.encode("utf-8")


def test_section_3_2_3_sorting_of_object_properties():
    """Properties sorted by UTF-16 code units: the emoji (a surrogate pair) sorts before U+FB33,
    unlike a code-point sort."""
    source = ('{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", "\\ufb33": "Hebrew Letter Dalet With Dagesh",'
              ' "1": "One", "\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control",'
              ' "\\u00f6": "Latin Small Letter O With Diaeresis"}')
    out = json.loads(jcs(json.loads(source)))
    assert list(out.values()) == ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis",
                                  "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"]
    assert sorted(json.loads(source)) != list(out)        # Python's own sort would differ here


def test_decisions_and_audit_records_are_signed_over_jcs_bytes():
    import datetime as dt

    from hub.recognition.signing import canonical_bytes
    from hub.routing.audit_chain import canonical
    rec = {"b": "\U0001F600", "a": "\ufb33", "n": 1.0, "m": 1e-7, "when": dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc),
           "signature": {"x": 1}}
    assert canonical_bytes(rec) == jcs({"b": "\U0001F600", "a": "\ufb33", "n": 1, "m": 1e-7,
                                        "when": "2026-01-02T00:00:00.000Z"})
    audit = {"z": "é", "a": None, "n": 3, "hash": "x"}
    assert canonical(audit) == jcs({"z": "é", "a": None, "n": 3})


def _pre_jcs_bytes(record: dict) -> bytes:
    """The serialisation signed before RFC 8785 was adopted (sorted keys, compact, integral
    floats as integers): kept here to show old signatures still verify."""
    import math

    from hub.jsonview import to_jsonable

    def norm(v):
        if isinstance(v, float) and math.isfinite(v) and v.is_integer() and abs(v) < 1e21:
            return int(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    body = {k: v for k, v in record.items() if k != "signature"}
    return json.dumps(norm(to_jsonable(body)), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def test_signatures_made_before_rfc8785_still_verify(events, levels, tmp_path):
    """Every decision of the fixture requests: the old and the RFC 8785 bytes are identical, so a
    decision signed over the old bytes verifies today."""
    from pathlib import Path

    from hub.recognition import RecognitionState, decide
    from hub.recognition.signing import ALG, KeyStore, _b64u, canonical_bytes, verify

    from .conftest import DATA, load_request
    store = KeyStore(tmp_path)
    store.generate()
    key = store.signing_key(purpose="recognition")
    state = RecognitionState.from_events(events)
    names = sorted(Path(p).stem for p in (DATA / "requests").glob("*.json"))
    assert names
    for name in names:
        req = load_request(name)
        d = decide(req, state, levels, req["header"]["occurred_at"])
        assert canonical_bytes(d) == _pre_jcs_bytes(d), name
        old_sig = {"alg": ALG, "key_id": key.key_id, "value": _b64u(key.private.sign(_pre_jcs_bytes(d)))}
        assert verify({**d, "signature": old_sig}, store.jwks()).valid, name

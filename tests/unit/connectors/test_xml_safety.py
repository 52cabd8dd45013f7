"""hub.sdk.xml: the safety rules every XML connector relies on, one test per rule."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

from hub.errors import DecodeError, InputTooLarge
from hub.ingest.decoding import decode_paths
from hub.sdk.limits import Limits
from hub.sdk.xml import (check_prolog, element_path, hardened_parser, iter_records, load_schema,
                         parse_document, schema_errors)

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<lolz>&lol9;</lolz>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<r>&secret;</r>"""
XSD = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t"
  xmlns="urn:t" elementFormDefault="qualified"><xs:element name="rec"><xs:complexType><xs:sequence>
  <xs:element name="d" type="xs:date"/><xs:element name="k" minOccurs="0"><xs:simpleType>
  <xs:restriction base="xs:token"><xs:enumeration value="x"/></xs:restriction></xs:simpleType>
  </xs:element></xs:sequence></xs:complexType></xs:element></xs:schema>"""
XML_CONNECTORS = {   # connector -> its document element (namespace, local name)
    "elmo": ("https://github.com/emrex-eu/elmo-schemas/tree/v1", "elmo"),
    "ewp-tor": ("https://github.com/erasmus-without-paper/ewp-specs-api-imobility-tors/blob/"
                "stable-v2/endpoints/get-response.xsd", "imobility-tors-get-response"),
    "xhochschule": ("http://xhochschule.de/def/xhochschule/1.2/xsd", "hochschulabschlusszeugnis"),
    "eu-qms": ("http://data.europa.eu/snb/model/ap/ams-constraints/", "Accreditations"),
    "eu-qdr": ("http://data.europa.eu/snb/model/ap/loq-constraints/", "Courses"),
}


def test_parser_flags_are_hardened():
    p = hardened_parser()
    # a parser with these flags leaves entity references unexpanded and loads no DTD
    doc = etree.fromstring(b'<!DOCTYPE r [<!ENTITY e "expanded">]><r>&e;</r>', p)
    assert "expanded" not in etree.tostring(doc).decode()


def test_no_external_entities():
    with pytest.raises(DecodeError) as e:
        parse_document(XXE, Limits(), file="x.xml")
    assert "entity" in e.value.reason and e.value.location.file == "x.xml"
    assert "passwd" not in str(e.value)


def test_entity_expansion_is_bounded_at_zero():
    assert Limits().max_entity_expansions == 0
    with pytest.raises(DecodeError) as e:
        parse_document(LAUGHS, Limits(), file="lol.xml")
    assert e.value.location.line == 1
    with pytest.raises(DecodeError):   # the same when streamed
        list(iter_records(io.BytesIO(LAUGHS), Limits(), {"lolz"}, file="lol.xml"))


def test_utf16_doctype_with_entities_is_refused_too():
    with pytest.raises(DecodeError):
        check_prolog(LAUGHS.decode().replace('version="1.0"', 'version="1.0" encoding="UTF-16"')
                     .encode("utf-16"))


def test_no_dtd_fetching(tmp_path):
    dtd = tmp_path / "ents.dtd"
    dtd.write_text('<!ENTITY fromdtd "loaded from the DTD">')
    doc = f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "{dtd.as_uri()}"><r>&fromdtd;</r>'.encode()
    root = parse_document(doc, Limits(), file="d.xml")   # the DTD is never read ...
    assert "loaded from the DTD" not in etree.tostring(root).decode()   # ... so nothing expands
    # and a DOCTYPE naming a network DTD parses without any fetch (no_network, load_dtd=False)
    root = parse_document(b'<!DOCTYPE r SYSTEM "http://192.0.2.1/x.dtd"><r>ok</r>', Limits())
    assert root.text == "ok"


def test_depth_limit():
    deep = b"<a>" * 100 + b"</a>" * 100
    with pytest.raises(InputTooLarge) as e:
        parse_document(deep, Limits(max_depth=64), file="deep.xml")
    assert e.value.location.line == 1 and e.value.location.field.startswith("/a/a/a")
    parse_document(deep, Limits(max_depth=100))          # at the limit: fine


def test_very_deep_documents_fail_cleanly():
    deep = b"<a>" * 20000 + b"</a>" * 20000
    with pytest.raises(InputTooLarge):
        parse_document(deep, Limits(max_depth=10_000_000), file="deep.xml")


def test_document_size_limit_streams():
    class Endless(io.RawIOBase):
        read_bytes = 0

        def readable(self):
            return True

        def read(self, n=-1):
            n = 65536 if n is None or n < 0 else n
            self.read_bytes += n
            return b"<r>" if self.read_bytes == n else b"<x>1</x>" * (n // 8)

    src = Endless()
    with pytest.raises(InputTooLarge) as e:
        list(iter_records(src, Limits(max_document_bytes=1 << 20), {"x"}, file="big.xml"))
    assert "1048576" in e.value.reason
    assert src.read_bytes < 3 << 20          # stopped soon after the limit, never read it all


def test_record_count_limit():
    doc = b"<r>" + b"<x/>" * 11 + b"</r>"
    with pytest.raises(InputTooLarge):
        list(iter_records(io.BytesIO(doc), Limits(max_records_per_document=10), {"x"}))


def test_records_are_released_after_use():
    n = 200_000
    doc = b"<r>" + b"<x><y>1</y></x>" * n + b"</r>"
    biggest = 0
    for rec in iter_records(io.BytesIO(doc), Limits(), {"x"}):
        biggest = max(biggest, len(rec.element.getparent()))
    assert rec.number == n
    assert biggest < n // 10     # only what the parser read ahead is in memory, not all records


def test_syntax_errors_are_located():
    with pytest.raises(DecodeError) as e:
        parse_document(b"<r>\n<a>\n<b></a>\n</r>", Limits(), file="bad.xml")
    assert e.value.location.line == 3 and e.value.location.field == "/r/a/b"


def test_schema_errors_are_located_and_never_quote_values(tmp_path):
    (tmp_path / "t.xsd").write_bytes(XSD)
    schema = load_schema(tmp_path / "t.xsd")
    doc = b'<root xmlns="urn:t"><rec><d>2020-01-01</d></rec>\n<rec><d>SECRET-1</d><k>SECRET-2</k></rec></root>'
    errs = [e for r in iter_records(io.BytesIO(doc), Limits(), {"{urn:t}rec"}, file="s.xml")
            for e in schema_errors(schema, r.element, file="s.xml", record=r.number,
                                   base_path=r.path)]
    assert [(e.location.record, e.location.line, e.location.field) for e in errs] == \
        [(2, 2, "/root/rec[2]/d"), (2, 2, "/root/rec[2]/k")]
    assert not any("SECRET" in str(e) for e in errs)


def test_schema_imports_never_leave_the_schema_folder(tmp_path):
    (tmp_path / "a.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a">'
        '<xs:import namespace="urn:b" schemaLocation="http://192.0.2.1/b.xsd"/></xs:schema>')
    with pytest.raises(etree.XMLSchemaParseError):
        load_schema(tmp_path / "a.xsd")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "c.xsd").write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:c">'
        '<xs:import namespace="urn:a" schemaLocation="../a.xsd"/></xs:schema>')
    with pytest.raises(etree.XMLSchemaParseError):
        load_schema(sub / "c.xsd")


def test_element_path_counts_same_named_siblings():
    root = etree.fromstring(b"<a><b/><c/><b><d/></b></a>")
    assert element_path(root[2][0]) == "/a/b[2]/d"
    assert element_path(root[1]) == "/a/c"


@pytest.mark.parametrize("connector", XML_CONNECTORS)
def test_every_xml_connector_refuses_entities_and_deep_nesting(connector, tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(LAUGHS)
    deep = tmp_path / "deep.xml"
    ns, root = XML_CONNECTORS[connector]
    deep.write_bytes(f'<{root} xmlns="{ns}">'.encode() + b"<a>" * 200 + b"</a>" * 200
                     + f"</{root}>".encode())
    items = [i for i, _ in decode_paths(connector, [bomb, deep])]
    assert len(items) == 2 and all(isinstance(i, DecodeError) for i in items)
    assert "entity" in items[0].reason and isinstance(items[1], InputTooLarge)
    assert all(i.location.file and i.location.line for i in items)


@pytest.mark.parametrize("connector", XML_CONNECTORS)
def test_every_xml_connector_limits_document_size(connector, tmp_path):
    big = tmp_path / "big.xml"
    ns, root = XML_CONNECTORS[connector]
    big.write_bytes(f'<{root} xmlns="{ns}">'.encode() + b"<x>0123456789</x>" * 20000
                    + f"</{root}>".encode())
    items = [i for i, _ in decode_paths(connector, [big], limits=Limits(max_document_bytes=50_000),
                                        options={"max_document_bytes": 50_000})]
    assert any(isinstance(i, InputTooLarge) for i in items)


def test_skipped_sections_are_released_too():
    """A pass that wants only the small reference section must not build the big one."""
    n = 200_000
    doc = b"<r><big>" + b"<q><x>1</x></q>" * n + b"</big><refs><o/></refs></r>"
    for rec in iter_records(io.BytesIO(doc), Limits(), {"o"}):
        root = rec.element.getparent().getparent()
        assert len(root[0]) < n // 10       # <big> was emptied while it streamed past


@pytest.mark.parametrize("package, schema, module, extra", [
    ("connectors.elmo._bindings", "elmo_v1_subset.xsd", "elmo_v1", ()),
    ("connectors.eu_qdr._bindings", "loq_subset.xsd", "loq_v3", ()),
    ("connectors.eu_qms._bindings", "ams_subset.xsd", "ams_v3", ()),
    ("connectors.ewp_tor._bindings", "ewp_tor_get_response_subset.xsd", "ewp_tor_v2", ()),
    ("connectors.xhochschule._bindings", "xhochschule_subset.xsd", "xhochschule_v12",
     (("xbildung_subset.xsd", "xbildung_v12"),)),
])
def test_committed_pyxb_bindings_are_reproducible(tmp_path, package, schema, module, extra):
    """Regenerating from the project's subset schema gives the committed files byte for byte."""
    import importlib.util

    from hub.sdk.xml import generate_bindings
    pkg_dir = Path(importlib.util.find_spec(package).origin).parent
    command = f"python -m {package}"
    generate_bindings(pkg_dir.parent / "_schema" / schema, tmp_path, module, command,
                      extra=extra, package=package)
    for mod in [module, *(m for _, m in extra)]:
        fresh = (tmp_path / f"{mod}.py").read_text("utf-8")
        assert fresh.startswith(f"# GENERATED by `{command}`")
        assert fresh == (pkg_dir / f"{mod}.py").read_text("utf-8"), f"{mod}.py is stale"


def test_external_dtd_subset_is_never_read(tmp_path):
    # libxml2's push parser asks for the external subset even with load_dtd=False: a DTD that is
    # not even well-formed shows whether the file was read
    dtd = tmp_path / "broken.dtd"
    dtd.write_text("<!ELEMENT r (#PCDATA)> <!THIS IS NOT A DECLARATION")
    doc = f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "{dtd.as_uri()}"><r>ok</r>'.encode()
    assert parse_document(doc, Limits(), file="d.xml").text == "ok"
    records = list(iter_records(io.BytesIO(doc), Limits(), {"r"}, file="d.xml"))
    assert len(records) == 1

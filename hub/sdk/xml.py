"""Safe XML reading for inbound connectors: one hardened path, located errors, streaming.

Every XML connector reads through this module, so the safety rules live in one place:

- the lxml parser never resolves entities, never loads a DTD, never touches the network and
  keeps libxml2's default size guards (`huge_tree=False`);
- a DOCTYPE that declares entities is refused before the parser sees it (so neither "billion
  laughs" nor external entities can run); a DOCTYPE without declarations is parsed but its DTD
  is never fetched;
- the document size (`Limits.max_document_bytes`), the element depth (`Limits.max_depth`) and
  the number of records (`Limits.max_records_per_document`) are bounded while bytes stream in;
- errors are `DecodeError`s located by file, line and element path (`/elmo/report[1]/issuer`);
  schema messages are rewritten so that they never quote a value from the document.

`parse_document` reads one bounded document into a tree (ELMO, XHochschule); `iter_records`
streams the record elements of a bulk register (QDR, QMS) and frees each one after use;
`checked_records` does the same and validates each record against the connector's schema.
"""
from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lxml import etree

from hub.errors import DecodeError, InputTooLarge
from hub.sdk.limits import Limits

XML_NS = "http://www.w3.org/XML/1998/namespace"
XML_LANG = f"{{{XML_NS}}}lang"
#: bytes inspected before the root element for an XML declaration, comments and a DOCTYPE
PROLOG_WINDOW = 64 * 1024

__all__ = [
    "XML_LANG", "XML_NS", "XmlRecord", "check_prolog", "checked_records", "clark", "element_path",
    "fingerprint",
    "hardened_parser", "iter_records", "load_schema", "localname", "parse_document",
    "schema_errors", "syntax_error", "token",
]


class _NoExternalResources(etree.Resolver):
    """Answers every request for an external resource (DTD subset, entity) with nothing.

    libxml2's push parser asks for the external DTD subset even with load_dtd=False (measured
    with lxml 6.2: it read a local DTD file and failed on a network one); with this resolver no
    file or network resource is ever read, and a DOCTYPE naming one parses as if it were empty.
    """

    def resolve(self, url, pubid, context):
        return self.resolve_string("", context)


_HARDENED = dict(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                 collect_ids=False)


def hardened_parser(**kw) -> etree.XMLParser:
    """The only lxml parser configuration connectors may use (see module docstring)."""
    return etree.XMLParser(dtd_validation=False, **_HARDENED, **kw)


def clark(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def localname(el) -> str:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def token(el) -> str | None:
    """All text of an element with whitespace collapsed (xs:token semantics); None if empty."""
    if el is None:
        return None
    t = " ".join("".join(el.itertext()).split())
    return t or None


def element_path(el) -> str:
    """`/root/child[2]/leaf` with local names; the index counts same-named siblings (1-based)."""
    parts = []
    while el is not None:
        name = localname(el)
        parent = el.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == el.tag]
            parts.append(f"{name}[{same.index(el) + 1}]" if len(same) > 1 else name)
        else:
            parts.append(name)
        el = parent
    return "/" + "/".join(reversed(parts))


def fingerprint(el) -> str:
    """`sha256:<hex>` of an element's canonical (C14N) form: a stable reference to a sub-document."""
    return "sha256:" + hashlib.sha256(etree.tostring(el, method="c14n")).hexdigest()


# --- prolog check ---------------------------------------------------------------------------

_DOCTYPE = re.compile(r"<!DOCTYPE", re.I)


def _decode_window(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if len(head) >= 4 and (head[0] == 0 or head[1] == 0):
        return head.decode("utf-16-be" if head[0] == 0 else "utf-16-le", errors="replace")
    return head.decode("latin-1")


def check_prolog(head: bytes, *, file: str | None = None) -> None:
    """Refuse a DOCTYPE with entity declarations (or an over-long prolog) in the first bytes.

    Called on the first `PROLOG_WINDOW` bytes of every document before any parsing.
    """
    text = _decode_window(head)
    i, n = 0, len(text)
    if text.startswith("\ufeff"):
        i = 1
    while i < n:
        if text[i].isspace():
            i += 1
        elif text.startswith("<?", i):
            j = text.find("?>", i)
            if j < 0:
                break
            i = j + 2
        elif text.startswith("<!--", i):
            j = text.find("-->", i)
            if j < 0:
                break
            i = j + 3
        elif _DOCTYPE.match(text, i):
            depth, j = 0, i
            while j < n:
                c = text[j]
                if c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                elif c == ">" and depth <= 0:
                    break
                j += 1
            decl = text[i:j + 1]
            if "<!ENTITY" in decl.upper() or j >= n:
                raise DecodeError("a DOCTYPE with entity declarations is not accepted "
                                  "(entities are never expanded)", file=file, line=1)
            i = j + 1
        else:
            return  # the root element starts here
    if n >= PROLOG_WINDOW:
        raise InputTooLarge(f"no root element within the first {PROLOG_WINDOW} bytes", file=file,
                            line=1)


class _GuardedStream(io.RawIOBase):
    """A read-only stream that checks the prolog and counts bytes against a limit."""

    def __init__(self, raw: IO[bytes], max_bytes: int, file: str | None):
        self.raw, self.max_bytes, self.file = raw, max_bytes, file
        self.count = 0
        head = raw.read(PROLOG_WINDOW)
        check_prolog(head, file=file)
        self._pending = head

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self._pending:
            if n is None or n < 0 or n >= len(self._pending):
                chunk, self._pending = self._pending, b""
            else:
                chunk, self._pending = self._pending[:n], self._pending[n:]
        else:
            chunk = self.raw.read(n if n and n > 0 else 1 << 16)
        self.count += len(chunk)
        if self.count > self.max_bytes:
            raise InputTooLarge(f"document is larger than the limit of {self.max_bytes} bytes",
                                file=self.file)
        return chunk

    def readinto(self, b) -> int:
        chunk = self.read(len(b))
        b[:len(chunk)] = chunk
        return len(chunk)


def syntax_error(e: Exception, *, file: str | None, path: str | None = None) -> DecodeError:
    """Translate an lxml parse error into a located DecodeError without document content."""
    if isinstance(e, DecodeError):
        return e.located(file=file)
    line = getattr(e, "lineno", None) or (getattr(getattr(e, "position", None), "__getitem__",
                                                   None) and e.position[0]) or None
    msg = str(getattr(e, "msg", "") or e)
    if "Excessive depth" in msg or "Maximum depth" in msg:
        return InputTooLarge("element nesting deeper than the parser allows", file=file,
                             line=line, field=path)
    if "huge" in msg.lower() or "too large" in msg.lower():
        return InputTooLarge("a text node or attribute is larger than the parser allows",
                             file=file, line=line, field=path)
    if "Entity" in msg or "entity" in msg:
        reason = "undeclared or unsupported entity reference"
    elif "encoding" in msg.lower():
        reason = "unsupported or wrong character encoding"
    else:
        reason = "not well-formed XML"
        code = getattr(e, "code", None)
        if code is not None:
            reason += f" (libxml2 error {code})"
    return DecodeError(reason, file=file, line=line, field=path)


def _pulled(guarded: "_GuardedStream"):
    """(event, element) pairs from a pull parser fed in chunks.

    A pull parser keeps the events it read before a syntax error, so the error can be located
    at the element path where it happened (lxml 6.2's iterparse drops them with the error).
    """
    parser = etree.XMLPullParser(events=("start", "end"), remove_pis=True, remove_comments=True,
                                 **_HARDENED)
    parser.resolvers.add(_NoExternalResources())
    while True:
        chunk = guarded.read(1 << 16)
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
        except etree.XMLSyntaxError as e:
            yield from parser.read_events()
            raise e
        yield from parser.read_events()
        if not chunk:
            return


def _events(stream: IO[bytes], limits: Limits, *, file: str | None, max_bytes: int):
    """(event, element, path) for start/end events, enforcing size, depth and prolog rules."""
    guarded = _GuardedStream(stream, max_bytes, file)
    names: list[str] = []          # local names of open elements
    counters: list[dict] = [{}]    # per open element: child name -> count so far
    try:
        for event, el in _pulled(guarded):
            if event == "start":
                name = localname(el)
                c = counters[-1]
                c[name] = c.get(name, 0) + 1
                names.append(f"{name}[{c[name]}]" if c[name] > 1 else name)
                counters.append({})
                if len(names) > limits.max_depth:
                    raise InputTooLarge(f"element nesting deeper than {limits.max_depth}",
                                        file=file, line=el.sourceline,
                                        field="/" + "/".join(names[:limits.max_depth]) + "/…")
                yield event, el, names
            else:
                yield event, el, names
                names.pop()
                counters.pop()
    except etree.XMLSyntaxError as e:
        raise syntax_error(e, file=file, path=("/" + "/".join(names)) if names else None) from None


def parse_document(source: IO[bytes] | bytes, limits: Limits, *, file: str | None = None):
    """Parse one whole document (bounded by `limits`) and return its root element.

    Raises a located `DecodeError`/`InputTooLarge`; never expands entities or fetches anything.
    """
    stream = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    root = None
    for event, el, _ in _events(stream, limits, file=file, max_bytes=limits.max_document_bytes):
        if root is None:
            root = el
    if root is None:
        raise DecodeError("empty document", file=file)
    return root


@dataclass
class XmlRecord:
    """One record element streamed out of a bulk document."""

    element: object      # lxml element; valid only until the iterator advances
    number: int          # 1-based position among the records of the document
    line: int | None
    path: str            # e.g. /Courses/learningAchievementSpecificationReferences/qualification[3]


def iter_records(stream: IO[bytes], limits: Limits, record_tags: Iterable[str], *,
                 file: str | None = None, max_document_bytes: int | None = None,
                 parent_tags: Iterable[str] | None = None,
                 root_tag: str | None = None) -> Iterator[XmlRecord]:
    """Stream the elements whose Clark tag is in `record_tags`, one complete subtree at a time.

    Memory stays bounded: each record is cleared after the consumer has advanced, and nothing
    outside records is kept. `parent_tags` (Clark names), when given, restricts records to
    direct children of those elements (so nested elements with the same name are not records).
    Size of the whole stream is bounded by `max_document_bytes` (default: limits) and the count
    of records by `limits.max_records_per_document`. `root_tag` (Clark name), when given, must be
    the document element, else a located DecodeError is raised before any record.
    """
    tags = set(record_tags)
    parents = set(parent_tags) if parent_tags else None
    limit = max_document_bytes or limits.max_document_bytes
    number = 0
    inside = 0  # depth of record nesting (records within records are part of the outer one)
    for event, el, names in _events(stream, limits, file=file, max_bytes=limit):
        if root_tag is not None and len(names) == 1 and event == "start" and el.tag != root_tag:
            raise DecodeError(f"root element is '{localname(el)}', expected "
                              f"'{root_tag.rsplit('}', 1)[-1]}' in namespace "
                              f"{root_tag[1:].split('}', 1)[0]}", file=file, line=el.sourceline,
                              field="/" + localname(el))
        is_record = el.tag in tags
        if is_record and parents is not None:
            parent = el.getparent()
            is_record = parent is not None and parent.tag in parents
        if event == "start":
            if is_record:
                inside += 1
            continue
        if not is_record:
            if inside == 0 and len(names) > 1:
                _release(el)     # outside any record: nothing keeps it (e.g. skipped sections)
            continue
        inside -= 1
        if inside:
            continue
        number += 1
        if number > limits.max_records_per_document:
            raise InputTooLarge(f"more than {limits.max_records_per_document} records in one "
                                "document", file=file, line=el.sourceline)
        yield XmlRecord(el, number, el.sourceline, "/" + "/".join(names))
        _release(el)


def _release(el) -> None:
    """Free a finished element and the already finished siblings before it."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


# --- schemas --------------------------------------------------------------------------------

class _LocalOnlyResolver(etree.Resolver):
    """Resolves schema imports only to files under one directory; everything else is refused."""

    def __init__(self, base: Path, mapping: dict[str, Path] | None = None):
        super().__init__()
        self.base = base.resolve()
        self.mapping = mapping or {}

    def resolve(self, url, pubid, context):
        if url in self.mapping:
            return self.resolve_filename(str(self.mapping[url]), context)
        if "://" in url and not url.startswith("file://"):
            raise etree.XMLSchemaParseError(f"schema import from the network refused: {url}")
        p = Path(url[len("file://"):] if url.startswith("file://") else url)
        p = (p if p.is_absolute() else self.base / p).resolve()
        if p.is_file() and self.base in p.parents:
            return self.resolve_filename(str(p), context)
        raise etree.XMLSchemaParseError(f"schema import outside the schema folder refused: {url}")


def load_schema(path: Path, mapping: dict[str, Path] | None = None,
                allowed_root: Path | None = None) -> etree.XMLSchema:
    """Compile an XSD from disk; imports resolve only to local files (never the network).

    Imports may name files under the schema's folder (or under `allowed_root`); `mapping` maps
    import URLs to local files (used by tests to stand in for official imports).
    """
    parser = hardened_parser()
    path = Path(path).resolve()
    parser.resolvers.add(_LocalOnlyResolver(Path(allowed_root or path.parent), mapping))
    doc = etree.parse(str(path), parser)
    return etree.XMLSchema(doc)


_SANITISE = [
    (re.compile(r"(Element '[^']*'(?:, attribute '[^']*')?): '.*?' is not a valid value", re.S),
     r"\1: the value is not a valid value"),
    (re.compile(r"The value '.*?' (is|has)", re.S), r"The value \1"),
    (re.compile(r"'.*?' is not accepted by the pattern '.*?'", re.S),
     "the value is not accepted by the pattern"),
    (re.compile(r"is not accepted by the pattern '.*?'", re.S), "is not accepted by the pattern"),
    (re.compile(r"key-sequence \[.*?\]", re.S), "key-sequence [...]"),
    (re.compile(r"is not an element of the set \{.*?\}", re.S), "is not one of the allowed values"),
    (re.compile(r"\{[A-Za-z][A-Za-z0-9+.-]*:[^}]*\}"), ""),
]


def _sanitise(message: str) -> str:
    for rx, rep in _SANITISE:
        message = rx.sub(rep, message)
    return " ".join(message.split())


def schema_errors(schema: etree.XMLSchema, element, *, file: str | None = None,
                  record: int | None = None, base_path: str | None = None) -> list[DecodeError]:
    """Validate `element` (a root or a record subtree); one located error per schema problem.

    The reason names the element and the rule, never the value (values may be personal data).
    """
    if schema.validate(element):
        return []
    own = base_path or element_path(element)
    out = []
    for entry in schema.error_log:
        target = None
        if entry.path and entry.path.startswith("/*"):
            try:
                found = element.xpath("." + entry.path[2:])
                target = found[0] if found else None
            except etree.XPathError:
                target = None
        path = own
        if target is not None and target is not element:
            chain = []
            node = target
            while node is not None and node is not element:
                parent = node.getparent()
                same = [c for c in parent if c.tag == node.tag] if parent is not None else [node]
                name = localname(node)
                chain.append(f"{name}[{same.index(node) + 1}]" if len(same) > 1 else name)
                node = parent
            path = own + "/" + "/".join(reversed(chain))
        out.append(DecodeError(f"schema: {_sanitise(entry.message)}", file=file, record=record,
                               line=entry.line or None, field=path))
    return out


def checked_records(stream: IO[bytes], limits: Limits, record_tags: Iterable[str],
                    schema: etree.XMLSchema, *, file: str | None = None,
                    max_document_bytes: int | None = None, parent_tags: Iterable[str] | None = None,
                    root_tag: str | None = None) -> Iterator[XmlRecord | DecodeError]:
    """`iter_records`, each record validated against `schema` as it streams by.

    A valid record is yielded as its `XmlRecord`; one that fails yields, in its place, one located
    `DecodeError` per schema problem (see `schema_errors`), and the next record is still read.
    Errors of the document itself (size, depth, syntax, root) are raised as by `iter_records`.
    """
    for rec in iter_records(stream, limits, record_tags, file=file,
                            max_document_bytes=max_document_bytes, parent_tags=parent_tags,
                            root_tag=root_tag):
        errors = schema_errors(schema, rec.element, file=file, record=rec.number, base_path=rec.path)
        if errors:
            yield from errors
        else:
            yield rec


# --- pyxb bindings --------------------------------------------------------------------------

def generate_bindings(schema: Path, package_dir: Path, module: str, command: str,
                      extra: tuple[tuple[str, str], ...] = (), package: str | None = None) -> Path:
    """Regenerate pyxb bindings for a project subset schema, reproducibly.

    Runs `pyxbgen` (from the same environment) in a temporary folder, replaces the timestamp and
    the random generation UID with values derived from the schema bytes, prepends a "generated;
    do not edit" header naming `command`, and writes `package_dir/<module>.py`. `extra` lists
    (schema file name in the same folder, module) for imported namespaces that need their own
    module; those modules are written too and imported as `<package>.<module>` (`package`
    defaults to the dotted path of `package_dir` inside the repository).
    """
    import subprocess
    import sys
    import tempfile
    import uuid

    schema = Path(schema).resolve()
    pyxbgen = Path(sys.executable).parent / "pyxbgen"
    pairs = [(schema.name, module), *extra]
    args = [str(pyxbgen)]
    for name, mod in pairs:
        args += ["-u", name, "-m", mod]
    digest = hashlib.sha256(b"".join((schema.parent / n).read_bytes() for n, _ in pairs)).hexdigest()
    uid = uuid.uuid5(uuid.NAMESPACE_URL, f"nqf-hub:{schema.name}:{digest}")
    if package is None and extra:
        package = ".".join(Path(package_dir).resolve().relative_to(
            Path(__file__).resolve().parents[2]).parts)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(args + ["--binding-root", tmp], check=True, capture_output=True,
                       cwd=schema.parent)
        written = []
        for name, mod in pairs:
            code = (Path(tmp) / f"{mod}.py").read_text(encoding="utf-8")
            code = re.sub(r"urn:uuid:[0-9a-f-]{36}", f"urn:uuid:{uid}", code)
            code = re.sub(r"^# Generated .*by PyXB version (\S+).*$", r"# Generated by PyXB version \1",
                          code, flags=re.M)
            code = re.sub(r"^# (\./|/).*\.py\n", "", code, flags=re.M)
            code = code.replace(str(schema.parent) + "/", "")
            for _, other in pairs:
                code = re.sub(rf"^import {other}(\s+as\s+)", rf"import {package}.{other}\1", code,
                              flags=re.M)
                code = re.sub(rf"^import {other}$", f"import {package}.{other} as {other}", code,
                              flags=re.M)
            header = (f"# GENERATED by `{command}` from {schema.parent.name}/{name} "
                      f"(sha256 {digest[:16]}); do not edit.\n# flake8: noqa\n")
            out = Path(package_dir) / f"{mod}.py"
            out.write_text(header + code, encoding="utf-8")
            written.append(out)
    return written[0]


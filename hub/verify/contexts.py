"""JSON-LD contexts held locally, and the pyld document loader over them (never the network).

RDF-canonicalised proofs (eddsa-rdfc-2022, ecdsa-rdfc-2019) need every `@context` a credential
names. The hub reads them only from a context store: a directory with `index.yaml`, a list of
`{url, file, sha256}` entries (validated by mappings/trust/contexts.schema.json; the digest pins
the reviewed bytes). A credential naming a context that is not held cannot be checked: the
loader raises `ContextNotHeld` and the outcome is `unverified`, naming the URL.

`nqf-hub trust context-add URL FILE` adds a reviewed context file to the store.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from hub.config import PROJECT_ROOT
from hub.errors import MappingFileError

CONTEXTS_SCHEMA = PROJECT_ROOT / "mappings" / "trust" / "contexts.schema.json"
MAX_CONTEXT_BYTES = 1024 * 1024


class ContextNotHeld(Exception):
    def __init__(self, url: str):
        self.url = url
        super().__init__(f"JSON-LD context {url} is not held in the local context store")


class ContextStore:
    """URL -> parsed context document, loaded once; `loader` is the pyld documentLoader."""

    def __init__(self, documents: dict[str, dict] | None = None, directory: Path | None = None):
        self.documents = dict(documents or {})
        self.directory = directory

    @classmethod
    def load(cls, directory: Path | str) -> "ContextStore":
        from hub.routing.policy._yamlfiles import FAILED, load_schema, read_yaml, validate
        directory = Path(directory)
        index = directory / "index.yaml"
        if not index.is_file():
            return cls(directory=directory)
        problems: list[str] = []
        doc = read_yaml(index, problems)
        docs: dict[str, dict] = {}
        if doc is not FAILED and validate(load_schema(CONTEXTS_SCHEMA), doc, index.name, problems):
            for i, entry in enumerate(doc["contexts"]):
                where = f"index.yaml: contexts[{i}]"
                p = (directory / entry["file"]).resolve()
                if directory.resolve() not in p.parents or not p.is_file():
                    problems.append(f"{where}.file: not found inside the context directory")
                    continue
                data = p.read_bytes()
                if len(data) > MAX_CONTEXT_BYTES:
                    problems.append(f"{where}.file: larger than {MAX_CONTEXT_BYTES} bytes")
                    continue
                if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    problems.append(f"{where}.sha256: does not match the file (changed since review?)")
                    continue
                try:
                    docs[entry["url"]] = json.loads(data)
                except (UnicodeDecodeError, json.JSONDecodeError):
                    problems.append(f"{where}.file: not JSON")
        if problems:
            raise MappingFileError(f"{len(problems)} problem(s) in the context store {directory}", problems)
        return cls(docs, directory)

    def loader(self, url, options=None):
        doc = self.documents.get(url)
        if doc is None:
            raise ContextNotHeld(str(url))
        return {"contextUrl": None, "documentUrl": url, "document": doc}

    def add(self, url: str, data: bytes) -> str:
        """Store a reviewed context file and index it; returns its sha256."""
        import yaml
        if self.directory is None:
            raise MappingFileError("this context store has no directory")
        json.loads(data)
        digest = hashlib.sha256(data).hexdigest()
        self.directory.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(url.encode()).hexdigest()[:24] + ".jsonld"
        (self.directory / name).write_bytes(data)
        index = self.directory / "index.yaml"
        entries = (yaml.safe_load(index.read_text()) or {}).get("contexts", []) if index.exists() else []
        entries = [e for e in entries if e.get("url") != url] + [{"url": url, "file": name, "sha256": digest}]
        index.write_text(yaml.safe_dump({"contexts": entries}, sort_keys=False))
        self.documents[url] = json.loads(data)
        return digest

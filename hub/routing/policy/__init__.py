"""The privacy policy engine (pure: no Kafka).

The router calls, for every event on hub.ingress and every partner:

    if subscribed(partner, event):
        decision = engine.decide(event, partner, evidence=...)

`PolicyEngine.load(rules_dir)` compiles the rule files of mappings/privacy/ (JSON-Schema
validated, every problem reported at once); `load_partners(dir)` reads the partner registry;
`PseudonymKeys` holds the per-partner keys for keyed pseudonyms. Semantics are documented in
hub/routing/policy/_engine.py and, for reviewers, in mappings/privacy/README.md.
"""
from pathlib import Path

from hub.routing.policy._engine import PolicyEngine
from hub.routing.policy._model import (ACTIONS, DEFAULT_EVENT_TYPES, Decision, Evidence, Partner,
                                       most_restrictive)
from hub.routing.policy._partners import load_partners, subscribed
from hub.routing.policy._pseudonym import PseudonymKeys, pseudonym


def lint_directory(rules_dir: Path, partners_dir: Path | None = None) -> tuple[list[str], list[str]]:
    """(problems, notes) for `nqf-hub policy lint`: every schema, reference and worked-example
    problem of every file at once; notes are review warnings that do not fail lint."""
    from hub.errors import MappingFileError
    from hub.routing.policy._rules import load_rules

    vocab, regimes, problems = load_rules(Path(rules_dir))
    notes: list[str] = []
    engine = None
    try:
        engine = PolicyEngine(vocab, regimes, rules_dir=Path(rules_dir))
        problems += engine.problems
    except Exception as e:  # vocabulary too broken to build the engine
        problems.append(f"cannot build the engine: {e.__class__.__name__}: {e}")
    if engine is not None and not problems:
        problems += engine.lint()
        notes += engine.review_notes()
    if partners_dir is not None:
        try:
            partners = load_partners(Path(partners_dir))
        except MappingFileError as e:
            problems += [f"partners: {p}" for p in (e.problems or [str(e)])]
            partners = {}
        known_kinds = {k for reg in regimes for r in reg.rules for q in r.requires for k in q.kinds}
        known_kinds |= {e.qualifier for reg in regimes for lst in reg.lists.values() for e in lst if e.qualifier}
        for p in partners.values():
            for purpose in p.purposes:
                if vocab.purposes and purpose not in vocab.purposes:
                    problems.append(f"partners: {p.id}.yaml: purposes: {purpose} is not defined in hub.yaml")
            for i in p.instruments:
                if engine is not None and i not in engine.register.by_id:
                    problems.append(f"partners: {p.id}.yaml: instruments: {i} is not in the instrument register "
                                    "(mappings/privacy/instruments/): it counts for nothing")
                kind = i.split(":", 1)[0]
                if kind not in known_kinds:
                    notes.append(f"partners: {p.id}.yaml: instruments: kind '{kind}' is not accepted by any rule")
        if engine is not None:
            for inst in engine.register.by_id.values():
                if inst.recipient not in partners:
                    problems.append(f"{inst.source_file}: {inst.id}: parties/recipient: no partner {inst.recipient}")
    return problems, notes


__all__ = [
    "ACTIONS", "DEFAULT_EVENT_TYPES", "Decision", "Evidence", "Partner", "PolicyEngine",
    "PseudonymKeys", "lint_directory", "load_partners", "most_restrictive", "pseudonym", "subscribed",
]

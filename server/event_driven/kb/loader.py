"""Load ``knowledge/*.yaml``, each file validated by its pydantic model.

A malformed file stops start-up with a :class:`KnowledgeError` naming the file, the path inside it and the reason.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from event_driven.kb.brokers import BrokerKnowledge
from event_driven.kb.checklist import DebugChecklist
from event_driven.kb.failure_modes import FailureModeCatalog
from event_driven.kb.patterns import PatternDefaults
from event_driven.kb.rules import RuleBook
from event_driven.kb.schema_rules import SchemaRuleBook
from event_driven.kb.sources import SourceBook
from event_driven.kb.vocabulary import DiagnosisVocabulary
from event_driven.paths import knowledge_dir

M = TypeVar("M", bound=BaseModel)
# libyaml's safe loader is about ten times faster than the pure-Python one: it matters for server start-up.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(Exception):
    """A knowledge file is missing, is not YAML, or does not match its model."""

    def __init__(self, file: Path, problems: list[tuple[str, str]]):
        self.file = file
        self.problems = problems  # (path inside the file, reason)
        lines = [f"{file}: {path}: {reason}" for path, reason in problems]
        super().__init__("invalid knowledge base\n" + "\n".join(lines))


def _path(loc: tuple[Any, ...], data: Any) -> str:
    """A pydantic location as a document path, naming list items by their id: ``failure_modes[3] (id=x).symptoms``."""
    out, node = "", data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                out += f" (id={node['id']})"
        elif isinstance(node, dict) and part not in node and part in ("leaf", "group", "function-after"):
            continue  # union and discriminator tags are not part of the document
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def load_file(path: Path, model: type[M], sources: SourceBook | None = None) -> M:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except FileNotFoundError:
        raise KnowledgeError(path, [("(file)", "file not found")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise KnowledgeError(path, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    return parse(data, model, path, sources)


def parse(data: Any, model: type[M], origin: Path, sources: SourceBook | None = None) -> M:
    """Validate parsed YAML against its model; ``sources`` resolves the source ids it cites."""
    try:
        return model.model_validate(data, context={"sources": sources} if sources else None)
    except ValidationError as exc:
        problems = [(_path(tuple(err["loc"]), data), err["msg"]) for err in exc.errors(include_url=False)]
        raise KnowledgeError(origin, problems) from None


class KnowledgeBase(BaseModel):
    """Everything under ``knowledge/``, validated."""

    sources: SourceBook
    rules: RuleBook
    debug_checklist: DebugChecklist
    patterns: PatternDefaults
    brokers: BrokerKnowledge
    failure_modes: FailureModeCatalog
    schema_rules: SchemaRuleBook
    vocabulary: DiagnosisVocabulary


SOURCES_FILE = "sources.yaml"
VOCABULARY_FILE = "diagnosis_vocabulary.yaml"
# file name -> (attribute, model); sources.yaml is loaded first, since the others cite it.
FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "rules.yaml": ("rules", RuleBook),
    "debug_checklist.yaml": ("debug_checklist", DebugChecklist),
    "patterns.yaml": ("patterns", PatternDefaults),
    "brokers.yaml": ("brokers", BrokerKnowledge),
    "failure_modes.yaml": ("failure_modes", FailureModeCatalog),
    "schema_rules.yaml": ("schema_rules", SchemaRuleBook),
    VOCABULARY_FILE: ("vocabulary", DiagnosisVocabulary),
}


def load_knowledge(root: Path | None = None) -> KnowledgeBase:
    root = root or knowledge_dir()
    sources = load_file(root / SOURCES_FILE, SourceBook)
    parts = {attr: load_file(root / name, model, sources) for name, (attr, model) in FILES.items()}
    return KnowledgeBase.model_validate({"sources": sources, **parts})


@functools.lru_cache(maxsize=1)
def knowledge() -> KnowledgeBase:
    """The knowledge base of this installation, loaded once per process."""
    return load_knowledge()

"""The knowledge base: ``knowledge/*.yaml``, each file validated by its pydantic model (loader.py)."""

from __future__ import annotations

from pathlib import Path

# File name -> the KnowledgeBase attribute holding it; sources.yaml is loaded first, since the others cite it. Here,
# not in loader.py, so that naming the files imports no model.
SOURCES_FILE = "sources.yaml"
KNOWLEDGE_FILES: dict[str, str] = {
    "rules.yaml": "rules",
    "debug_checklist.yaml": "debug_checklist",
    "patterns.yaml": "patterns",
    "brokers.yaml": "brokers",
    "failure_modes.yaml": "failure_modes",
    "schema_rules.yaml": "schema_rules",
    "diagnosis_vocabulary.yaml": "vocabulary",
}


class KnowledgeError(Exception):
    """A knowledge file is missing, is not YAML, or does not match its model."""

    def __init__(self, file: Path, problems: list[tuple[str, str]]):
        self.file = file
        self.problems = problems  # (path inside the file, reason)
        lines = [f"{file}: {path}: {reason}" for path, reason in problems]
        super().__init__("invalid knowledge base\n" + "\n".join(lines))

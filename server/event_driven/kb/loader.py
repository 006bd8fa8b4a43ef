"""Load ``knowledge/*.yaml``, each file validated by its pydantic model.

A malformed file stops start-up with a :class:`KnowledgeError` naming the file, the path inside it and the reason.

Parsing the YAML is most of the load (libyaml: ~60 ms for 500 KB, where JSON takes 3 ms), so the parsed files are
kept as a JSON snapshot in the cache directory (paths.cache_dir), named by the sha256 of the files' bytes: a changed
file misses it and is parsed again. The snapshot is data only, validated by the same models as the YAML (never a
pickle, whose loading would run code from a writable place); one that is unreadable or does not match is ignored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any, TypeVar, cast

import yaml
from pydantic import BaseModel, ValidationError

from event_driven.kb import KNOWLEDGE_FILES, SOURCES_FILE, KnowledgeError
from event_driven.kb.brokers import BrokerKnowledge
from event_driven.kb.checklist import DebugChecklist
from event_driven.kb.failure_modes import FailureModeCatalog
from event_driven.kb.patterns import PatternDefaults
from event_driven.kb.rules import RuleBook
from event_driven.kb.schema_rules import SchemaRuleBook
from event_driven.kb.sources import SourceBook
from event_driven.kb.vocabulary import DiagnosisVocabulary
from event_driven.paths import cache_dir, knowledge_dir

M = TypeVar("M", bound=BaseModel)
# libyaml's safe loader is about ten times faster than the pure-Python one: it matters for server start-up.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    return parse(_yaml(path, _read(path)), model, path, sources)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KnowledgeError(path, [("(file)", "file not found")]) from None


def _yaml(path: Path, raw: bytes) -> Any:
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_SAFE_LOADER)
    except UnicodeDecodeError as exc:
        raise KnowledgeError(path, [("(file)", f"not UTF-8: {exc.reason} at byte {exc.start}")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        raise KnowledgeError(path, [(where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None


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


__all__ = ["FILES", "SOURCES_FILE", "KnowledgeBase", "KnowledgeError", "knowledge", "load_file", "load_knowledge"]
# file name -> (attribute, model); sources.yaml is loaded first, since the others cite it.
FILES: dict[str, tuple[str, type[BaseModel]]] = {
    name: (attr, cast(type[BaseModel], KnowledgeBase.model_fields[attr].annotation))
    for name, attr in KNOWLEDGE_FILES.items()
}


def load_knowledge(root: Path | None = None) -> KnowledgeBase:
    root = root or knowledge_dir()
    data = _parsed_files(root)
    sources = parse(data[SOURCES_FILE], SourceBook, root / SOURCES_FILE)
    parts = {attr: parse(data[name], model, root / name, sources) for name, (attr, model) in FILES.items()}
    return KnowledgeBase.model_validate({"sources": sources, **parts})


SNAPSHOT_FORMAT = 1
SNAPSHOTS_KEPT = 4  # several checkouts or versions may share one cache directory
log = logging.getLogger("event_driven.kb")


def _parsed_files(root: Path) -> dict[str, Any]:
    """File name -> its parsed YAML, from the snapshot when one matches the files' bytes."""
    raw = {name: _read(root / name) for name in (SOURCES_FILE, *FILES)}
    digest = hashlib.sha256()
    for name, content in raw.items():
        digest.update(f"{name}\0{hashlib.sha256(content).hexdigest()}\0".encode())
    key, where = digest.hexdigest(), cache_dir()
    snapshot = where / f"knowledge-{key[:32]}.json" if where else None
    data = _read_snapshot(snapshot, key, set(raw)) if snapshot else None
    if data is None:
        data = {name: _yaml(root / name, content) for name, content in raw.items()}
        if snapshot:
            _write_snapshot(snapshot, key, data)
    return data


def _read_snapshot(path: Path, key: str, names: set[str]) -> dict[str, Any] | None:
    try:
        snapshot = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(snapshot, dict) or snapshot.get("format") != SNAPSHOT_FORMAT or snapshot.get("key") != key:
        return None
    files = snapshot.get("files")
    return files if isinstance(files, dict) and set(files) == names else None


def _write_snapshot(path: Path, key: str, data: dict[str, Any]) -> None:
    """Best effort: kept only when JSON carries the parsed YAML exactly (no dates, no non-string keys)."""
    try:
        text = json.dumps({"format": SNAPSHOT_FORMAT, "key": key, "files": data}, allow_nan=False)
        if json.loads(text)["files"] != data:
            return
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".knowledge-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, path)  # readers see the whole file or none
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        older = sorted(path.parent.glob("knowledge-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in older[SNAPSHOTS_KEPT:]:
            with contextlib.suppress(OSError):
                stale.unlink()
    except (OSError, TypeError, ValueError) as exc:
        log.debug("knowledge snapshot not written to %s: %s", path.parent, exc)


@functools.lru_cache(maxsize=1)
def knowledge() -> KnowledgeBase:
    """The knowledge base of this installation, loaded once per process."""
    return load_knowledge()

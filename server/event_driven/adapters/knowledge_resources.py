"""Resources: the knowledge base whole and by item, the files tools link to, and the skill.

``event-driven://knowledge/{file}`` serves a whole knowledge file (large); ``event-driven://knowledge/{file}/{id}``
one item of it, with completion of the ids. ``event-driven://files/...`` rebuilds a linked file from its URI
(see files.py). ``skill://event-driven/SKILL.md`` is the companion skill (SEP-2640's URI; the SDK has no skills
API yet).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.types import Completion, ResourceTemplateReference

from event_driven.adapters.cache import AnswerCache
from event_driven.adapters.files import FILES_TEMPLATE, decode_request
from event_driven.adapters.tools import BY_NAME
from event_driven.adapters.warmup import Warmup
from event_driven.errors import InputError, render_errors
from event_driven.kb import KNOWLEDGE_FILES
from event_driven.paths import skill_file

if TYPE_CHECKING:
    from event_driven.kb.loader import KnowledgeBase

PREFIX = "event-driven://knowledge/"
FILE_RESULTS: AnswerCache[dict[str, Any]] = AnswerCache(max_entries=16)
SKILL_URI = "skill://event-driven/SKILL.md"

DESCRIPTIONS = {
    "brokers": "What each broker can and cannot do (throughput, ordering, guarantees, retention, limits), sourced.",
    "failure_modes": "Failure modes diagnose_issue reasons over: symptoms, error signatures, fixes, sources.",
    "patterns": "The seed's retry config, metrics and log events, and the sizing assumptions.",
    "rules": "validate_context's consistency rules, with the sourced thresholds they use.",
    "debug_checklist": "The seed skill's debug checklist: each question, why it matters and how to check it.",
}


def items(kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    """Knowledge file stem -> item id -> the item, for the files whose entries have ids."""
    return {
        "brokers": {b.id: b for b in kb.brokers.brokers},
        "failure_modes": {f.id: f for f in kb.failure_modes.failure_modes},
        "rules": {r.id: r for r in kb.rules.rules},
        "debug_checklist": {i.id: i for i in kb.debug_checklist.items},
    }


def _as_json(model: Any) -> str:
    return json.dumps(model.model_dump(mode="json", by_alias=True), indent=1)


def _register_whole_files(mcp: MCPServer, source: Warmup) -> None:
    for file_name, attr in KNOWLEDGE_FILES.items():
        stem = file_name.removesuffix(".yaml")
        mcp.resource(
            PREFIX + stem,
            name=stem,
            title=f"Knowledge base: {stem.replace('_', ' ')} (whole file)",
            description=f"{DESCRIPTIONS.get(stem, file_name)} Large: read one item at {PREFIX}{stem}/{{id}} instead.",
            mime_type="application/json",
        )(_whole_file(source, attr))


def _whole_file(source: Warmup, attr: str) -> Callable[[], str]:
    # Serialised on first read, not at start-up: most sessions never read a whole file. Readers run in a worker
    # thread, where waiting for the knowledge base blocks no one.
    cached: list[str] = []

    def read() -> str:
        if not cached:
            cached.append(_as_json(getattr(source.get(), attr)))
        return cached[0]

    return read


def _constant(text: str) -> Callable[[], str]:
    def read() -> str:
        return text

    return read


def _register_items(mcp: MCPServer, source: Warmup) -> None:
    catalogue = functools.cache(lambda: items(source.get()))

    @mcp.resource(
        PREFIX + "{file}/{item_id}",
        name="knowledge-item",
        title="One knowledge-base item",
        description="One broker profile, failure mode, rule or checklist item, e.g. "
        f"{PREFIX}failure_modes/kafka_max_poll_interval_exceeded.",
        mime_type="application/json",
    )
    def read_item(file: str, item_id: str) -> str:
        entries = catalogue().get(file)
        if entries is None:
            raise ResourceNotFoundError(f"unknown knowledge file {file!r}; files: {', '.join(catalogue())}")
        if item_id not in entries:
            raise ResourceNotFoundError(f"no {file} item {item_id[:80]!r}; list them with completion/complete")
        return _as_json(entries[item_id])

    @mcp.completion()
    async def complete(ref: Any, argument: Any, context: Any) -> Completion | None:
        if not isinstance(ref, ResourceTemplateReference):
            from event_driven.adapters.prompts import complete_prompt

            return complete_prompt(ref, argument)
        await source.knowledge()
        if argument.name == "file":
            values = [f for f in catalogue() if f.startswith(argument.value)]
        elif argument.name == "item_id":
            chosen = (getattr(context, "arguments", None) or {}).get("file")
            every = catalogue()
            pool = every.get(chosen, {}) if chosen else {k: v for e in every.values() for k, v in e.items()}
            values = sorted(i for i in pool if i.startswith(argument.value))
        else:
            return None
        return Completion(values=values[:100], total=len(values), has_more=len(values) > 100)


def _register_files(mcp: MCPServer, source: Warmup) -> None:
    @mcp.resource(
        FILES_TEMPLATE,
        name="tool-file",
        title="A file a tool rendered",
        description="A config or test file from plan_topology or generate_tests, rebuilt from its URI.",
    )
    def read_file(tool: str, request: str, path: str) -> str:
        spec = BY_NAME.get(tool)
        if spec is None or spec.files_field is None:
            raise ResourceNotFoundError(f"no tool {tool[:40]!r} renders files")
        result = FILE_RESULTS.get(tool + "\x00" + request)
        if result is None:
            try:
                result = spec.run(decode_request(request), source.get()).model_dump(mode="json")
            except InputError as exc:
                raise ResourceError(render_errors(exc.errors)[:2000]) from None
            # A plan's links are read one by one: keep the result so the next file is not rebuilt from scratch.
            FILE_RESULTS.put(tool + "\x00" + request, result)
        wanted = unquote(path)
        for entry in result.get(spec.files_field, []):
            if entry.get("path") == wanted:
                return entry.get("content", "")
        raise ResourceNotFoundError(f"{tool} made no file {wanted[:120]!r} for this request")


def _register_skill(mcp: MCPServer) -> None:
    text = skill_file().read_text(encoding="utf-8")
    mcp.resource(
        SKILL_URI,
        name="event-driven-skill",
        title="Skill: event-driven",
        description="The companion Agent Skill: when and how to use these tools.",
        mime_type="text/markdown",
    )(_constant(text))


def register(mcp: MCPServer, source: Warmup) -> None:
    _register_whole_files(mcp, source)
    _register_items(mcp, source)
    _register_files(mcp, source)
    _register_skill(mcp)

"""One tool call, end to end: run the use case off the event loop within a time limit, then build the answer.

The answer is the presenter's Markdown as text content, the structured result (trimmed in summary mode, with what
was left out), and each file as a resource link (or embedded, on request). Input errors come back in the one
format of errors.render_errors; nothing else of the server's internals ever reaches the caller.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mcp.types import CallToolResult, EmbeddedResource, ResourceLink, TextContent, TextResourceContents

from event_driven.adapters.cache import AnswerCache, request_key
from event_driven.adapters.files import encode_request, file_uri, mime_type
from event_driven.adapters.limits import RUNTIME
from event_driven.adapters.summary import summarize
from event_driven.adapters.tools import ToolSpec
from event_driven.app.targets import configured
from event_driven.errors import InputError, echo, field_error, render_errors

if TYPE_CHECKING:
    from event_driven.kb.loader import KnowledgeBase

log = logging.getLogger("event_driven.mcp")


ANSWERS: AnswerCache[CallToolResult] = AnswerCache()
# Answers above this size are not kept (a full plan with its files inline): they would crowd out the rest.
CACHE_MAX_CHARS = 100_000


async def run_tool(spec: ToolSpec, arguments: Mapping[str, Any], kb: KnowledgeBase) -> CallToolResult:
    """The answer to one call, from the cache when the same request was answered before (live reads never are)."""
    key = None if spec.live or "target" in arguments else request_key(spec.name, arguments)
    cached = ANSWERS.get(key)
    if cached is not None:
        return cached
    answer = await _answer(spec, arguments, kb)
    if not answer.is_error and sum(len(getattr(b, "text", "") or "") for b in answer.content) < CACHE_MAX_CHARS:
        ANSWERS.put(key, answer)
    return answer


async def _answer(spec: ToolSpec, arguments: Mapping[str, Any], kb: KnowledgeBase) -> CallToolResult:
    detail, files_mode = arguments.get("detail") or "summary", arguments.get("files") or "links"
    try:
        _check_presentation(detail, files_mode)
        call = {k: v for k, v in arguments.items() if k not in ("detail", "files")}
        result = await RUNTIME.run(spec.run, call, kb, timeout_s=_time_limit(spec, call))
    except InputError as exc:
        return error_result(render_errors(exc.errors))
    except TimeoutError:
        return error_result(
            f"Invalid input:\n- $ (timeout): {spec.name} did not finish within "
            f"{RUNTIME.timeout_s:g} s; send a smaller input."
        )
    except Exception:  # a bug, not the caller's fault: logged with its traceback, never shown
        log.exception("%s failed on valid-looking input", spec.name)
        return error_result(f"Internal error in {spec.name} (logged on the server); please report it.")
    dump = result.model_dump(mode="json", by_alias=True)
    return build_answer(spec, dump, call, detail, files_mode)


PRESENTATION = {"detail": ("summary", "full"), "files": ("links", "inline")}


def _time_limit(spec: ToolSpec, call: Mapping[str, Any]) -> float:
    """A live read is bounded by its target's own deadline (the reader enforces it); add a margin for the analysis."""
    if spec.live or "target" in call:
        targets = configured()
        deadline = max((t.deadline_s for t in targets.targets), default=0.0) if targets else 0.0
        return max(RUNTIME.timeout_s, deadline + 5)
    return RUNTIME.timeout_s


def _check_presentation(detail: Any, files_mode: Any) -> None:
    errors = [
        field_error(
            f"$.{name}",
            "not_allowed",
            f"{name} must be one of {', '.join(allowed)}, got {echo(value, 40)}",
            ", ".join(allowed),
        )
        for (name, allowed), value in zip(PRESENTATION.items(), (detail, files_mode), strict=True)
        if not (isinstance(value, str) and value in allowed)
    ]
    if errors:
        raise InputError(errors)


# Hosts keep a longer text out of the model's context (Claude Code: 50,000 characters); the structured result and the
# files still carry everything.
MAX_TEXT_CHARS = 50_000


def _within(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit - 200)
    return text[:cut] + "\n\n... (the answer is cut here to stay readable; the structured result has everything)\n"


def build_answer(
    spec: ToolSpec, dump: dict[str, Any], call: Mapping[str, Any], detail: str, files_mode: str
) -> CallToolResult:
    text = _within(spec.present(dump, detail), MAX_TEXT_CHARS)
    blocks: list[Any] = [TextContent(type="text", text=text)]
    if spec.files_field:
        blocks += _file_blocks(spec, dump.get(spec.files_field, []), call, files_mode)
    if detail == "summary":
        structured = summarize(dump, spec.files_field, drop=spec.summary_drop, tops=spec.summary_tops)
    else:  # full: every list; file contents still travel as links unless asked inline
        structured = summarize(dump, spec.files_field if files_mode == "links" else None, keep_lists=True)
    size = len(text) + len(json.dumps(structured, separators=(",", ":")))
    if size > RUNTIME.max_answer_chars:
        return error_result(
            f"Invalid input:\n- $ (too_large): the answer would be {size:,} characters (at most "
            f"{RUNTIME.max_answer_chars:,}); ask for detail='summary' or narrow the request."
        )
    return CallToolResult(content=blocks, structured_content=structured)


def _file_blocks(spec: ToolSpec, files: list[dict[str, Any]], call: Mapping[str, Any], mode: str) -> list[Any]:
    request = encode_request(call)
    blocks: list[Any] = []
    for f in files:
        path, content = f.get("path", ""), f.get("content", "")
        uri, mime = file_uri(spec.name, request, path), mime_type(path)
        about = f.get("checked_by") or f.get("purpose") or ""
        if mode == "inline":
            blocks.append(
                EmbeddedResource(type="resource", resource=TextResourceContents(uri=uri, mime_type=mime, text=content))
            )
        else:
            blocks.append(
                ResourceLink(
                    type="resource_link",
                    uri=uri,
                    name=path,
                    mime_type=mime,
                    size=len(content.encode()),
                    description=about[:300] or None,
                )
            )
    return blocks


def error_result(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text[:2000])], is_error=True)

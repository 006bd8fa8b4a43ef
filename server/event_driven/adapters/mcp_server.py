"""The MCP adapter: registers the tool table, the knowledge and file resources, the prompts and the skill.

Nothing here computes an answer. Each tool accepts any JSON for its arguments (the project validates them, so
every rejection has one format), runs its use case through ``answers.run_tool`` and returns Markdown, the
structured result and resource links.
"""

from __future__ import annotations

import inspect
import logging
from typing import TYPE_CHECKING, Any

from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from event_driven.adapters import knowledge_resources, prompts
from event_driven.adapters.answers import ANSWERS, run_tool
from event_driven.adapters.output_schema import published
from event_driven.adapters.tools import TOOLS, ToolSpec, inspect_spec
from event_driven.adapters.warmup import NotLoaded, StartOnFirstMessage, Warmup
from event_driven.adapters.wire_cache import WireCache
from event_driven.app.targets import configured
from event_driven.version import package_version

if TYPE_CHECKING:
    from event_driven.kb.loader import KnowledgeBase

log = logging.getLogger("event_driven.mcp")

SERVER_NAME = "event-driven"

INSTRUCTIONS = """\
event-driven advises on event-driven architecture (Kafka, RabbitMQ, SQS, Pulsar, NATS JetStream, Redis Streams). It
computes and explains; it reads a broker, read-only, only when the operator lists it in a targets file (then
inspect_broker is offered and diagnose_issue's target reads it). Workflow: validate_context -> select_broker ->
plan_topology -> generate_tests; diagnose_issue for incidents; check_schema_change before changing an event schema.
Answers are Markdown, verdict first; pass detail='full' for every list; files come as resource links (read them with
resources/read). Knowledge items: event-driven://knowledge/{file}/{id}. Prompts: design_system, diagnose_incident,
review_config.
"""

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
# Reading a live broker: still read-only, but its answers depend on the world outside.
READ_ONLY_LIVE = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)


def _register_tool(mcp: MCPServer, spec: ToolSpec, source: Warmup, live: bool = False) -> None:
    names = list(spec.input_schema["properties"])

    async def call(**arguments: Any) -> CallToolResult:
        try:
            kb = await source.knowledge()
        except NotLoaded as exc:
            return CallToolResult(content=[TextContent(type="text", text=str(exc))], is_error=True)
        return await run_tool(spec, {k: v for k, v in arguments.items() if v is not None}, kb)

    # Every argument is typed Any with a default, so the SDK passes whatever JSON arrives to the project's own
    # validation; the published schema is the hand-written one from schemas.py.
    call.__signature__ = inspect.Signature(  # read by inspect.signature
        [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Any) for n in names],
        return_annotation=CallToolResult,
    )
    call.__annotations__ = {**{n: Any for n in names}, "return": CallToolResult}
    meta = {"anthropic/maxResultSizeChars": spec.max_result_chars} if spec.max_result_chars else None
    annotations = READ_ONLY_LIVE if spec.live or (live and spec.name == "diagnose_issue") else READ_ONLY
    mcp.add_tool(
        call, name=spec.name, title=spec.title, description=spec.description, annotations=annotations, meta=meta
    )
    tool = mcp._tool_manager.get_tool(spec.name)
    assert tool is not None
    tool.parameters = spec.input_schema
    # The content is the model's own dump (valid by construction), so the SDK need not re-validate it per call; the
    # published schema is the compact one (cached_property: an instance value takes precedence).
    vars(tool)["output_schema"] = published()[spec.name]


def build_server(kb: KnowledgeBase | None = None, warmup: Warmup | None = None) -> MCPServer:
    """Create the MCP server over ``kb``, else over the installation's knowledge base loaded now (a malformed file
    raises KnowledgeError here), else, given a ``warmup``, over the one it loads after the first message."""
    if warmup is None:
        from event_driven.kb.loader import knowledge

        warmup = Warmup.ready(kb or knowledge())
    middleware: list[Any] = [] if warmup.started else [StartOnFirstMessage(warmup)]
    mcp = MCPServer(
        SERVER_NAME,
        version=package_version(),
        instructions=INSTRUCTIONS,
        log_level="WARNING",
        middleware=[*middleware, WireCache(ANSWERS)],
    )
    targets = configured()
    for spec in TOOLS:
        _register_tool(mcp, spec, warmup, live=targets is not None)
    if targets is not None:
        _register_tool(mcp, inspect_spec(max(t.deadline_s for t in targets.targets)), warmup, live=True)
    knowledge_resources.register(mcp, warmup)
    prompts.register(mcp)
    return mcp

"""The MCP adapter: exposes the pure core as MCP tools and the knowledge base as resources.

Nothing here computes an answer; every tool validates its input, calls the core, and returns the core's model, whose
JSON Schema becomes the tool's output schema.
"""

from __future__ import annotations

import json
import logging
from importlib import metadata
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field

from event_driven.core.validation import ValidationResult
from event_driven.core.validation import validate_context as core_validate
from event_driven.kb.loader import FILES, KnowledgeBase, knowledge

log = logging.getLogger("event_driven.mcp")

SERVER_NAME = "event-driven"
DISTRIBUTION = "event-driven-mcp"
RESOURCE_PREFIX = "event-driven://knowledge/"

INSTRUCTIONS = """\
event-driven is an advisor for event-driven architecture (Kafka, RabbitMQ, SQS, Pulsar, NATS JetStream, Redis Streams).
It computes and explains; it never connects to a broker.

When to call which tool:
- validate_context: first, whenever the user describes a messaging system. Send the event context (use_case,
  requirements {throughput like '10K msg/s', latency like '100ms', ordering, delivery, retention like '7 days'},
  producers, consumers). It returns valid/errors (each with a JSON path and what is allowed: fix these with the user
  before going further), consistency warnings (each with the rule, the fields involved, a recommendation and sources),
  and the context normalised to msg/s, ms and hours. A partial context is fine: you still get every warning its fields
  trigger.

Resources: event-driven://knowledge/<file> serves the knowledge base (rules with their sourced thresholds, the debug
checklist) as JSON, so you can cite a rule's source.
"""

READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

EVENT_CONTEXT_EXAMPLE = {
    "use_case": "pub_sub",
    "requirements": {
        "throughput": "10K msg/s",
        "latency": "100ms",
        "ordering": "partition",
        "delivery": "at_least_once",
        "retention": "7 days",
    },
    "producers": ["order-service"],
    "consumers": ["notification-service", "analytics-service"],
}

# Typed as any JSON value on purpose: a wrong shape must come back as `valid: false` with a field-level error, not as
# a protocol-level argument rejection the agent cannot act on.
EventContextArg = Annotated[
    Any,
    Field(
        description=(
            "The event context, as an object (with or without an outer 'event_context' key) or as YAML/JSON text. "
            "Fields: use_case (pub_sub | work_queue | event_sourcing | cqrs | saga); requirements: throughput "
            "('<n>[K|M] msg/s'), latency ('<n>ms' or '<n>s'), ordering (none | partition | global), delivery "
            "(at_most_once | at_least_once | exactly_once), retention ('<n> hours|days|weeks'), and the optional "
            "extensions message_size ('<n> B|KB|KiB|MB|MiB'), replay ('none' | 'full' | '<n> days'), "
            "idempotent_consumers (bool); producers and consumers: lists of service names. Invalid or partial input "
            "is reported in the result, not rejected."
        ),
        examples=[EVENT_CONTEXT_EXAMPLE],
        json_schema_extra={"type": ["object", "string"]},
    ),
]


def package_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0+source"


def build_server(kb: KnowledgeBase | None = None) -> MCPServer:
    """Create the MCP server. Loading the knowledge base here makes a malformed file stop start-up."""
    kb = kb or knowledge()
    mcp = MCPServer(SERVER_NAME, version=package_version(), instructions=INSTRUCTIONS, log_level="WARNING")

    @mcp.tool(
        name="validate_context",
        title="Validate an event context",
        annotations=READ_ONLY,
    )
    async def validate_context(event_context: EventContextArg = None) -> ValidationResult:
        """Check and normalise an event-driven system's context, and flag contradictions.

        Returns `valid` (true only when the context is complete and well-formed), `errors` (JSON path, code, and a
        message saying what is allowed, with a suggested fix where obvious), `warnings` (rule id, severity, message,
        fields involved, recommendation, sources; most severe first) and `normalized` (throughput in msg/s, latency in
        ms, retention in hours). Call it before planning anything; fix errors with the user; relay high-severity
        warnings.
        """
        return core_validate(event_context, kb.rules)

    for file_name, (attr, _model) in FILES.items():
        _register_knowledge_resource(mcp, kb, file_name, attr)
    return mcp


def _register_knowledge_resource(mcp: MCPServer, kb: KnowledgeBase, file_name: str, attr: str) -> None:
    stem = file_name.removesuffix(".yaml")
    model = getattr(kb, attr)
    text = json.dumps(model.model_dump(mode="json", by_alias=True), indent=2)
    descriptions = {
        "rules": "validate_context's consistency rules, with the sourced thresholds they use.",
        "debug_checklist": "The seed skill's debug checklist: each question, why it matters and how to check it.",
    }

    def read() -> str:
        return text

    mcp.resource(
        RESOURCE_PREFIX + stem,
        name=stem,
        title=f"Knowledge base: {stem.replace('_', ' ')}",
        description=descriptions.get(stem, f"The knowledge file {file_name}, validated, as JSON."),
        mime_type="application/json",
    )(read)

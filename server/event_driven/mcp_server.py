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
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field, ValidationError

from event_driven.core.diagnosis import DiagnoseInputError, Diagnosis, DiagnoseRequest
from event_driven.core.diagnosis import diagnose as core_diagnose
from event_driven.core.selection import BrokerSelection, SelectionInputError, select
from event_driven.core.testgen import GeneratedTests, TestGenInputError
from event_driven.app.testgen import generate_tests as core_generate_tests
from event_driven.core.topology.models import TopologyPlan
from event_driven.app.plan import PlanInputError, plan_topology as core_plan
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

- select_broker: after the context validates, to rank Kafka, RabbitMQ (classic/quorum/stream), SQS (standard/FIFO),
  Pulsar, NATS JetStream, Redis Streams, Kinesis, Pub/Sub and Event Hubs. Pass constraints the user has (cloud,
  deployment managed/self_hosted, existing_brokers, max_complexity). Each broker gets a fit and a reason per
  requirement; disqualified brokers say why; `why_winner` says why the winner beats the runner-up.
- plan_topology: to design the system on one broker (or the best plannable one): channels with validated names,
  partitions, replication, retention, consumer groups, retries and dead letters, client settings for the stated
  guarantee, the event envelope (JSON Schema, Avro, CloudEvents), sizing with formulas, alerts, a Mermaid diagram,
  warnings with actions, and rendered config files (artifacts). Use options to pass measured per-partition rates.

- diagnose_issue: for an incident. Paste what the user has: symptoms in their words, error or log lines verbatim,
  configs (properties/YAML/JSON), metrics (committed and log-end offsets per partition over time, queue depths,
  redelivery counts, processing times) and the event context. It ranks failure modes with confidence and the
  evidence for and against each, gives fixes with exact keys and the next read-only commands to run, evaluates
  the seed's debug checklist, audits the config against the guarantee, and judges lag by Burrow's rules.
- generate_tests: after planning (pass the plan, or the context), to get a runnable pytest scaffold that proves the
  planned guarantees (idempotent consumer, DLQ routing, backoff bounds, circuit breaker, per-key ordering, schema
  compatibility, event-sourcing replay, CQRS projections, saga compensation), with a reference implementation,
  requirements, the commands to run it, and broker integration tests that run when a broker URL is set.

Errors you can fix (a bad field) come back as tool errors naming the field and what is allowed.

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

    @mcp.tool(name="select_broker", title="Rank message brokers for a context", annotations=READ_ONLY)
    async def select_broker(
        event_context: EventContextArg = None,
        constraints: Annotated[
            dict[str, Any] | None,
            Field(description=(
                "Optional: cloud (aws | gcp | azure | on_premises | any), deployment (managed | self_hosted | any), "
                "existing_brokers (broker ids the team runs), max_complexity (low | medium | high)."
            )),
        ] = None,
    ) -> BrokerSelection:
        """Rank every broker against the event context, with a fit and a reason for every requirement.

        Hard disqualifiers (a guarantee or ordering the broker cannot give, no replay where replay is needed,
        retention past its maximum, global ordering faster than one ordered unit carries, a constraint it cannot
        meet) are listed apart from the weighted score. Returns the winner, the runner-up, why the winner beats it,
        trade-offs, and validate_context's warnings.
        """
        try:
            return select(event_context, kb, constraints)
        except SelectionInputError as exc:
            raise ToolError(_field_errors(exc.errors)) from None

    @mcp.tool(name="plan_topology", title="Plan a topology with rendered configs", annotations=READ_ONLY)
    async def plan_topology(
        event_context: EventContextArg = None,
        broker: Annotated[
            str | None,
            Field(description=(
                "Optional broker: kafka, rabbitmq, rabbitmq.quorum, rabbitmq.classic, rabbitmq.stream, sqs, "
                "sqs.standard, sqs.fifo, sqs.fifo_high_throughput, pulsar, nats_jetstream, redis_streams. "
                "Default: the best plannable broker from select_broker."
            )),
        ] = None,
        options: Annotated[
            dict[str, Any] | None,
            Field(description=(
                "Optional: domain, replication_factor, producer_bytes_per_s_per_partition, "
                "consumer_msg_per_s_per_partition, message_size_bytes, processing_timeout_ms, max_attempts, "
                "dead_letter, request_reply, saga_style (orchestration | choreography), compaction, "
                "schema_format (json | avro)."
            )),
        ] = None,
        include_artifacts: Annotated[bool, Field(description="Include the rendered files' contents.")] = True,
    ) -> TopologyPlan:
        """Design the system: the seed's output schema (broker, topology, message_schema, consumer_config) and more.

        Channels with names checked against the broker's rules, partitions (max(t/p, t/c), the math shown),
        replication, retention, consumer groups by use case, the retry policy mapped onto the broker, client settings
        that deliver the stated guarantee, the event envelope with its evolution rule, storage and network sizing,
        metrics and alert rules, a Mermaid diagram, warnings with actions, and the rendered artifacts (each names
        the validator that checks it).
        """
        try:
            plan = core_plan(event_context, kb, broker, options)
        except PlanInputError as exc:
            raise ToolError(_field_errors(exc.errors)) from None
        if not include_artifacts:
            plan = plan.model_copy(update={"artifacts": [a.model_copy(update={"content": ""}) for a in plan.artifacts]})
        return plan

    @mcp.tool(name="diagnose_issue", title="Diagnose a messaging incident", annotations=READ_ONLY)
    async def diagnose_issue(
        symptoms: Annotated[str | list[str] | None, Field(description="What is observed, in the user's words.")] = None,
        error_lines: Annotated[str | list[str] | None, Field(description="Error or log lines, verbatim.")] = None,
        config: Annotated[
            str | dict[str, Any] | None,
            Field(description=("Client/topic/queue config: Java properties, YAML or JSON text, or an object (Kafka "
                               "client and topic configs, RabbitMQ queue arguments and policies, SQS attributes, NATS "
                               "consumer config...)")),
        ] = None,
        metrics: Annotated[
            dict[str, Any] | None,
            Field(description=("Optional samples: consumer_group_offsets [{group, topic, partition, samples: "
                               "[{timestamp_ms, committed_offset, log_end_offset}]}], queue_depths, unacked_counts, "
                               "dlq_depths, redelivery_counts, processing_time_ms {scope, samples_ms}, rebalances "
                               "(timestamps), consumer_counts.")),
        ] = None,
        broker: Annotated[str | None, Field(description="kafka, rabbitmq, sqs, pulsar, nats, redis; inferred when absent.")] = None,
        event_context: EventContextArg = None,
        max_hypotheses: Annotated[int, Field(ge=1, le=20, description="How many ranked causes to return.")] = 5,
    ) -> Diagnosis:
        """Rank the likely causes of a messaging incident, each with its evidence and fix.

        Needs at least one of symptoms, error_lines, config or metrics. Returns ranked hypotheses (confidence,
        evidence for and against quoting the input, causes, resolutions with exact config keys or commands, next
        read-only diagnostic commands, sources), the seed's debug checklist item by item (pass / fail / unknown with
        the reason), config findings against the stated guarantee, a Burrow-style lag verdict when offsets are given,
        and what evidence to collect next.
        """
        raw = {"symptoms": symptoms, "error_lines": error_lines, "config": config, "metrics": metrics,
               "broker": broker, "event_context": event_context, "max_hypotheses": max_hypotheses}
        try:
            request = DiagnoseRequest.model_validate({k: v for k, v in raw.items() if v is not None})
            return core_diagnose(request, kb)
        except ValidationError as exc:
            lines = [f"- $.{'.'.join(str(p) for p in err['loc'])} ({err['type']}): {err['msg']}"
                     for err in exc.errors(include_url=False)]
            raise ToolError("Invalid input:\n" + "\n".join(lines)) from None
        except DiagnoseInputError as exc:
            raise ToolError(f"Invalid input:\n- $ (missing): {exc}") from None

    @mcp.tool(name="generate_tests", title="Generate pytest scaffolds for a planned system", annotations=READ_ONLY)
    async def generate_tests(
        event_context: EventContextArg = None,
        plan: Annotated[
            dict[str, Any] | None,
            Field(description="A plan returned by plan_topology (use it instead of event_context)."),
        ] = None,
        options: Annotated[
            dict[str, Any] | None,
            Field(description=(
                "Optional: suites (ids), package, modules (pattern -> your module, e.g. {'idempotency': "
                "'orders.dedup'}), include_integration (bool), kafka_bootstrap, broker and plan_options (for a context)."
            )),
        ] = None,
    ) -> GeneratedTests:
        """Render a pytest scaffold that proves the planned guarantees and fails when they are broken.

        Returns files (path, content, purpose), requirements, the commands to run them, the suites chosen and why,
        and the environment variables that enable broker integration tests (RabbitMQ, NATS, Redis; Kafka when a
        bootstrap server is given). The scaffold carries a small reference implementation of each pattern, or
        imports your modules when you name them.
        """
        if plan is not None and event_context is not None:
            raise ToolError("Invalid input:\n- $ (not_allowed): pass either event_context or plan, not both.")
        try:
            return core_generate_tests(plan if plan is not None else event_context, kb, options)
        except (TestGenInputError, PlanInputError) as exc:
            raise ToolError(_field_errors(exc.errors)) from None

    for file_name, (attr, _model) in FILES.items():
        _register_knowledge_resource(mcp, kb, file_name, attr)
    return mcp


def _field_errors(errors: list[Any]) -> str:
    return "Invalid input:\n" + "\n".join(f"- {e.path} ({e.code}): {e.message}" for e in errors)


def _register_knowledge_resource(mcp: MCPServer, kb: KnowledgeBase, file_name: str, attr: str) -> None:
    stem = file_name.removesuffix(".yaml")
    model = getattr(kb, attr)
    text = json.dumps(model.model_dump(mode="json", by_alias=True), indent=2)
    descriptions = {
        "brokers": "What each broker can and cannot do (throughput, ordering, guarantees, retention, limits), sourced.",
        "failure_modes": "Failure modes diagnose_issue reasons over: symptoms, error signatures, fixes, sources.",
        "patterns": "The seed's retry config, metrics and log events, and the sizing assumptions.",
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

"""The tool table: each tool's name, title, description, input schema, use case and presenter, in one place.

The use case and the result model are named, not imported: tools/list needs neither (the output schemas are a
static file, see output_schema.py), so the server answers its handshake before the core's models load.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from event_driven.adapters import schemas

if TYPE_CHECKING:
    from pydantic import BaseModel

    from event_driven.adapters.presenters import Presenter
    from event_driven.kb.loader import KnowledgeBase

UseCase = Callable[[Mapping[str, Any], "KnowledgeBase"], "BaseModel"]
USECASES = "event_driven.app.usecases"


def _resolve(ref: str) -> Any:
    """``module:attribute``, imported on first use."""
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    # ``module:Class`` of the result model, and ``module:function`` of the use case.
    model_ref: str
    run_ref: str
    # Where the result keeps its files (path, content), for resource links; None when it has none.
    files_field: str | None = None
    # Top-level fields a summary leaves empty (still typed): detail the Markdown already conveys, or bulk.
    summary_drop: tuple[str, ...] = ()
    # Lists a summary cuts shorter than summary.TOP, by path ("hypotheses[].evidence_for"): what the Markdown shows.
    summary_tops: Mapping[str, int] = field(default_factory=dict, compare=False)
    # Declared to hosts that cap results (Claude Code: 50,000 characters) only where a full answer is legitimately
    # larger: plans and test scaffolds with their files embedded (files='inline').
    max_result_chars: int | None = None
    # Reads a broker the operator named (inspect_broker): open-world, and a longer time limit.
    live: bool = False

    @property
    def output_model(self) -> type[BaseModel]:
        return _resolve(self.model_ref)

    @property
    def run(self) -> UseCase:
        return _resolve(self.run_ref)

    @property
    def present(self) -> Presenter:
        from event_driven.adapters.presenters import PRESENTERS

        return PRESENTERS[self.name]


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        "validate_context",
        "Validate an event context",
        "Call first whenever the user describes a messaging system. Checks and normalises the event context "
        "(use_case, requirements, producers, consumers) and flags contradictions. Answers valid or not; each error "
        "with its JSON path and what is allowed; warnings with the rule, a recommendation and sources, most severe "
        "first. A partial context still gets every warning its fields trigger.",
        schemas.VALIDATE,
        "event_driven.core.validation:ValidationResult",
        f"{USECASES}:validate_context",
    ),
    ToolSpec(
        "select_broker",
        "Rank message brokers for a context",
        "After the context validates: ranks Kafka, RabbitMQ (classic/quorum/stream), SQS (standard/FIFO), Pulsar, "
        "NATS JetStream, Redis Streams, Kinesis, Pub/Sub and Event Hubs against it, with a fit and a reason per "
        "requirement. Hard disqualifiers are listed apart from the score. Answers the winner and why it beats the "
        "runner-up, trade-offs and warnings. Pass the user's constraints (cloud, deployment, existing_brokers, "
        "max_complexity).",
        schemas.SELECT,
        "event_driven.core.selection:BrokerSelection",
        f"{USECASES}:select_broker",
    ),
    ToolSpec(
        "plan_topology",
        "Plan a topology with rendered configs",
        "Designs the system on one broker (or the best plannable one): channels with checked names, partitions "
        "with the math, replication, retention, consumer groups, retries and dead letters, client settings for the "
        "guarantee, the event envelope, sizing, alerts and warnings with actions. Broker-native config files come "
        "back as resource links (each names the validator that checks it); files='inline' embeds them.",
        schemas.PLAN,
        "event_driven.core.topology.models:TopologyPlan",
        f"{USECASES}:plan_topology",
        "artifacts",
        ("diagram", "message_schema", "observability", "logical_channels"),
        max_result_chars=500_000,
    ),
    ToolSpec(
        "diagnose_issue",
        "Diagnose a messaging incident",
        "For an incident: paste symptoms in the user's words, error lines verbatim, configs, metrics and the "
        "event context (at least one of the first four). Ranks failure modes with confidence, the evidence for and "
        "against each, fixes with exact keys, read-only commands to run next, the debug checklist, a config audit "
        "against the guarantee and a Burrow lag verdict when offsets are given.",
        schemas.DIAGNOSE,
        "event_driven.core.diagnosis:Diagnosis",
        f"{USECASES}:diagnose_issue",
        None,
        ("scoring",),
        # The presenter's depth (presenters/diagnosis.py): three causes, three pieces of evidence and two fixes each.
        {"hypotheses": 3, "hypotheses[].evidence_for": 3, "hypotheses[].resolutions": 2},
    ),
    ToolSpec(
        "generate_tests",
        "Generate pytest scaffolds for a planned system",
        "After planning (pass the event_context and options.broker, or a plan): a runnable pytest scaffold that "
        "proves the planned guarantees (idempotency, DLQ routing, backoff, circuit breaker, per-key ordering, "
        "schema compatibility, replay, projections, saga compensation) and broker integration tests. Files come "
        "back as resource links; files='inline' embeds them.",
        schemas.TESTS,
        "event_driven.core.testgen:GeneratedTests",
        f"{USECASES}:generate_tests",
        "files",
        max_result_chars=500_000,
    ),
    ToolSpec(
        "check_schema_change",
        "Check a schema change for compatibility",
        "Before registering a new Avro, JSON Schema or Protobuf version: is it compatible with the previous one "
        "(or every one, for *_TRANSITIVE modes) under Schema Registry's mode (default BACKWARD, or the plan's)? "
        "Offline, no registry needed. Answers compatible or not; every break with its field path or number, the "
        "rule, which readers break, and a concrete fix; the rollout order the mode implies and what it allows next.",
        schemas.SCHEMA_CHECK,
        "event_driven.core.schema:SchemaCheckResult",
        f"{USECASES}:check_schema_change",
    ),
)

BY_NAME: dict[str, ToolSpec] = {t.name: t for t in TOOLS}


def inspect_spec(deadline_s: float) -> ToolSpec:
    """inspect_broker, offered only when the operator configured targets (the live layer loads only then)."""
    return ToolSpec(
        "inspect_broker",
        "Inspect a live broker (read-only)",
        "Reads one broker the operator listed as a target (by its name; never a URL or a credential), read-only: "
        "queue/stream/consumer depths, in-flight and consumers sampled over a short window, with settings. Answers "
        f"the problems found (each with the live figures, the cause and the fix), drift from a plan when given, and "
        f"the busiest channels with their trend. Consumes, acks or changes nothing. Bounded to {deadline_s:g} s.",
        schemas.INSPECT,
        "event_driven.live.inspect:InspectionResult",
        "event_driven.app.inspection:inspect_broker",
        live=True,
    )

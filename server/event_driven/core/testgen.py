"""generate_tests: runnable pytest scaffolds that prove the guarantees a topology plan promises.

source (an event context, or a TopologyPlan / its dict) -> plan -> suites chosen by use case and guarantees ->
values from the plan (attempts, delays, error classes, thresholds, partitions, DLQ name, ordering key, Avro envelope)
-> a :class:`ScaffoldPlan`: which suites, reference patterns, requirements, commands and values. The renderer
(``render.scaffold``) turns it into files: a small reference implementation of each pattern (``eda_reference/``), one
test module per suite, broker integration tests that skip without a broker URL, requirements and a README.

Pure: no templates, no jinja2, no I/O.
"""

from __future__ import annotations

import copy
import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from event_driven.core.topology.designers.common import broker_figure
from event_driven.core.topology.models import PLANNABLE_BROKERS, Channel, LogicalChannel, TopologyPlan
from event_driven.core.topology.planner import (
    VARIANTS,
    PlanInputError,
    default_retention_hours,
    field_error,
    plan_topology,
)
from event_driven.core.validation import FieldError
from event_driven.errors import InputError
from event_driven.kb.loader import KnowledgeBase
from event_driven.vocab import BROKER_NAMES, BrokerId

# --- suites -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuiteSpec:
    id: str
    title: str
    guarantee: str
    modules: tuple[str, ...]  # reference modules (patterns) the suite imports
    path: str  # the test module it writes; its template is named after it (render.scaffold)
    integration: bool = False


SUITE_SPECS: dict[str, SuiteSpec] = {s.id: s for s in (
    SuiteSpec("context", "Event context and partition count",
              "the planned context is valid, global ordering above one channel's capacity is flagged, and the "
              "partition "
              "count covers the throughput on both the producer and the consumer side (even, for balancing)",
              ("context",), "tests/test_context.py"),
    SuiteSpec("idempotency", "Idempotent consumer with a dedup store",
              "a redelivered message (same event id) is processed once; a failed attempt is not recorded, so its "
              "redelivery is processed",
              ("idempotency",), "tests/test_idempotency.py"),
    SuiteSpec("transactional", "Transactional producer and outbox",
              "messages sent in one transaction are published all together or not at all; state and outbox rows "
              "commit together; the relay publishes every committed event, in order, at least once",
              ("transactional",), "tests/test_transactional.py"),
    SuiteSpec("dlq", "Dead-letter routing and error classes",
              "retryable errors are retried up to max_attempts and then dead-lettered; non-retryable errors are "
              "dead-lettered at once; nothing is dropped and nothing is retried without bound",
              ("retry",), "tests/test_dlq.py"),
    SuiteSpec("backoff", "Exponential backoff with jitter",
              "retry delays follow initial x multiplier^n capped at max_delay, each multiplied by a random factor in "
              "[1 - jitter, 1 + jitter], so retries spread out instead of arriving in lockstep",
              ("retry",), "tests/test_backoff.py"),
    SuiteSpec("circuit_breaker", "Circuit breaker transitions",
              "closed -> open after failure_threshold consecutive failures, open rejects without calling the "
              "dependency, half-open after reset_timeout admits half_open_attempts trial calls, then closes or "
              "re-opens",
              ("retry",), "tests/test_circuit_breaker.py"),
    SuiteSpec("ordering", "Per-key ordering",
              "every message with the same ordering key lands on the same partition/lane, so consumers running in "
              "parallel still see each key's messages in order",
              ("ordering",), "tests/test_ordering.py"),
    SuiteSpec("schema", "Schema compatibility (Avro)",
              "the plan's Avro envelope parses, the next version is compatible under the plan's rule, and BACKWARD, "
              "FORWARD and FULL (and their transitive forms) reject the changes they must, as judged by Avro's own "
              "compatibility checker",
              ("schema",), "tests/test_schema.py"),
    SuiteSpec("event_sourcing", "Event sourcing: replay, snapshots, projection rebuild",
              "appends check the expected version (no lost update), replay rebuilds the same state, a snapshot plus "
              "the "
              "tail equals a full replay, and a projection rebuilt from the log equals the live one",
              ("eventsourcing",), "tests/test_eventsourcing.py"),
    SuiteSpec("cqrs", "CQRS projection idempotency",
              "commands are validated before events are written; the projection applies each event once (redeliveries "
              "and stale versions are ignored, gaps are refused) and a rebuild equals the live read model",
              ("cqrs",), "tests/test_cqrs.py"),
    SuiteSpec("saga", "Saga compensation",
              "when a step fails, every completed step is compensated in reverse order (compensations retried), a "
              "compensation that keeps failing is surfaced, and a redelivered saga command does not redo steps",
              ("saga",), "tests/test_saga.py"),
    SuiteSpec("integration_rabbitmq", "RabbitMQ integration",
              "on a real RabbitMQ, with the rendered definitions.json imported (management API, into a vhost of "
              "its own) or declared as listed: every subscriber processes each event once although one is "
              "redelivered, per-key order holds across the lanes, a poison message goes through the planned retry "
              "tiers to the dead-letter queue, crashes dead-letter at the delivery limit",
              ("idempotency", "retry"), "tests/integration/test_rabbitmq.py", True),
    SuiteSpec("integration_redis", "Redis integration",
              "on a real Redis, with the rendered setup.redis run: the consumer groups exist, an entry reclaimed "
              "with XAUTOCLAIM after a crash is processed once (Redis dedup store), per-key order holds across the "
              "lane streams, and an entry is dead-lettered after the planned deliveries",
              ("idempotency", "ordering"), "tests/integration/test_redis.py", True),
    SuiteSpec("integration_nats", "NATS JetStream integration",
              "on a real NATS JetStream, with the rendered stream and consumer configs added: a repeated "
              "Nats-Msg-Id is stored once and a redelivery is processed once, per-key order holds across the lane "
              "consumers, and a message nak'ed max_deliver times lands in the rendered dead-letter stream",
              ("idempotency", "ordering"), "tests/integration/test_nats.py", True),
    SuiteSpec("integration_sqs", "Amazon SQS integration",
              "on an SQS endpoint (SQS_ENDPOINT_URL: AWS, or a local SQS-compatible server), with the rendered "
              "CloudFormation queues created: a redelivered message is processed once, a message that keeps failing "
              "reaches the dead-letter queue after maxReceiveCount receives, a non-retryable one is dead-lettered by "
              "the consumer at once, and FIFO message groups keep each key in order",
              ("idempotency", "retry"), "tests/integration/test_sqs.py", True),
    SuiteSpec("integration_kafka", "Kafka integration",
              "on a real Kafka (KAFKA_BOOTSTRAP_SERVERS), with the rendered create-topics.sh and client .properties: "
              "a committed transaction is read by a read_committed consumer and an aborted one never is, and each "
              "key's messages stay in order on one partition",
              ("idempotency",), "tests/integration/test_kafka.py", True),
)}
SUITE_IDS: tuple[str, ...] = tuple(SUITE_SPECS)
PATTERNS: tuple[str, ...] = ("context", "idempotency", "transactional", "retry", "ordering", "schema", "eventsourcing",
                             "cqrs", "saga")
PATTERN_CLASSES: dict[str, tuple[str, ...]] = {
    "context": ("validate_event_context", "calculate_partitions"),
    "idempotency": ("IdempotentConsumer",),
    "transactional": ("TransactionalProducer", "OutboxStore", "OutboxRelay"),
    "retry": ("ProcessingError", "classify", "BackoffPolicy", "ConsumerWithDLQ", "CircuitBreaker", "CircuitOpenError"),
    "ordering": ("KeyRouter", "PartitionedLog"),
    "schema": ("SchemaRegistry", "IncompatibleSchemaError", "check_compatibility", "can_read", "parse_schema"),
    "eventsourcing": ("InMemoryEventStore", "ConcurrencyError", "SnapshotStore", "Repository", "Basket",
                      "BasketTotals"),
    "cqrs": ("CommandHandler", "CommandRejected", "Projection", "OutOfOrderEvent"),
    "saga": ("SagaOrchestrator", "SagaLog", "Step"),
}
INTEGRATION_REQUIREMENTS = {
    "integration_rabbitmq": "pika>=1.3",
    "integration_redis": "redis>=5",
    "integration_nats": "nats-py>=2.6",
    "integration_kafka": "confluent-kafka>=2.3",
    "integration_sqs": "boto3>=1.28\npyyaml>=6",
}
BASE_REQUIREMENTS = ("pytest>=8",)
AVRO_REQUIREMENT = "avro>=1.11.3"
ENV_VARS = {
    "RABBITMQ_URL": ("integration_rabbitmq", "amqp://guest:guest@localhost:5672/%2F"),
    "REDIS_URL": ("integration_redis", "redis://localhost:6379/0"),
    "NATS_URL": ("integration_nats", "nats://localhost:4222"),
    "KAFKA_BOOTSTRAP_SERVERS": ("integration_kafka", "localhost:9092"),
    "SQS_ENDPOINT_URL": ("integration_sqs", "http://localhost:9324"),
}

# Always used with fullmatch: '$' alone would also accept a trailing newline.
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_TOPOLOGY_DIR = re.compile(r"[^\x00-\x1f\x7f]{1,500}")
_BOOTSTRAP = re.compile(r"[A-Za-z0-9_.\-\[\]:]+:\d{1,5}(,[A-Za-z0-9_.\-\[\]:]+:\d{1,5})*")

# Names in a supplied plan (channels, groups, services, topics, error codes, ordering keys): enough for Kafka, RabbitMQ,
# SQS '.fifo', NATS subjects, Redis ':' keys and Pulsar 'persistent://tenant/ns/topic', and nothing that can end a
# string literal, a docstring or a line.
PLAN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@-]{0,254}")
PLAN_NAME_ALLOWED = ("1-255 characters: letters, digits and . _ : / @ -, starting with a letter or digit "
                     "(pattern ^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,254}$)")
PLAN_SUFFIX = re.compile(r"[A-Za-z0-9._:/@-]{1,64}")
PLAN_SUFFIX_ALLOWED = ("1-64 characters: letters, digits and . _ : / @ -, e.g. '.dlq' "
                       "(pattern ^[A-Za-z0-9._:/@-]{1,64}$)")
TOPOLOGY_FOLDER = "topology"  # where the scaffold holds its copy of the rendered topology files
COMPATIBILITY_MODES = ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
                       "FULL_TRANSITIVE")


# --- request and result -----------------------------------------------------------------------------------------------


class GenerateOptions(BaseModel):
    """What to generate. All optional."""

    model_config = ConfigDict(extra="forbid")

    suites: list[str] | None = Field(
        default=None, description="Suite ids to generate (default: chosen by use case and guarantees). Allowed: "
        + ", ".join(SUITE_IDS))
    package: str | None = Field(
        default=None, description="Your top-level package, e.g. 'orders'; module paths starting with '.' are "
                                  "resolved against it.")
    modules: dict[str, str] | None = Field(
        default=None, description="Pattern -> your module, e.g. {'idempotency': 'orders.dedup'}; the tests then "
                                  "import your classes instead of the reference implementation. Patterns: "
                                  + ", ".join(PATTERNS))
    include_integration: bool = Field(
        default=True, description="Add broker integration tests (they skip without a broker URL).")
    kafka_bootstrap: str | None = Field(
        default=None, description="Kafka bootstrap servers, e.g. 'localhost:9092': adds the Kafka integration test "
                                  "and puts it in the run command.")
    topology_dir: str | None = Field(
        default=None, description="Folder holding your rendered topology files, laid out as plan_topology writes "
                                  "them (rabbitmq/definitions.json, nats/streams/*.json, redis/setup.redis, "
                                  "kafka/*.properties): the integration tests load them from there (a relative path "
                                  "is read from the scaffold folder) instead of the copies written into topology/.")
    broker: str | None = Field(default=None, description="Broker to plan for when the source is an event context.")
    plan_options: dict[str, Any] | None = Field(
        default=None, description="Options passed to plan_topology for a context.")


class GeneratedFile(BaseModel):
    path: str = Field(description="Relative path inside the scaffold folder.")
    content: str
    purpose: str


class SuiteChoice(BaseModel):
    id: str
    title: str
    reason: str = Field(description="Why this suite was chosen for this plan.")
    guarantee: str = Field(description="What the suite proves.")
    files: list[str]


class EnvVar(BaseModel):
    name: str
    enables: str
    example: str


class GeneratedTests(BaseModel):
    use_case: str
    broker: str
    files: list[GeneratedFile]
    requirements: list[str] = Field(description="pip requirements of the unit suites (requirements.txt).")
    integration_requirements: list[str] = Field(description="Extra requirements of the integration tests "
                                                            "(requirements-integration.txt).")
    commands: list[str]
    suites: list[SuiteChoice]
    env_vars: list[EnvVar]
    notes: list[str] = Field(default_factory=list)


class TestGenInputError(InputError):
    """The request cannot be turned into tests; ``errors`` name each field."""

    __test__ = False  # not a pytest test class

    def __init__(self, errors: list[FieldError]):
        super().__init__(errors)


# --- entry point ------------------------------------------------------------------------------------------------------


def _parse_options(raw: Any) -> GenerateOptions:
    if raw is None:
        opts = GenerateOptions()
    elif isinstance(raw, GenerateOptions):
        opts = raw
    else:
        try:
            opts = GenerateOptions.model_validate(raw)
        except ValidationError as exc:
            raise TestGenInputError([_pydantic_error("$.options", e) for e in exc.errors()]) from None
    errors: list[FieldError] = []
    for i, suite in enumerate(opts.suites or []):
        if suite not in SUITE_SPECS:
            errors.append(field_error(path=f"$.options.suites[{i}]", code="not_allowed",
                                     message=f"unknown suite {suite!r}; allowed: {', '.join(SUITE_IDS)}",
                                     allowed=", ".join(SUITE_IDS), suggestion=_closest(suite, SUITE_IDS)))
        elif SUITE_SPECS[suite].integration and not opts.include_integration:
            errors.append(field_error(path=f"$.options.suites[{i}]", code="not_allowed",
                                     message=f"{suite} is an integration suite but include_integration is false",
                                     allowed="unit suites: " + ", ".join(s for s in SUITE_IDS
                                                                         if not SUITE_SPECS[s].integration)))
    if opts.suites is not None and not opts.suites:
        errors.append(field_error(path="$.options.suites", code="too_short", message="suites must name at least one "
                                                                                    "suite",
                                 allowed=", ".join(SUITE_IDS)))
    if opts.package is not None and not _dotted_ok(opts.package):
        errors.append(field_error(path="$.options.package", code="pattern_mismatch",
                                 message=f"{opts.package!r} is not a Python package name",
                                 allowed="a dotted Python identifier such as 'orders' or 'acme.orders'"))
    for pattern, module in (opts.modules or {}).items():
        path = f"$.options.modules.{pattern}"
        if pattern not in PATTERNS:
            errors.append(field_error(path=path, code="not_allowed", message=f"unknown pattern {pattern!r}",
                                     allowed=", ".join(PATTERNS), suggestion=_closest(pattern, PATTERNS)))
            continue
        relative = module.startswith(".")
        if not _dotted_ok(module[1:] if relative else module):
            errors.append(field_error(path=path, code="pattern_mismatch", message=f"{module!r} is not a Python module "
                                                                                 f"path",
                                     allowed="a dotted module path such as 'orders.dedup', or '.dedup' with package "
                                             "set"))
        elif relative and not opts.package:
            errors.append(field_error(path=path, code="missing",
                                     message=f"{module!r} is relative but options.package is not set",
                                     allowed="an absolute module path, or set options.package"))
    if opts.kafka_bootstrap is not None and not _BOOTSTRAP.fullmatch(opts.kafka_bootstrap):
        errors.append(field_error(path="$.options.kafka_bootstrap", code="pattern_mismatch",
                                 message=f"{opts.kafka_bootstrap!r} is not a list of host:port",
                                 allowed="host:port[,host:port...], e.g. 'localhost:9092'"))
    if opts.topology_dir is not None and not _TOPOLOGY_DIR.fullmatch(opts.topology_dir):
        errors.append(field_error(path="$.options.topology_dir", code="pattern_mismatch",
                                 message=f"{_short(opts.topology_dir)} is not a folder path",
                                 allowed="1-500 characters, no control characters, e.g. 'deploy/topology'"))
    if errors:
        raise TestGenInputError(errors)
    return opts


def _dotted_ok(name: str) -> bool:
    return bool(_DOTTED.fullmatch(name)) and not any(keyword.iskeyword(part) for part in name.split("."))


def _closest(value: str, allowed: tuple[str, ...]) -> str | None:
    import difflib

    match = difflib.get_close_matches(value, allowed, n=1)
    return match[0] if match else None


def _pydantic_error(prefix: str, err: Mapping[str, Any]) -> FieldError:
    path = prefix
    for part in err.get("loc", ()):
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    kind = err.get("type", "")
    code = "unknown_field" if kind == "extra_forbidden" else "missing" if kind == "missing" else "wrong_type"
    return field_error(path=path, code=code, message=str(err.get("msg", "invalid value")))


def is_plan(source: Any) -> bool:
    return isinstance(source, TopologyPlan) or (
        isinstance(source, Mapping) and "broker" in source and "topology" in source)


def plan_domain(plan: TopologyPlan) -> str:
    """The domain a supplied plan was made for, read back from its envelope's namespace (events.<domain>.v1)."""
    match = re.fullmatch(r"events\.([a-z][a-z0-9_]{0,39})\.v\d+", str(plan.message_schema.avro_schema.get("namespace")))
    return match.group(1).replace("_", "-") if match else "events"


def _resolve_plan(source: Any, kb: KnowledgeBase, opts: GenerateOptions) -> tuple[TopologyPlan, str]:
    if is_plan(source):
        ignored = [name for name in ("broker", "plan_options") if getattr(opts, name) is not None]
        if ignored:
            raise TestGenInputError([field_error(path=f"$.options.{name}", code="not_allowed",
                                                message=f"options.{name} is only used when the source is an event "
                                                        "context; this source is already a plan")
                                     for name in ignored])
    if is_plan(source):
        # A supplied plan may have been edited by hand (or built with model_construct): check its types again, then
        # every name that reaches a template.
        raw = source.model_dump(by_alias=True) if isinstance(source, TopologyPlan) else source
        try:
            plan = TopologyPlan.model_validate(raw)
        except ValidationError as exc:
            raise TestGenInputError([_pydantic_error("$.plan", e) for e in exc.errors()]) from None
        check_plan_names(plan)
        return plan, plan_domain(plan)
    try:
        planned = plan_topology(source, kb, opts.broker, opts.plan_options)
        return planned.plan, planned.domain
    except PlanInputError as exc:
        errors = [e.model_copy(update={"path": "$.options.broker" + e.path[len("$.broker"):]})
                  if e.path.startswith("$.broker") else
                  e.model_copy(update={"path": "$.options.plan_options" + e.path[len("$.options"):]})
                  if e.path.startswith("$.options") else e for e in exc.errors]
        raise TestGenInputError(errors) from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_plan_names(plan: TopologyPlan) -> None:
    """Check every identifier-like string of a supplied plan that can reach a rendered file; raise with each field."""
    errors: list[FieldError] = []

    def name(path: str, value: Any, pattern: re.Pattern[str] = PLAN_NAME, allowed: str = PLAN_NAME_ALLOWED) -> None:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            errors.append(field_error(path=path, code="pattern_mismatch",
                                     message=f"{_short(value)} is not allowed here; allowed: {allowed}",
                                     allowed=allowed))

    def one_of(path: str, value: Any, allowed: tuple[str, ...], what: str) -> None:
        if value not in allowed:
            listed = ", ".join(allowed) or "none"
            errors.append(field_error(path=path, code="not_allowed",
                                     message=f"{_short(value)} is not a known {what}; allowed: {listed}",
                                     allowed=listed, suggestion=_closest(value, allowed) if isinstance(value, str)
                                     else None))

    technology = plan.broker.technology
    one_of("$.plan.broker.technology", technology, tuple(_BROKER_IDS), "broker")
    if plan.broker.variant is not None and technology in _BROKER_IDS:
        broker_id = _BROKER_IDS[technology]
        variants = VARIANTS.get(broker_id, ())
        if plan.broker.variant not in variants:
            listed = ", ".join(variants) if variants else f"null ({technology} has no variants)"
            errors.append(field_error(path="$.plan.broker.variant", code="not_allowed",
                                     message=f"{_short(plan.broker.variant)} is not a {technology} variant; "
                                             f"allowed: {listed}", allowed=listed,
                                     suggestion=_closest(plan.broker.variant, variants) if variants else None))
    for i, topic in enumerate(plan.topology.topics):
        name(f"$.plan.topology.topics[{i}]", topic)
    for i, lc in enumerate(plan.logical_channels):
        base = f"$.plan.logical_channels[{i}]"
        name(f"{base}.key", lc.key)
        for j, producer in enumerate(lc.producers):
            name(f"{base}.producers[{j}]", producer)
        for j, consumer in enumerate(lc.consumers):
            name(f"{base}.consumers[{j}]", consumer)
        for field in ("ordering_key", "dead_letter_of", "retry_of"):
            if getattr(lc, field) is not None:
                name(f"{base}.{field}", getattr(lc, field))
    for i, ch in enumerate(plan.channels):
        name(f"$.plan.channels[{i}].key", ch.key)
        name(f"$.plan.channels[{i}].name", ch.name)
    for i, group in enumerate(plan.consumer_groups):
        for field in ("name", "service", "channel"):
            name(f"$.plan.consumer_groups[{i}].{field}", getattr(group, field))
    rp = plan.retry_policy
    for field in ("retryable", "non_retryable"):
        for i, code in enumerate(getattr(rp, field)):
            name(f"$.plan.retry_policy.{field}[{i}]", code)
    name("$.plan.retry_policy.dead_letter_suffix", rp.dead_letter_suffix, PLAN_SUFFIX, PLAN_SUFFIX_ALLOWED)
    one_of("$.plan.message_schema.compatibility", plan.message_schema.compatibility, COMPATIBILITY_MODES,
           "compatibility mode")
    if errors:
        raise TestGenInputError(errors)


def _resolve_modules(opts: GenerateOptions) -> dict[str, str]:
    imports = {p: f"eda_reference.{p}" for p in PATTERNS}
    for pattern, module in (opts.modules or {}).items():
        imports[pattern] = f"{opts.package}{module}" if module.startswith(".") else module
    return imports


# --- suite selection --------------------------------------------------------------------------------------------------


def _main_channels(plan: TopologyPlan) -> list[LogicalChannel]:
    return [c for c in plan.logical_channels if c.role not in ("retry", "dead_letter")]


def _dead_letter_channels(plan: TopologyPlan) -> list[Channel]:
    return [c for c in plan.channels if c.role == "dead_letter" and c.kind != "exchange"]


def default_suites(plan: TopologyPlan, opts: GenerateOptions) -> list[tuple[str, str]]:
    """(suite id, why) for the suites this plan's use case and guarantees call for."""
    uc, delivery, ordering = plan.use_case, plan.delivery, plan.ordering
    rp = plan.retry_policy
    chosen: list[tuple[str, str]] = [
        ("context", "always: the seed's own templates (context validation, partition count), with this plan's figures"),
    ]
    if delivery in ("at_least_once", "exactly_once"):
        chosen.append(("idempotency", f"delivery is {delivery}: the broker redelivers, so consumers must deduplicate"))
    if delivery == "exactly_once" or uc in ("saga", "cqrs"):
        why = ("delivery is exactly_once: publishes must be atomic" if delivery == "exactly_once" else
               f"{uc}: state changes and the messages they cause must commit together (transactional outbox)")
        chosen.append(("transactional", why))
    if rp.dead_letter_enabled and _dead_letter_channels(plan):
        chosen.append(("dlq", f"the plan dead-letters to {_dead_letter_channels(plan)[0].name} after "
                              f"{rp.backoff.max_attempts} attempts"))
    if rp.backoff.max_attempts > 1:
        chosen.append(("backoff", f"the plan retries up to {rp.backoff.max_attempts} attempts with jitter "
                                  f"{rp.backoff.jitter_factor}"))
    chosen.append(("circuit_breaker", f"the plan's retry policy has a circuit breaker (threshold "
                                      f"{rp.circuit_breaker.failure_threshold}, reset "
                                      f"{rp.circuit_breaker.reset_timeout_seconds} s)"))
    keys = {c.ordering_key for c in _main_channels(plan) if c.ordering_key}
    if ordering in ("partition", "global") or keys:
        keyed = f" keyed by {', '.join(sorted(keys))}" if keys else ""
        chosen.append(("ordering", f"ordering is {ordering}{keyed}"))
    chosen.append(("schema", f"the plan's envelope evolves under {plan.message_schema.compatibility}"))
    if uc == "event_sourcing":
        chosen.append(("event_sourcing", "event_sourcing: state is rebuilt from the log"))
    if uc in ("cqrs", "event_sourcing"):
        chosen.append(("cqrs", f"{uc}: read models are projections that see redeliveries"))
    if uc == "saga":
        chosen.append(("saga", "saga: a failed step must undo the completed ones"))
    if opts.include_integration:
        technology = _broker_id(plan)
        if technology == "rabbitmq":
            chosen.append(("integration_rabbitmq", "planned broker is RabbitMQ"))
        if technology == "nats_jetstream":
            chosen.append(("integration_nats", "planned broker is NATS JetStream"))
        if technology == "sqs":
            chosen.append(("integration_sqs", "planned broker is Amazon SQS (any SQS-compatible endpoint runs it)"))
        if technology == "redis_streams":
            chosen.append(("integration_redis", "planned broker is Redis Streams (and Redis backs the dedup store)"))
        elif any(s == "idempotency" for s, _ in chosen):
            chosen.append(("integration_redis", "the idempotent consumer's dedup store runs on Redis"))
        if technology == "kafka" or opts.kafka_bootstrap:
            chosen.append(("integration_kafka", "planned broker is Kafka" if technology == "kafka"
                           else "a Kafka bootstrap server was given"))
    return chosen


def _choose_suites(plan: TopologyPlan, opts: GenerateOptions) -> list[tuple[str, str]]:
    defaults = default_suites(plan, opts)
    if opts.suites is None:
        return defaults
    why = dict(defaults)
    out: list[tuple[str, str]] = []
    for suite in dict.fromkeys(opts.suites):
        out.append((suite, "requested" + (f"; also chosen by the plan: {why[suite]}" if suite in why else "")))
    return out


# A supplied plan names its broker for people; the id is read back from the display name here, once.
_BROKER_IDS: dict[str, BrokerId] = {BROKER_NAMES[b]: b for b in PLANNABLE_BROKERS}  # type: ignore[misc]  # keys of BrokerId


def _broker_id(plan: TopologyPlan) -> BrokerId:
    return _BROKER_IDS[plan.broker.technology]


# --- values from the plan ---------------------------------------------------------------------------------------------


def _planned_context(plan: TopologyPlan, main: LogicalChannel, throughput: int,
                     retention_hours: int | None) -> dict[str, Any]:
    """The event context the plan answers, as the context suite validates it."""
    services = list(dict.fromkeys(g.service for g in plan.consumer_groups)) or ["consumer"]
    return {
        "use_case": plan.use_case,
        "requirements": {
            "throughput": f"{throughput} msg/s",
            "ordering": plan.ordering,
            "delivery": plan.delivery,
            **({"retention": f"{retention_hours} hours"} if retention_hours else {}),
        },
        "producers": list(main.producers) or ["producer"],
        "consumers": services,
    }


def plan_values(plan: TopologyPlan, kb: KnowledgeBase, opts: GenerateOptions | None = None) -> dict[str, Any]:
    """Every figure the scaffold uses, taken from the plan (rendered into eda_plan.py)."""
    rp, bo, cb = plan.retry_policy, plan.retry_policy.backoff, plan.retry_policy.circuit_breaker
    mains = _main_channels(plan)
    if not mains:
        raise InputError(FieldError(path="$.plan.logical_channels", code="missing",
                                    message="the plan has no main channel to test; pass the plan as plan_topology "
                                    "returned it (detail='full')", allowed="a plan from plan_topology"))
    main = mains[0]
    by_key = [c for c in plan.channels if c.key == main.key or c.key.startswith(main.key + "@")]
    main_channel = by_key[0].name if by_key else (plan.topology.topics or [main.key])[0]
    dead = _dead_letter_channels(plan)
    dlq_name = dead[0].name if dead else main_channel + rp.dead_letter_suffix
    ordering_key = main.ordering_key
    sizing = plan.sizing.partitions
    inputs = sizing.inputs
    throughput = int(inputs["throughput_per_second"])
    retention_hours = next((c.retention_hours for c in plan.channels if c.retention_hours), None)
    context = _planned_context(plan, main, throughput, retention_hours)
    values: dict[str, Any] = {
        "BROKER": plan.broker.technology,
        "BROKER_VARIANT": plan.broker.variant,
        "USE_CASE": plan.use_case,
        "DELIVERY": plan.delivery,
        "ORDERING": plan.ordering,
        "CONTEXT": context,
        "THROUGHPUT_MSG_PER_S": throughput,
        "PRODUCER_MSG_PER_S_PER_PARTITION": float(inputs["max_throughput_per_partition"]),
        "CONSUMER_MSG_PER_S_PER_PARTITION": float(inputs["consumer_throughput_per_partition"]),
        "REPLICATION_FACTOR": int(inputs.get("replication_factor", plan.topology.replication_factor)),
        "PARTITIONS_NEEDED": sizing.partitions,
        "DEPLOYED_PARTITIONS": plan.topology.partitions,
        "SINGLE_ORDERED_CHANNEL_MSG_PER_S": int(kb.rules.thresholds["single_ordered_channel_msg_per_s"].value),
        "ORDERING_KEY": ordering_key or "aggregate_id",
        "ORDERING_KEY_PLANNED": ordering_key is not None,
        "LANES": 1 if plan.ordering == "global" else max(1, sizing.partitions),
        "MAIN_CHANNEL": main_channel,
        "DLQ_NAME": dlq_name,
        "DEAD_LETTER_SUFFIX": rp.dead_letter_suffix,
        "MAX_ATTEMPTS": bo.max_attempts,
        "INITIAL_DELAY_MS": bo.initial_delay_ms,
        "MAX_DELAY_MS": bo.max_delay_ms,
        "MULTIPLIER": bo.multiplier,
        "JITTER_FACTOR": bo.jitter_factor,
        "DELAYS_MS": list(bo.delays_ms),
        "RETRYABLE": list(rp.retryable),
        "NON_RETRYABLE": list(rp.non_retryable),
        "CB_FAILURE_THRESHOLD": cb.failure_threshold,
        "CB_RESET_TIMEOUT_SECONDS": cb.reset_timeout_seconds,
        "CB_HALF_OPEN_ATTEMPTS": cb.half_open_attempts,
        "DEDUP_TTL_SECONDS": (retention_hours or default_retention_hours(kb)) * 3600,
        "COMPATIBILITY": plan.message_schema.compatibility,
        "AVRO_ENVELOPE": copy.deepcopy(plan.message_schema.avro_schema),
    }
    values.update(_broker_values(plan, kb))
    values["KAFKA_BOOTSTRAP_DEFAULT"] = opts.kafka_bootstrap if opts else None
    values["TOPOLOGY_DIR"] = (opts.topology_dir if opts else None) or TOPOLOGY_FOLDER
    return values


def _broker_values(plan: TopologyPlan, kb: KnowledgeBase) -> dict[str, Any]:
    out: dict[str, Any] = {}
    main_keys = {c.key for c in _main_channels(plan)}
    queues = [c for c in plan.channels if c.kind == "queue" and c.role not in ("retry", "dead_letter")
              and c.key.split("@")[0] in main_keys]
    queue = queues[0] if queues else None
    args = dict((queue.settings.get("arguments") or {}) if queue else {})
    for k in ("x-dead-letter-exchange", "x-dead-letter-routing-key"):
        args.pop(k, None)
    out["RABBITMQ_QUEUE_ARGUMENTS"] = args or {"x-queue-type": "quorum",
                                               "x-delivery-limit": plan.retry_policy.backoff.max_attempts}
    out["RABBITMQ_HAS_DLQ"] = bool(queue and (queue.settings.get("arguments") or {}).get("x-dead-letter-exchange"))
    retry = plan.retry.settings
    out["NATS_MAX_DELIVER"] = int(retry.get("max_deliver", plan.retry_policy.backoff.max_attempts))
    streams = [c for c in plan.channels if c.kind == "stream" and c.role not in ("retry", "dead_letter")]
    nats = streams[0].settings if streams and "duplicate_window_ns" in streams[0].settings else {}
    out["NATS_RETENTION"] = nats.get("retention", "limits")
    default_window_s = broker_figure(kb, "nats_jetstream", "duplicate_window_default") * 60
    out["NATS_DUPLICATE_WINDOW_S"] = nats["duplicate_window_ns"] / 1e9 if nats else default_window_s
    out["REDIS_MAX_DELIVERIES"] = int(retry.get("max_deliveries", plan.retry_policy.backoff.max_attempts))
    out["KAFKA_PARTITIONS"] = max(1, plan.topology.partitions)
    out.update(_topology_values(plan))
    return out


_LANE_OR_TIER = re.compile(r"\.(lane\.\d+|dlq|retry\.\d+)$")


def _entry(channel: Channel, by_name: dict[str, Channel]) -> tuple[str, str]:
    """(exchange, routing key) a producer publishes to so the message reaches this queue: up the bind_to chain."""
    exchange, key = channel.settings.get("bind_to"), channel.settings.get("routing_key")
    seen = {channel.name}
    while exchange in by_name and by_name[exchange].settings.get("bind_to") and exchange not in seen:
        seen.add(exchange)
        up = by_name[exchange]
        exchange, key = up.settings["bind_to"], up.settings.get("routing_key")
    if not exchange:
        return "", channel.name
    return str(exchange), str(key or "").replace("#", "x").replace("*", "x")


def _rabbitmq_subscribers(plan: TopologyPlan) -> list[dict[str, Any]]:
    """Per subscriber: its work queues (lanes), dead-letter queue, retry tiers and where a producer publishes (the
    last two on RabbitMQ)."""
    by_name = {c.name: c for c in plan.channels}
    subs: dict[str, dict[str, Any]] = {}
    for c in plan.channels:
        if c.kind != "queue":
            continue
        sub = subs.setdefault(_LANE_OR_TIER.sub("", c.key), {"queues": [], "dead_letter_queue": None,
                                                               "retry_tiers": [], "entry": None})
        if c.role == "dead_letter":
            sub["dead_letter_queue"] = c.name
        elif c.role == "retry":
            sub["retry_tiers"].append([str(c.settings.get("bind_to") or ""),
                                       str(c.settings.get("routing_key") or c.name)])
        else:
            sub["queues"].append(c.name)
            sub["entry"] = sub["entry"] or list(_entry(c, by_name))
    return [s for s in subs.values() if s["queues"]]


def _topology_values(plan: TopologyPlan) -> dict[str, Any]:
    """What the integration suites expect of the rendered topology they load (names and counts from the plan)."""
    broker = _broker_id(plan)
    headers = plan.client_settings.producer.get("headers")
    streams = [c for c in plan.channels if c.kind == "stream"]
    return {
        "RABBITMQ_SUBSCRIBERS": _rabbitmq_subscribers(plan) if broker == "rabbitmq" else [],
        "RABBITMQ_HASH_HEADER": next(iter(headers), None) if isinstance(headers, dict) else None,
        "NATS_DEAD_LETTER_STREAMS": [c.name for c in streams if c.role == "dead_letter"]
        if broker == "nats_jetstream" else [],
        "REDIS_GROUPS": {c.name: list(c.settings.get("groups") or []) for c in streams
                         if c.role not in ("retry", "dead_letter")} if broker == "redis_streams" else {},
        "SQS_SUBSCRIBERS": [{k: s[k] for k in ("queues", "dead_letter_queue")} for s in _rabbitmq_subscribers(plan)]
        if broker == "sqs" else [],
        "KAFKA_TRANSACTIONAL": "transactional.id" in plan.client_settings.producer,
    }


# --- the scaffold plan ------------------------------------------------------------------------------------------


class ScaffoldPlan(BaseModel):
    """What generate_tests decided, before any file is written; ``render.scaffold`` turns it into files."""

    model_config = ConfigDict(extra="forbid")

    use_case: str
    broker: BrokerId
    broker_name: str = Field(description="The plan's broker as people read it (plan.broker.technology).")
    suites: list[SuiteChoice]
    patterns: list[str] = Field(description="Reference patterns (eda_reference modules) the suites import.")
    values: dict[str, JsonValue] = Field(description="The plan's figures, written as constants into eda_plan.py.")
    imports: dict[str, str] = Field(description="Pattern -> the module the tests import it from.")
    user_modules: dict[str, str] = Field(description="The patterns the user's own modules implement.")
    requirements: list[str]
    integration_requirements: list[str]
    package: str | None
    kafka_bootstrap: str | None
    env_vars: list[EnvVar]
    avro_next: dict[str, JsonValue] = Field(description="The example next envelope version the schema suite checks.")
    commands: list[str]
    notes: list[str]
    plan: TopologyPlan = Field(description="The plan whose rendered topology the integration suites load.")
    domain: str = Field(description="The plan's domain (names the rendered topology files' owner).")
    topology_dir: str | None = Field(description="The user's folder of rendered topology files, if given; else the "
                                                 "scaffold writes its own copy into topology/.")

    def specs(self) -> list[SuiteSpec]:
        return [SUITE_SPECS[s.id] for s in self.suites]


NEXT_FIELD = {"name": "trace_id", "type": ["null", "string"], "default": None,
              "doc": "Example of a compatible change: a new optional field with a default."}


def next_envelope(avro_schema: dict[str, Any]) -> dict[str, Any]:
    """The plan's envelope plus one optional field: the example next version the schema suite checks."""
    nxt = copy.deepcopy(avro_schema)
    fields = nxt.get("fields")
    if not isinstance(fields, list):
        raise InputError(FieldError(path="$.plan.message_schema.avro_schema.fields", code="wrong_type",
                                    message="the plan's Avro envelope has no list of fields; pass the plan as "
                                    "plan_topology returned it", allowed="the Avro record schema from plan_topology"))
    nxt["fields"] = [*fields, dict(NEXT_FIELD)]
    return nxt



def plan_scaffold(source: Any, kb: KnowledgeBase, options: Any = None) -> ScaffoldPlan:
    """Which suites, patterns, requirements, commands and values a scaffold for this source needs."""
    opts = _parse_options(options)
    plan, domain = _resolve_plan(source, kb, opts)
    return scaffold_plan(plan, opts, _choose_suites(plan, opts), _resolve_modules(opts), plan_values(plan, kb, opts),
                         domain)


def scaffold_plan(plan: TopologyPlan, opts: GenerateOptions, chosen: list[tuple[str, str]], imports: dict[str, str],
                  values: dict[str, Any], domain: str = "events") -> ScaffoldPlan:
    suite_ids = [s for s, _ in chosen]
    specs = [SUITE_SPECS[s] for s in suite_ids]
    integ = [s for s in specs if s.integration]
    needed = {m for s in specs for m in s.modules} | ({"retry"} if "integration_redis" in suite_ids else set())
    patterns = sorted(needed, key=PATTERNS.index)
    user_modules = {p: m for p, m in imports.items() if not m.startswith("eda_reference.")}
    reasons = dict(chosen)
    suites = [SuiteChoice(id=s.id, title=s.title, reason=reasons[s.id], guarantee=s.guarantee, files=[s.path])
              for s in specs]
    env_vars = [EnvVar(name=name, enables=f"{SUITE_SPECS[suite].title}: {SUITE_SPECS[suite].guarantee}",
                       example=example)
                for name, (suite, example) in ENV_VARS.items() if suite in suite_ids]
    broker = _broker_id(plan)
    notes = []
    if broker == "pulsar":
        notes.append(f"No local integration test for {plan.broker.technology}: the unit suites prove the patterns; "
                     "run the rendered artifacts against a real account or cluster.")
    if user_modules:
        notes.append("The tests import your modules (" + ", ".join(f"{p} -> {m}" for p, m in user_modules.items())
                     + "): install your package into the venv (pip install -e <your project>) before running pytest.")
    return ScaffoldPlan(
        use_case=plan.use_case, broker=broker, broker_name=plan.broker.technology, suites=suites, patterns=patterns,
        values=values, imports=imports, user_modules=user_modules,
        requirements=list(BASE_REQUIREMENTS) + ([AVRO_REQUIREMENT] if "schema" in suite_ids else []),
        integration_requirements=[r for s in integ for r in INTEGRATION_REQUIREMENTS[s.id].split("\n")],
        package=opts.package,
        kafka_bootstrap=opts.kafka_bootstrap, env_vars=env_vars, avro_next=next_envelope(values["AVRO_ENVELOPE"]),
        commands=_commands(opts, integ, user_modules), notes=notes, plan=plan, domain=domain,
        topology_dir=opts.topology_dir)


def _commands(opts: GenerateOptions, integ: list[SuiteSpec], user_modules: dict[str, str]) -> list[str]:
    commands = ["python -m venv .venv", ".venv/bin/pip install -r requirements.txt"]
    if user_modules:
        commands.append(".venv/bin/pip install -e <path to your project>")
    commands.append(".venv/bin/pytest -q")
    if integ:
        commands.append(".venv/bin/pip install -r requirements-integration.txt")
        env = " ".join(f"{name}={example}" for name, (suite, example) in ENV_VARS.items()
                       if suite in {s.id for s in integ})
        if opts.kafka_bootstrap:
            env = env.replace("KAFKA_BOOTSTRAP_SERVERS=" + ENV_VARS["KAFKA_BOOTSTRAP_SERVERS"][1],
                              "KAFKA_BOOTSTRAP_SERVERS=" + opts.kafka_bootstrap)
        commands.append(f"{env} .venv/bin/pytest -q tests/integration")
    return commands


__all__ = ["GenerateOptions", "GeneratedFile", "GeneratedTests", "SuiteChoice", "EnvVar", "TestGenInputError",
           "ScaffoldPlan", "plan_scaffold", "default_suites", "plan_values", "SUITE_IDS", "PATTERNS",
           "PLANNABLE_BROKERS"]

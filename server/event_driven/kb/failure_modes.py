"""Failure-mode knowledge base: the catalogue ``diagnose_issue`` reasons over.

``knowledge/failure_modes.yaml`` holds one :class:`FailureMode` per id of the taxonomy in
``knowledge/failure_mode_ids.txt``. Each entry carries everything the diagnosis engine needs to score a
failure mode against what a user reports:

* ``symptoms`` -- short phrases in the words users use, for keyword / phrase matching;
* ``error_signatures`` -- exception names, message fragments or regexes as clients really print them;
* ``config_conditions`` -- declarative predicates over configuration keys that support or refute the mode;
* ``metric_patterns`` -- named patterns (see :data:`METRIC_PATTERNS`) the engine computes from samples;
* ``causes``, ``resolutions`` and read-only ``next_diagnostics`` to hand back to the user.

Numbers never appear bare: every figure is a :class:`~event_driven.kb.common.SourcedNumber`. Models are
strict (unknown keys are rejected, strings are not coerced into booleans or numbers) so that a typo in the
YAML stops start-up with the path of the offending field, see :func:`load_failure_modes`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    Discriminator,
    Field,
    StrictBool,
    StrictStr,
    Tag,
    field_validator,
    model_validator,
)

from event_driven.kb.common import KnowledgeModel, SourcedNumber, SourceUrl, require_unique
from event_driven.kb.predicates import Comparison, DocumentedDefault, Group, leaf_tests, node_kind

__all__ = [
    "BROKERS",
    "CATEGORIES",
    "CHECKLIST_ITEMS",
    "METRIC_PATTERNS",
    "OBSERVED_KEYS",
    "SEED_ISSUES",
    "Broker",
    "Category",
    "ChecklistItem",
    "ConditionNode",
    "ConfigChange",
    "ConfigCondition",
    "ConfigConditionGroup",
    "DocumentedDefault",
    "ErrorSignature",
    "FailureMode",
    "FailureModeCatalog",
    "MetricPattern",
    "NextDiagnostic",
    "Resolution",
    "VersionNote",
    "default_catalog_path",
    "find_unsourced_numbers",
    "read_taxonomy_ids",
]

# --------------------------------------------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------------------------------------------

Broker = Literal["kafka", "rabbitmq", "sqs", "pulsar", "nats_jetstream", "redis_streams", "any"]
"""Broker a failure mode applies to; ``any`` means broker-agnostic (and then stands alone)."""

BROKERS: tuple[str, ...] = ("kafka", "rabbitmq", "sqs", "pulsar", "nats_jetstream", "redis_streams", "any")

Category = Literal[
    "consumer_lag",
    "message_loss",
    "duplicates",
    "ordering",
    "dlq_overflow",
    "rebalance",
    "availability",
    "throughput",
    "configuration",
    "schema",
    "resource",
]
"""Primary effect the failure mode has on the system."""

CATEGORIES: tuple[str, ...] = get_args(Category)

SeedIssue = Literal["consumer_lag", "message_loss", "duplicates", "ordering_issues", "dlq_overflow", "rebalance_storms"]
"""Row of the seed skill's troubleshooting table (Issue | Cause | Resolution) an entry refines."""

SEED_ISSUES: tuple[str, ...] = get_args(SeedIssue)

ChecklistItem = Literal[
    "producer_acks",
    "offsets_committed",
    "replication_factor",
    "lag_monitored",
    "dlq_alerts",
    "idempotency",
    "schema_registry",
]
"""Items of the seed skill's debug checklist ("Producer acks configured?", "Consumer offsets committed?", ...)."""

CHECKLIST_ITEMS: tuple[str, ...] = get_args(ChecklistItem)

Effect = Literal["supports", "refutes"]
"""Whether an observation makes the failure mode more (``supports``) or less (``refutes``) likely."""


SignatureKind = Literal["exception", "message_fragment", "regex"]
"""``exception``: a class / error-code name; ``message_fragment``: a literal piece of a printed message
(matched case-insensitively as a substring); ``regex``: a Python regular expression (searched, case-insensitive)."""

ConfigScope = Literal[
    "producer",
    "consumer",
    "admin",
    "broker",
    "topic",
    "queue",
    "stream",
    "subscription",
    "namespace",
    "os",
    "application",
]
"""Where a configuration key lives, so the engine knows which part of a user's config to look in."""
CONFIG_SCOPES: tuple[str, ...] = get_args(ConfigScope)

METRIC_PATTERNS: dict[str, str] = {
    "lag_growing": "Consumer lag / backlog increases across the sample window while the consumer keeps committing or "
    "acknowledging (Burrow WARN).",
    "lag_stalled": "Committed offset / ack floor unchanged while lag > 0 (Burrow STALL), or no commit at all (STOP).",
    "lag_rewind": "Committed offset moved backwards between samples (Burrow REWIND): reprocessing or an offset reset.",
    "lag_zero": "Lag is zero or returns to zero inside the window: the consumer keeps up.",
    "lag_jumps_to_zero": "Lag drops to zero without the consumer processing the backlog (offset reset to latest, "
    "retention deleted data, or the backlog was evicted/trimmed).",
    "queue_depth_growing": "Ready / visible / backlog message count grows (RabbitMQ messages_ready, SQS "
    "ApproximateNumberOfMessagesVisible, Pulsar msgBacklog, NATS num_pending, Redis XLEN minus acked).",
    "oldest_message_age_growing": "Age of the oldest queued message keeps increasing (SQS "
    "ApproximateAgeOfOldestMessage, time lag).",
    "unacked_growing": "Delivered-but-unacknowledged count rises (RabbitMQ messages_unacknowledged, SQS "
    "ApproximateNumberOfMessagesNotVisible, NATS num_ack_pending, Redis PEL size, Pulsar unackedMessages).",
    "unacked_at_limit": "Unacknowledged count sits flat at a configured ceiling (prefetch count, MaxAckPending, "
    "in-flight quota) while delivery has stopped.",
    "redelivery_count_high": "Redeliveries are frequent: redelivered flag, x-delivery-count, ApproximateReceiveCount, "
    "num_redelivered, XPENDING delivery counter or Pulsar redeliveryCount high.",
    "same_message_redelivered": "One message id / offset is delivered again and again (poison-message loop).",
    "dlq_growing": "Dead-letter queue / topic depth keeps increasing.",
    "rebalance_frequent": "Consumer-group rebalances (generation changes, JoinGroup/partition revocations) occur "
    "repeatedly within minutes.",
    "processing_time_over_poll_interval": "Time to process one poll batch exceeds max.poll.interval.ms.",
    "processing_time_over_ack_timeout": "Processing time per message exceeds the broker's ack deadline (SQS "
    "visibility timeout, NATS AckWait, RabbitMQ consumer timeout, Pulsar ackTimeout).",
    "consumer_count_zero": "No consumer is attached to the queue / subscription / group.",
    "consumers_exceed_partitions": "More group members than partitions: some members own no partition.",
    "throughput_plateau": "Adding consumers does not raise consumption throughput.",
    "one_partition_hot": "One partition / queue / message group / shard has far more traffic or lag than the rest.",
    "produce_errors": "Producer send errors / failed publishes are non-zero.",
    "produce_rate_drops_to_zero": "Publish rate falls to zero while producers are still running (blocked or failing).",
    "throttled_requests": "Requests are throttled (throttling exceptions, throttle-time metrics).",
    "empty_receives_high": "Most receive calls return no messages (SQS NumberOfEmptyReceives).",
    "broker_resource_alarm": "Broker memory or disk watermark alarm is active.",
    "connection_churn_high": "Connections / channels opened and closed per second is high.",
    "file_descriptors_high": "Broker file-descriptor or memory-map usage approaches its OS limit.",
    "under_replicated": "Under-replicated partitions / ISR shrink / replicas below min.insync.replicas.",
    "messages_expired_or_dropped": "Messages leave the queue/stream without being consumed (TTL expiry, length "
    "limit, retention, trimming, delivery limit).",
    "produced_consumed_gap": "Fewer messages consumed than produced over the same period (loss or not yet consumed).",
    "duplicate_processing_detected": "The application sees the same business message id processed more than once.",
    "out_of_order_detected": "Per-key / per-entity sequence numbers arrive out of order.",
    "deserialization_errors": "Consumer-side deserialization / schema errors are non-zero.",
    "retry_rate_spike": "Retry / error rate spikes together with a downstream dependency outage.",
    "lso_stuck": "Last stable offset stays behind the high watermark (an open transaction pins it).",
    "memory_growing": "Broker or consumer memory keeps growing with the backlog.",
}
"""Named metric patterns the diagnosis engine computes from samples, with their meaning."""

MetricPatternName = Literal[
    "lag_growing",
    "lag_stalled",
    "lag_rewind",
    "lag_zero",
    "lag_jumps_to_zero",
    "queue_depth_growing",
    "oldest_message_age_growing",
    "unacked_growing",
    "unacked_at_limit",
    "redelivery_count_high",
    "same_message_redelivered",
    "dlq_growing",
    "rebalance_frequent",
    "processing_time_over_poll_interval",
    "processing_time_over_ack_timeout",
    "consumer_count_zero",
    "consumers_exceed_partitions",
    "throughput_plateau",
    "one_partition_hot",
    "produce_errors",
    "produce_rate_drops_to_zero",
    "throttled_requests",
    "empty_receives_high",
    "broker_resource_alarm",
    "connection_churn_high",
    "file_descriptors_high",
    "under_replicated",
    "messages_expired_or_dropped",
    "produced_consumed_gap",
    "duplicate_processing_detected",
    "out_of_order_detected",
    "deserialization_errors",
    "retry_rate_spike",
    "lso_stuck",
    "memory_growing",
]
assert set(get_args(MetricPatternName)) == set(METRIC_PATTERNS), "METRIC_PATTERNS and MetricPatternName diverge"

OBSERVED_KEYS: dict[str, str] = {
    "observed.max_processing_time_ms": "Worst-case time to process one message (or one received batch), in ms.",
    "observed.max_processing_time_s": "The same, in seconds (compared with SQS VisibilityTimeout).",
    "observed.max_processing_time_ns": "The same, in nanoseconds (compared with JetStream ack_wait, which the API "
    "expresses in ns).",
    "observed.broker_count": "Number of live brokers in the Kafka cluster.",
    "observed.consumer_count": "Number of consumers attached to the queue / subscription.",
    "observed.distinct_message_group_ids": "Number of distinct SQS FIFO MessageGroupId values in recent traffic.",
    "observed.declared_queue_arguments": "Queue arguments the client declares (from code).",
    "observed.existing_queue_arguments": "Queue arguments of the existing queue on the broker.",
    "observed.requeue_on_failure": "Whether the consumer nacks/rejects failed messages with requeue=true.",
}
"""Keys that are not configuration but facts the engine derives from the user's report or metrics.

A condition may test them (``key``) or compare a configuration key against them (``value_key``). Keys prefixed
``dlq.`` / ``source.`` denote the same SQS attribute on the dead-letter and the source queue respectively."""

ScalarValue = StrictStr | StrictBool | SourcedNumber
"""A configuration value: a string, a boolean, or a sourced number (bare numbers are rejected)."""

_ID_PATTERN = r"^[a-z][a-z0-9_]*$"


# --------------------------------------------------------------------------------------------------------------
# Small building blocks
# --------------------------------------------------------------------------------------------------------------


class ErrorSignature(KnowledgeModel):
    """An error as a client or broker really prints it."""

    pattern: str = Field(min_length=3, description="Exception name, message fragment or regex")
    kind: SignatureKind
    broker: Broker | None = Field(default=None, description="Broker that prints it, if specific")
    client: str | None = Field(default=None, description="Client library / component, e.g. 'java', 'librdkafka'")
    source: SourceUrl | None = Field(default=None, description="Where the exact wording was confirmed")
    note: str | None = None

    @model_validator(mode="after")
    def _regex_compiles(self) -> ErrorSignature:
        if self.kind == "regex":
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"regex signature {self.pattern!r} does not compile: {exc}") from exc
        return self

    def matches(self, text: str) -> bool:
        """True when ``text`` (a log line, stack trace or error message) shows this signature."""
        if self.kind == "regex":
            return re.search(self.pattern, text, flags=re.IGNORECASE) is not None
        return self.pattern.lower() in text.lower()


def _check_test(test: Comparison) -> None:
    """This file's policy for the shared condition language: known observed facts and config scopes."""
    for name in (test.key, test.value_key):
        if name is not None and name.startswith("observed.") and name not in OBSERVED_KEYS:
            raise ValueError(f"unknown observed key {name!r}; known: {sorted(OBSERVED_KEYS)}")
    if test.scope is not None and test.scope not in CONFIG_SCOPES:
        raise ValueError(f"unknown scope {test.scope!r}; known: {', '.join(CONFIG_SCOPES)}")


class _Judged(KnowledgeModel):
    effect: Effect
    why: str = Field(min_length=10, description="One sentence: why this observation bears on the failure mode")


class _Checked(KnowledgeModel):
    @model_validator(mode="after")
    def _policy(self) -> _Checked:
        assert isinstance(self, (Comparison, Group))
        for test in leaf_tests(self):
            _check_test(test)
        return self


class _Precondition(KnowledgeModel):
    precondition: bool = Field(
        default=False,
        description="The setting only makes the mode possible (every Key_Shared subscription, every FIFO queue): when "
        "it holds it counts weakly and corroborates nothing; it is not a misconfiguration in itself",
    )


class ConfigCondition(Comparison, _Judged, _Checked, _Precondition):
    """A top-level test on the user's configuration with its verdict (``effect``) and rationale (``why``)."""


class ConfigConditionGroup(Group, _Judged, _Checked, _Precondition):
    """A top-level ``all`` / ``any`` / ``not`` group of tests with its verdict and rationale."""


ConditionNode = Annotated[
    Annotated[ConfigCondition, Tag("leaf")] | Annotated[ConfigConditionGroup, Tag("group")],
    Discriminator(node_kind),
]


class MetricPattern(_Judged):
    """A named metric pattern (see :data:`METRIC_PATTERNS`) and what observing it says about the mode."""

    name: MetricPatternName
    threshold: SourcedNumber | None = Field(default=None, description="Sourced threshold, when one is documented")
    compare_to_key: str | None = Field(default=None, description="Config key the metric is compared against")


class ConfigChange(KnowledgeModel):
    """One configuration change a resolution recommends."""

    key: str = Field(min_length=1)
    value: ScalarValue
    scope: ConfigScope | None = None
    note: str | None = None


class Resolution(KnowledgeModel):
    """A remedy: an action sentence plus exact config changes and / or commands where they apply."""

    action: str = Field(min_length=10)
    config_changes: list[ConfigChange] = Field(default_factory=list)
    commands: list[str] = Field(default_factory=list)
    brokers: list[Broker] = Field(default_factory=list, description="Limit to these brokers (empty = all of entry)")
    versions: str | None = None
    caveat: str | None = None


class NextDiagnostic(KnowledgeModel):
    """A read-only command to run next and what to look for in its output."""

    command: str = Field(min_length=5)
    look_for: str = Field(min_length=5)
    broker: Broker | None = None


class Distinction(KnowledgeModel):
    """When this entry and ``other`` are close, the one question (and read-only command) that separates them."""

    other: str = Field(pattern=_ID_PATTERN, description="The failure mode this entry is often confused with")
    question: str = Field(min_length=15, description="What to ask or check; the answer points to one of the two")
    command: str | None = Field(default=None, min_length=5, description="A read-only command that answers it")
    broker: Broker | None = None


class VersionNote(KnowledgeModel):
    """Behaviour that depends on the release in use."""

    broker: Broker
    component: str | None = Field(
        default=None,
        description="The client library or tool whose releases 'versions' counts (librdkafka, pika, celery); "
        "none when it is the broker's own release",
    )
    versions: str = Field(min_length=1, description="Release range, e.g. '>=4.0' or '<3.0'")
    note: str = Field(min_length=10)
    source: SourceUrl


def _unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for v in values:
        key = v.strip().lower()
        if key in seen:
            raise ValueError(f"duplicate {what}: {v!r}")
        seen.add(key)


# --------------------------------------------------------------------------------------------------------------
# Entry and catalogue
# --------------------------------------------------------------------------------------------------------------


class FailureMode(KnowledgeModel):
    """One failure mode of an event-driven system, with the evidence that points to it and the way out."""

    id: str = Field(pattern=_ID_PATTERN, description="Taxonomy id from knowledge/failure_mode_ids.txt")
    title: str = Field(min_length=5)
    brokers: list[Broker] = Field(min_length=1)
    category: Category
    seed_issue: SeedIssue | None = Field(default=None, description="Seed troubleshooting row it refines, if any")
    summary: str = Field(min_length=20, description="What happens, in two or three sentences")
    symptoms: list[str] = Field(min_length=2, description="Short phrases in users' words, synonyms included")
    error_signatures: list[ErrorSignature] = Field(default_factory=list)
    config_conditions: list[ConditionNode] = Field(default_factory=list)
    metric_patterns: list[MetricPattern] = Field(default_factory=list)
    causes: list[str] = Field(min_length=1)
    resolutions: list[Resolution] = Field(min_length=1)
    next_diagnostics: list[NextDiagnostic] = Field(min_length=1)
    checklist_items: list[ChecklistItem] = Field(default_factory=list)
    sources: list[SourceUrl] = Field(min_length=1)
    versions: list[VersionNote] = Field(default_factory=list)
    stated_version_supports: bool = Field(
        default=False, description="A report that names a component version is (weak) evidence for this entry"
    )
    common_for: list[Broker] = Field(
        default_factory=list,
        description="Brokers whose public incident record this cause dominates (most reports "
        "about them turn out to be it); a base rate that counts as weak evidence whenever that broker is in use",
    )
    restates_symptom: bool = Field(
        default=False,
        description="The entry restates a symptom (a backlog, duplicates, an idle consumer) rather than "
        "naming a mechanism; it ranks below a mechanism the same evidence supports",
    )
    needs_mention: list[str] = Field(
        default_factory=list,
        description="Words naming the actor of the mechanism (an autoscaler, a lag exporter, a health check), "
        "matched as written at a word start ('monitor' also names 'monitoring'): a report that names none of them "
        "supports this entry only weakly when words alone support it",
    )
    cannot_explain: list[Category] = Field(
        default_factory=list,
        description="Categories of complaint (the vocabulary's complaints) this mechanism cannot produce: at-most-once "
        "delivery never redelivers, so a report of duplicates refutes it",
    )
    related: list[str] = Field(default_factory=list, description="Ids of failure modes often confused with this one")
    distinguish: list[Distinction] = Field(
        default_factory=list, description="Questions that separate this entry from close alternatives"
    )

    @field_validator("symptoms")
    @classmethod
    def _symptoms_short_and_unique(cls, value: list[str]) -> list[str]:
        for s in value:
            if not 3 <= len(s.strip()) <= 120:
                raise ValueError(f"symptom {s!r} should be a short phrase (3-120 characters)")
        _unique(value, "symptom")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FailureMode:
        if "any" in self.brokers and len(self.brokers) > 1:
            raise ValueError("'any' must be the only broker when present")
        _unique(self.brokers, "broker")
        _unique(self.sources, "source")
        _unique(self.checklist_items, "checklist item")
        _unique((f"{s.kind}:{s.pattern}" for s in self.error_signatures), "error signature")
        if self.id in self.related:
            raise ValueError("an entry cannot be related to itself")
        allowed = set(self.brokers)
        if "any" not in allowed:
            for sig in self.error_signatures:
                if sig.broker is not None and sig.broker not in allowed:
                    raise ValueError(f"signature {sig.pattern!r} names broker {sig.broker!r} not in {self.brokers}")
            for diag in self.next_diagnostics:
                if diag.broker is not None and diag.broker not in allowed:
                    raise ValueError(f"diagnostic {diag.command!r} names broker {diag.broker!r} not in {self.brokers}")
        return self

    def applies_to(self, broker: str) -> bool:
        """True if the failure mode can occur on ``broker`` (broker-agnostic entries apply everywhere)."""
        return "any" in self.brokers or broker in self.brokers


class FailureModeCatalog(KnowledgeModel):
    """The whole failure-mode file."""

    documented_defaults: dict[str, SourcedNumber] = Field(
        default_factory=dict, description="Documented defaults and limits the code compares against, by name"
    )
    failure_modes: list[FailureMode] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _every_number_sourced(cls, data: Any) -> Any:
        bare = find_unsourced_numbers(data)
        if bare:
            raise ValueError(f"bare numbers at {', '.join(bare)}; use a SourcedNumber (value, unit, source)")
        return data

    @model_validator(mode="after")
    def _ids_unique_and_references_resolve(self) -> FailureModeCatalog:
        ids = [fm.id for fm in self.failure_modes]
        require_unique(ids, "duplicate failure-mode ids")
        known = set(ids)
        for fm in self.failure_modes:
            missing = [r for r in [*fm.related, *(d.other for d in fm.distinguish)] if r not in known]
            if missing:
                raise ValueError(f"{fm.id}: related ids not in the catalogue: {missing}")
        return self

    def default(self, name: str) -> SourcedNumber:
        """A documented default or limit; a KeyError names one the file lacks."""
        try:
            return self.documented_defaults[name]
        except KeyError:
            raise KeyError(f"no documented default {name!r} in knowledge/failure_modes.yaml") from None

    def distinction(self, a: str, b: str) -> Distinction | None:
        """The question that separates entries ``a`` and ``b``, stated on either of them."""
        for first, second in ((a, b), (b, a)):
            found = next((d for d in self.by_id(first).distinguish if d.other == second), None)
            if found is not None:
                return found
        return None

    def by_id(self, failure_mode_id: str) -> FailureMode:
        for fm in self.failure_modes:
            if fm.id == failure_mode_id:
                return fm
        raise KeyError(failure_mode_id)

    def for_broker(self, broker: str) -> list[FailureMode]:
        """Entries that can occur on ``broker``, broker-agnostic ones included."""
        return [fm for fm in self.failure_modes if fm.applies_to(broker)]

    @property
    def ids(self) -> list[str]:
        return [fm.id for fm in self.failure_modes]


ConfigConditionGroup.model_rebuild()
FailureMode.model_rebuild()
FailureModeCatalog.model_rebuild()


# --------------------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------------------


def find_unsourced_numbers(data: Any, path: str = "") -> list[str]:
    """Paths of numbers in raw YAML data that are not the ``value`` of a SourcedNumber mapping."""
    found: list[str] = []
    if isinstance(data, Mapping):
        is_sourced = "value" in data and "unit" in data and "source" in data
        for key, val in data.items():
            sub = f"{path}.{key}" if path else str(key)
            if isinstance(val, (int, float)) and not isinstance(val, bool):
                if not (is_sourced and key == "value"):
                    found.append(sub)
            else:
                found.extend(find_unsourced_numbers(val, sub))
    elif isinstance(data, list):
        for i, val in enumerate(data):
            sub = f"{path}[{i}]"
            if isinstance(val, (int, float)) and not isinstance(val, bool):
                found.append(sub)
            else:
                found.extend(find_unsourced_numbers(val, sub))
    return found


def default_catalog_path() -> Path:
    """``knowledge/failure_modes.yaml`` at the repository root (server/event_driven/kb -> repo)."""
    return Path(__file__).resolve().parents[3] / "knowledge" / "failure_modes.yaml"


def read_taxonomy_ids(path: Path | str | None = None) -> list[str]:
    """Ids from ``knowledge/failure_mode_ids.txt`` (``<id> — <meaning>`` lines; ``#`` comments ignored)."""
    file = Path(path) if path is not None else default_catalog_path().with_name("failure_mode_ids.txt")
    ids: list[str] = []
    for line in file.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        ids.append(re.split(r"\s+[—-]+\s+|\s", line, maxsplit=1)[0])
    return ids

"""The typed topology plan: what plan_topology returns and what every template renders from.

Two layers:

* the **logical design** (:class:`LogicalChannel`, :class:`ConsumerGroup`, :class:`RetryPolicy`) is broker-agnostic
  and follows from the use case and the guarantees;
* the **broker design** (:class:`Channel` with broker-specific settings, :class:`ClientSettings`,
  :class:`RetryMapping`) is produced by one :class:`BrokerDesigner` per broker.

Templates receive only these models (and values derived from them), never the caller's raw input, and every name that
reaches a template has been validated against the broker's naming rules, so no input can inject a line or a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.sizing import PartitionPlan
from event_driven.vocab import PLANNABLE_BROKERS, BrokerId, Delivery, Ordering, Severity, UseCase

if TYPE_CHECKING:
    from event_driven.kb.loader import KnowledgeBase

__all__ = ["PLANNABLE_BROKERS", "BrokerId"]

ChannelRole = Literal["events", "commands", "replies", "requests", "jobs", "snapshots", "retry", "dead_letter"]
ChannelKind = Literal["topic", "queue", "stream", "exchange", "subject"]


class PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- logical design (broker-agnostic) -------------------------------------------------------------------------------


class LogicalChannel(PlanModel):
    """A channel the design needs, before it is mapped to a broker."""

    key: str = Field(description="Stable identifier inside the plan, e.g. 'events', 'events.dlq'.")
    role: ChannelRole
    purpose: str
    producers: list[str] = Field(default_factory=list)
    consumers: list[str] = Field(default_factory=list, description="Consumer group ids reading this channel.")
    ordering_key: str | None = Field(default=None, description="Message field that keys ordering, e.g. 'aggregate_id'.")
    keep_forever: bool = Field(default=False, description="Retention without end (event sourcing, full replay).")
    compacted: bool = Field(default=False, description="Keep the latest message per key (snapshots).")
    dead_letter_of: str | None = Field(default=None, description="Key of the channel whose failures land here.")
    retry_of: str | None = Field(default=None, description="Key of the channel this retry tier feeds back into.")
    retry_delay_ms: int | None = None


class ConsumerGroup(PlanModel):
    """A set of consumer instances that share work on one channel."""

    name: str = Field(description="Group id / subscription / durable consumer name.")
    service: str = Field(description="The consuming service from the event context.")
    channel: str = Field(description="Key of the LogicalChannel it reads.")
    strategy: Literal["fan_out_subscriber", "competing_consumers", "single_active", "projection", "reply_listener"]
    instances: int = Field(description="Consumer instances to run (bounded by the channel's parallelism).")
    reason: str
    lanes: int = Field(default=1, description="Ordered lanes the keys are spread over (hash of the ordering key), "
                                              "each with one active consumer: per-key order with parallelism.")


class BackoffSchedule(PlanModel):
    """The seed's retry_config.message_processing, with the resulting delays."""

    max_attempts: int
    initial_delay_ms: int
    max_delay_ms: int
    multiplier: float
    jitter_factor: float
    delays_ms: list[int] = Field(description="Delay before each retry, before jitter: min(max, initial x "
                                             "multiplier^n).")
    jitter: str = Field(description="How jitter is applied.")
    source: str


class CircuitBreakerPolicy(PlanModel):
    failure_threshold: int
    reset_timeout_seconds: int
    half_open_attempts: int
    source: str


class RetryPolicy(PlanModel):
    """Broker-agnostic retry policy: the seed's retry_config."""

    backoff: BackoffSchedule
    retryable: list[str]
    non_retryable: list[str]
    dead_letter_enabled: bool
    dead_letter_suffix: str
    dead_letter_retention_days: int
    dlq_alert_threshold: int
    circuit_breaker: CircuitBreakerPolicy


# --- broker design --------------------------------------------------------------------------------------------------


class Channel(PlanModel):
    """A topic, queue, stream, exchange or subject as the broker will see it."""

    key: str
    name: str = Field(description="Name validated against the broker's naming rules.")
    kind: ChannelKind
    role: ChannelRole
    purpose: str
    partitions: int | None = None
    replication_factor: int | None = None
    retention_hours: int | None = Field(default=None, description="None with keep_forever=true means no time limit.")
    keep_forever: bool = False
    cleanup_policy: str | None = Field(
        default=None, description="e.g. delete, compact, compact,delete, limits, work_queue.")
    settings: dict[str, Any] = Field(default_factory=dict, description="Broker-native settings of this channel.")
    naming_rule: str = Field(description="The convention and the broker rule the name was checked against.")


class ClientSettings(PlanModel):
    """Producer and consumer client settings that deliver the stated guarantee, each with its reason."""

    client: str = Field(description="Which client the keys are for, e.g. 'librdkafka', 'AMQP 0-9-1', 'boto3'.")
    producer: dict[str, Any]
    consumer: dict[str, Any]
    reasons: dict[str, str] = Field(description="Why each key has its value (key -> reason).")
    sources: list[str]


class RetryMapping(PlanModel):
    """How the retry policy is realised on this broker."""

    mechanism: str
    settings: dict[str, Any]
    steps: list[str] = Field(description="What happens to a failing message, in order.")
    sources: list[str]


class SizingFigure(PlanModel):
    name: str
    value: float
    unit: str
    formula: str
    inputs: dict[str, float | str]
    assumption: str | None = None
    source: str | None = None


class Workload(PlanModel):
    """What the processing time implies for every broker: work in flight, deadlines and client buffers."""

    processing_time_ms: int | None = Field(description="Time to process one message; None when not stated.")
    ack_deadline_ms: int = Field(description="How long a delivery may stay unacknowledged before the broker "
                                             "redelivers it: processing time x margin, else the processing budget.")
    slots_per_instance: int = Field(description="Messages one consumer instance processes at the same time.")
    prefetch: int = Field(description="Unacknowledged messages one instance holds (RabbitMQ prefetch, SQS "
                                      "MaxNumberOfMessages, NATS fetch batch).")
    in_flight: float = Field(description="Messages being processed at once at the arrival rate (Little's law).")
    heartbeat: bool = Field(description="Jobs outlive the broker's default deadline: extend it while working "
                                        "(in-progress ack, ChangeMessageVisibility, XCLAIM, consumer_timeout).")


class Sizing(PlanModel):
    partitions: PartitionPlan
    storage: SizingFigure
    network_in: SizingFigure
    network_out: SizingFigure
    consumer_instances: SizingFigure
    assumptions: list[str]
    concurrency: SizingFigure | None = Field(
        default=None, description="Messages in flight = arrival rate x processing time, when the time is stated.")
    deadlines: list[SizingFigure] = Field(
        default_factory=list, description="Acknowledgement deadline, prefetch and client buffer, with the math.")


class MetricSpec(PlanModel):
    name: str
    type: Literal["counter", "gauge", "histogram"]
    labels: list[str]
    buckets: list[float] | None = None
    help: str


class AlertRule(PlanModel):
    name: str
    expr: str
    for_: str = Field(alias="for")
    severity: Literal["warning", "critical"]
    summary: str
    reason: str

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class AlertSeries(PlanModel):
    """A broker-side series an alert reads, with the labels of one monitored channel (the promtool test feeds it)."""

    metric: str
    labels: dict[str, str]


class BrokerAlertInputs(PlanModel):
    """Where the alert rules read lag, progress and dead-letter depth: an exporter reading the broker itself."""

    exporter: str
    setup: str
    source: str
    versions: str | None = None
    lag: AlertSeries | None = Field(default=None, description="None when no channel has a broker-side lag gauge.")
    progress: AlertSeries | None = None
    progress_kind: Literal["position", "level"] = "position"
    dead_letter: AlertSeries | None = Field(default=None, description="None when the plan has no dead letters.")
    dead_letter_minus: str | None = Field(default=None, description="Series subtracted to get the depth (Kafka).")
    dead_letter_channel_label: str


class CloudWatchAlarm(PlanModel):
    """A CloudWatch alarm on an SQS queue metric, rendered into the CloudFormation template."""

    name: str
    queue: str = Field(description="Queue name (the QueueName dimension).")
    namespace: str
    metric: str
    statistic: Literal["Maximum"] = "Maximum"
    comparison: Literal["GreaterThanThreshold"] = "GreaterThanThreshold"
    threshold: int
    period_s: int
    evaluation_periods: int
    severity: Literal["warning", "critical"]
    reason: str


class Observability(PlanModel):
    metrics: list[MetricSpec]
    log_schema: dict[str, Any]
    log_example: dict[str, Any]
    alerts: list[AlertRule]
    lag_window_minutes: int = Field(default=10, description="Window of the lag and stall alerts: at least the "
                                                            "acknowledgement deadline, so a long job is not a stall.")
    broker_signals: BrokerAlertInputs | None = Field(
        default=None, description="The broker-side series the alert rules read (None on SQS: CloudWatch alarms).")
    cloudwatch_alarms: list[CloudWatchAlarm] = Field(default_factory=list)


class MessageSchema(PlanModel):
    """The seed's output message_schema, extended with Avro, CloudEvents and the evolution rule."""

    format: str
    schema_: dict[str, Any] = Field(alias="schema", description="The event envelope as JSON Schema (2020-12).")
    versioning: str
    avro_schema: dict[str, Any]
    cloudevents_mapping: dict[str, str]
    compatibility: str
    evolution_rule: str
    subject_naming: str
    sources: list[str]

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class PlanWarning(PlanModel):
    message: str
    action: str
    rule_id: str | None = None
    severity: Severity = "medium"


class Artifact(PlanModel):
    path: str = Field(description="Relative path the file is written to by `event-driven plan --out DIR`.")
    media_type: str
    description: str
    content: str
    checked_by: str = Field(description="The third-party oracle the test suite checks this artifact with.")


class BrokerChoice(PlanModel):
    technology: str
    variant: str | None = None
    rationale: str


class SeedTopology(PlanModel):
    """The seed output schema's topology block."""

    topics: list[str]
    partitions: int
    replication_factor: int


class SeedConsumerConfig(PlanModel):
    group_strategy: str
    error_handling: str
    dlq: dict[str, Any]


class BrokerDesign(PlanModel):
    """What a :class:`BrokerDesigner` returns."""

    channels: list[Channel]
    consumer_groups: list[ConsumerGroup]
    client_settings: ClientSettings
    retry: RetryMapping
    warnings: list[PlanWarning] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class TopologyPlan(PlanModel):
    """plan_topology's result: the seed's output schema, then everything a demanding user needs to build it."""

    # The seed's output schema.
    broker: BrokerChoice
    topology: SeedTopology
    message_schema: MessageSchema
    consumer_config: SeedConsumerConfig
    # Beyond the seed.
    use_case: UseCase
    delivery: Delivery
    ordering: Ordering
    shape: str = Field(description="How the use case shapes the design (pattern and why).")
    logical_channels: list[LogicalChannel]
    channels: list[Channel]
    consumer_groups: list[ConsumerGroup]
    retry_policy: RetryPolicy
    retry: RetryMapping
    client_settings: ClientSettings
    sizing: Sizing
    observability: Observability
    diagram: str = Field(description="Mermaid flowchart of producers, channels, consumer groups and dead-letter paths.")
    warnings: list[PlanWarning]
    notes: list[str] = Field(default_factory=list, description="Facts about the design worth knowing (not problems).")
    artifacts: list[Artifact] = Field(default_factory=list)


class DesignInput(PlanModel):
    """Everything a :class:`BrokerDesigner` needs, already validated and normalised."""

    use_case: UseCase
    delivery: Delivery
    ordering: Ordering
    domain: str
    variant: str | None
    logical_channels: list[LogicalChannel]
    consumer_groups: list[ConsumerGroup]
    retry_policy: RetryPolicy
    partitions: int
    replication_factor: int
    retention_hours: int | None
    message_size_bytes: int
    processing_timeout_ms: int
    throughput_msg_per_s: int
    workload: Workload


class PlannedTopology(PlanModel):
    """What the planner returns: the plan without file contents, and what the renderer dispatches on."""

    plan: TopologyPlan
    broker: BrokerId
    domain: str


class BrokerDesigner(Protocol):
    """One per broker: maps the logical design onto the broker's own objects, settings and retry machinery."""

    broker_id: BrokerId

    def design(self, spec: DesignInput, kb: KnowledgeBase) -> BrokerDesign: ...

"""Model for ``knowledge/patterns.yaml``: the seed's retry config, metrics and log events, and sizing assumptions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from event_driven.kb.common import KnowledgeModel, SourcedNumber, SourceUrl


class DeadLetterDefaults(KnowledgeModel):
    enabled: bool
    topic_suffix: Annotated[str, Field(pattern=r"^[.\-_][a-z]+$")]
    retention_days: SourcedNumber
    alert_threshold: SourcedNumber


class ErrorClassification(KnowledgeModel):
    retryable: list[str]
    non_retryable: list[str]


class CircuitBreakerDefaults(KnowledgeModel):
    failure_threshold: SourcedNumber
    reset_timeout_seconds: SourcedNumber
    half_open_attempts: SourcedNumber
    pattern_source: SourceUrl


class RetryDefaults(KnowledgeModel):
    max_attempts: SourcedNumber
    initial_delay_ms: SourcedNumber
    max_delay_ms: SourcedNumber
    multiplier: SourcedNumber
    jitter_factor: SourcedNumber
    backoff_formula_source: SourceUrl
    dead_letter: DeadLetterDefaults
    error_classification: ErrorClassification
    circuit_breaker: CircuitBreakerDefaults


class SizingDefaults(KnowledgeModel):
    replication_factor: SourcedNumber
    min_insync_replicas: SourcedNumber
    partition_produce_bytes_per_s: SourcedNumber
    consumer_msg_per_s_per_partition: SourcedNumber
    message_size_bytes: SourcedNumber
    processing_timeout_ms: SourcedNumber
    rabbitmq_prefetch: SourcedNumber
    processing_margin: SourcedNumber
    keyed_partition_headroom: SourcedNumber
    max_ordered_lanes: SourcedNumber
    consumer_slots_per_instance: SourcedNumber


class ClientDefaults(KnowledgeModel):
    # Kafka's documented consumer defaults (max.poll.interval.ms, heartbeat.interval.ms) live in
    # knowledge/failure_modes.yaml documented_defaults, their one home.
    librdkafka_message_max_bytes: SourcedNumber


class MetricDefault(KnowledgeModel):
    name: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]*$")]
    type: Literal["counter", "gauge", "histogram"]
    labels: list[str]
    buckets: list[float] | None = None
    source: SourceUrl


_PROM_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
PromName = Annotated[str, Field(pattern=_PROM_NAME)]


class LagSeries(KnowledgeModel):
    """A broker-side gauge of messages a consumer has not processed yet, and the labels that name its channel."""

    metric: PromName
    channel_label: PromName
    group_label: PromName | None = Field(
        default=None, description="None when the channel is the consumer's own (a RabbitMQ queue per subscriber).")


class ProgressSeries(KnowledgeModel):
    """A broker-side series that shows a consumer still works, with the lag series' labels."""

    metric: PromName
    kind: Literal["position", "level"] = Field(
        description="position: a read position that stops changing when the consumer stalls; level: a count or rate "
                    "that drops to zero (consumers attached, dispatch rate).")


class DepthSeries(KnowledgeModel):
    """Messages held in a dead-letter channel, read from the broker."""

    metric: PromName
    minus: PromName | None = Field(default=None,
                                   description="Subtracted series (Kafka: log start offset), same labels.")
    channel_label: PromName


class BrokerSignals(KnowledgeModel):
    """Where lag and dead-letter depth come from on one broker: an exporter reading the broker itself, so a dead
    consumer cannot make the series go stale the way an application-emitted metric does."""

    exporter: str
    setup: str
    lag: LagSeries
    progress: ProgressSeries
    dead_letter_depth: DepthSeries
    versions: str | None = None
    source: SourceUrl


class CloudWatchQueueMetrics(KnowledgeModel):
    namespace: str
    visible: str
    oldest_age: str
    dimension: str
    source: SourceUrl


class PatternDefaults(KnowledgeModel):
    seed_source: SourceUrl
    retry: RetryDefaults
    sizing: SizingDefaults
    clients: ClientDefaults
    metrics: list[MetricDefault]
    log_events: list[str]
    broker_signals: dict[str, BrokerSignals] = Field(description="Prometheus brokers by broker id.")
    sqs_cloudwatch: CloudWatchQueueMetrics

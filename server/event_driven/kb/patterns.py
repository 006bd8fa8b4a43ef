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


class PatternDefaults(KnowledgeModel):
    seed_source: SourceUrl
    retry: RetryDefaults
    sizing: SizingDefaults
    clients: ClientDefaults
    metrics: list[MetricDefault]
    log_events: list[str]

"""The typed shape of the metric samples a user can give ``diagnose_issue``."""

from __future__ import annotations

from statistics import mean
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from event_driven.core.lag import LagEvaluationConfig, OffsetSample


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class GroupPartitionOffsets(_Strict):
    """Committed and log-end offsets of one partition over time (core/lag.py's OffsetSample)."""

    group: str | None = Field(default=None, description="Consumer group; partitions without one form group 'default'")
    topic: str
    partition: int
    samples: list[OffsetSample] = Field(min_length=1)


class DepthSample(_Strict):
    timestamp_ms: int
    depth: float = Field(validation_alias=AliasChoices("depth", "value", "count"))


class DepthSeries(_Strict):
    """Queue depth over time (RabbitMQ messages_ready, SQS ApproximateNumberOfMessagesVisible, NATS num_pending...)."""

    name: str | None = None
    samples: list[DepthSample] = Field(min_length=1)


class CountSample(_Strict):
    timestamp_ms: int
    value: float = Field(validation_alias=AliasChoices("value", "count", "depth", "age_ms"))


class CountSeries(_Strict):
    """A gauge over time: unacknowledged count, DLQ depth, oldest-message age (ms), consumer count."""

    name: str | None = None
    samples: list[CountSample] = Field(min_length=1)


class RedeliverySample(_Strict):
    timestamp_ms: int
    redelivered: int = Field(ge=0, description="Messages delivered again (redelivered flag / receive count > 1)")
    delivered: int | None = Field(default=None, ge=0, description="All deliveries in the same interval")


class RedeliverySeries(_Strict):
    name: str | None = None
    samples: list[RedeliverySample] = Field(default_factory=list)
    max_delivery_count: int | None = Field(
        default=None, ge=0,
        description="Highest delivery count seen for one message (x-delivery-count, ApproximateReceiveCount, "
        "num_delivered, XPENDING counter, redeliveryCount)",
    )


class ProcessingTime(_Strict):
    """How long the consumer takes. ``scope`` says whether one sample is one message or one poll batch."""

    scope: Literal["message", "batch"] = "message"
    samples_ms: list[float] = Field(default_factory=list)
    max_ms: float | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"max_ms": data}
        if isinstance(data, list):
            return {"samples_ms": data}
        return data

    @property
    def worst_ms(self) -> float | None:
        vals = list(self.samples_ms) + ([self.max_ms] if self.max_ms is not None else [])
        return max(vals) if vals else None

    @property
    def mean_ms(self) -> float | None:
        return mean(self.samples_ms) if self.samples_ms else self.max_ms


class RebalanceEvent(_Strict):
    timestamp_ms: int
    group: str | None = None
    generation: int | None = None
    reason: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, int) and not isinstance(data, bool):
            return {"timestamp_ms": data}
        return data


class Metrics(_Strict):
    """Metric samples a user can give ``diagnose_issue``. Every field is optional."""

    consumer_group_offsets: list[GroupPartitionOffsets] = Field(
        default_factory=list, description="Per partition: committed and log-end offsets over time (Kafka-style lag)"
    )
    queue_depths: list[DepthSeries] = Field(default_factory=list, description="Ready/visible backlog over time")
    unacked_counts: list[CountSeries] = Field(default_factory=list, description="Delivered but unacked over time")
    dlq_depths: list[CountSeries] = Field(default_factory=list, description="Dead-letter queue depth over time")
    oldest_message_age_ms: list[CountSeries] = Field(default_factory=list, description="Age of the oldest message")
    consumer_counts: list[CountSeries] = Field(default_factory=list, description="Attached consumers over time")
    redelivery_counts: list[RedeliverySeries] = Field(default_factory=list)
    processing_time_ms: ProcessingTime | None = None
    rebalances: list[RebalanceEvent] = Field(default_factory=list, description="Consumer-group rebalance events")
    broker_count: int | None = Field(default=None, ge=0, description="Live brokers in the cluster")
    lag_evaluation: LagEvaluationConfig | None = Field(default=None, description="Burrow evaluator settings")

    def is_empty(self) -> bool:
        return not any([
            self.consumer_group_offsets, self.queue_depths, self.unacked_counts, self.dlq_depths,
            self.oldest_message_age_ms, self.consumer_counts, self.redelivery_counts, self.processing_time_ms,
            self.rebalances, self.broker_count is not None,
        ])


# --------------------------------------------------------------------------------------------------------------

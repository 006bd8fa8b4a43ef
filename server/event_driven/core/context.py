"""The event context: what a caller tells us about the system they are building.

The field names, enums and patterns follow the seed skill's parameter schema exactly. Four optional extensions
(``message_size``, ``processing_time``, ``replay`` and ``idempotent_consumers``) let the rules check what the seed
cannot express; they are documented as extensions and never required.

Parsing is split in two so that a partial or partly wrong context still gets every warning its valid fields trigger:
:class:`EventContext` is the strict model (what a complete context must look like) and :class:`NormalizedContext` holds
the fields that did parse, in canonical units.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from event_driven.units import duration_to_hours, duration_to_ms, latency_to_ms, size_to_bytes, throughput_to_msg_per_s
from event_driven.vocab import Delivery, Ordering, UseCase

# The enumerations live in vocab (the only copy); imported here for the context's readers.

# Patterns from the seed's parameter schema, verbatim.
THROUGHPUT_PATTERN = r"^\d+[KM]?\s*msg/s$"
LATENCY_PATTERN = r"^\d+\s*(ms|s)$"
RETENTION_PATTERN = r"^\d+\s*(hours?|days?|weeks?)$"
# Extensions (not in the seed).
MESSAGE_SIZE_PATTERN = r"^\d+\s*(B|KB|KiB|MB|MiB)$"
PROCESSING_TIME_PATTERN = r"^\d+\s*(ms|s|sec|seconds?|min|minutes?|h|hours?)$"
REPLAY_PATTERN = r"^(none|full|\d+\s*(hours?|days?|weeks?))$"

Throughput = Annotated[str, StringConstraints(pattern=THROUGHPUT_PATTERN)]
Latency = Annotated[str, StringConstraints(pattern=LATENCY_PATTERN)]
Retention = Annotated[str, StringConstraints(pattern=RETENTION_PATTERN)]
MessageSize = Annotated[str, StringConstraints(pattern=MESSAGE_SIZE_PATTERN)]
ProcessingTime = Annotated[str, StringConstraints(pattern=PROCESSING_TIME_PATTERN)]
Replay = Annotated[str, StringConstraints(pattern=REPLAY_PATTERN)]
ServiceName = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


class Requirements(BaseModel):
    """Non-functional requirements, as the seed spells them."""

    model_config = ConfigDict(extra="forbid")

    throughput: Throughput | None = Field(
        default=None, description="Peak rate, e.g. '10K msg/s' (K = 1,000; M = 1,000,000)."
    )
    latency: Latency | None = Field(default=None, description="End-to-end latency target, e.g. '100ms' or '2 s'.")
    ordering: Ordering | None = Field(default=None, description="none, partition (per key) or global.")
    delivery: Delivery | None = Field(default=None, description="at_most_once, at_least_once or exactly_once.")
    retention: Retention | None = Field(default=None, description="How long messages are kept, e.g. '7 days'.")
    # Extensions beyond the seed schema.
    message_size: MessageSize | None = Field(default=None, description="Extension: typical message size, e.g. '2 KB'.")
    processing_time: ProcessingTime | None = Field(
        default=None, description="Extension: how long a consumer works on one message, e.g. '200ms' or '20 min'."
    )
    replay: Replay | None = Field(
        default=None, description="Extension: how far back consumers must re-read: 'none', 'full' or e.g. '30 days'."
    )
    idempotent_consumers: bool | None = Field(
        default=None, description="Extension: whether consumers already deduplicate (true) or not (false)."
    )


class EventContext(BaseModel):
    """A complete event context. Required fields follow the seed: use_case, requirements, producers, consumers."""

    model_config = ConfigDict(extra="forbid")

    use_case: UseCase
    requirements: Requirements
    producers: Annotated[list[ServiceName], Field(min_length=1)]
    consumers: Annotated[list[ServiceName], Field(min_length=1)]


class PartialEventContext(BaseModel):
    """Same fields as :class:`EventContext`, all optional: used to normalise whatever part of a context is valid."""

    model_config = ConfigDict(extra="ignore")

    use_case: UseCase | None = None
    requirements: Requirements | None = None
    producers: list[ServiceName] | None = None
    consumers: list[ServiceName] | None = None


class NormalizedContext(BaseModel):
    """The context in canonical units. Fields the caller left out, or got wrong, are null."""

    model_config = ConfigDict(extra="forbid")

    use_case: UseCase | None = None
    throughput_msg_per_s: int | None = Field(default=None, description="Messages per second (10K = 10000).")
    latency_ms: int | None = Field(default=None, description="Latency target in milliseconds.")
    ordering: Ordering | None = None
    delivery: Delivery | None = None
    retention_hours: int | None = Field(default=None, description="Retention in hours.")
    message_size_bytes: int | None = Field(default=None, description="Extension: message size in bytes.")
    processing_time_ms: int | None = Field(default=None, description="Extension: processing time per message in ms.")
    replay: Literal["none", "full", "window"] | None = Field(default=None, description="Extension: replay need.")
    replay_hours: int | None = Field(
        default=None, description="Extension: replay window in hours when replay is 'window'."
    )
    idempotent_consumers: bool | None = None
    producers: list[str] = Field(default_factory=list)
    consumers: list[str] = Field(default_factory=list)
    producer_count: int = 0
    consumer_count: int = 0


def normalize(partial: PartialEventContext) -> NormalizedContext:
    """Convert the valid part of a context to canonical units."""
    req = partial.requirements or Requirements()
    replay: Literal["none", "full", "window"] | None = None
    replay_hours: int | None = None
    if req.replay is not None:
        if req.replay in ("none", "full"):
            replay = req.replay
        else:
            replay, replay_hours = "window", duration_to_hours(req.replay)
    producers = list(partial.producers or [])
    consumers = list(partial.consumers or [])
    return NormalizedContext(
        use_case=partial.use_case,
        throughput_msg_per_s=throughput_to_msg_per_s(req.throughput) if req.throughput else None,
        latency_ms=latency_to_ms(req.latency) if req.latency else None,
        ordering=req.ordering,
        delivery=req.delivery,
        retention_hours=duration_to_hours(req.retention) if req.retention else None,
        message_size_bytes=size_to_bytes(req.message_size) if req.message_size else None,
        processing_time_ms=duration_to_ms(req.processing_time) if req.processing_time else None,
        replay=replay,
        replay_hours=replay_hours,
        idempotent_consumers=req.idempotent_consumers,
        producers=producers,
        consumers=consumers,
        producer_count=len(producers),
        consumer_count=len(consumers),
    )


def unwrap(params: Any) -> tuple[Any, str]:
    """Accept a context with or without the outer ``event_context`` key; return it and its JSON path prefix."""
    if isinstance(params, dict) and set(params) == {"event_context"}:
        return params["event_context"], "$.event_context"
    return params, "$"

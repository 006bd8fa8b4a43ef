"""Partition sizing with the working shown.

Confluent's guidance: measure the throughput one partition sustains on the produce side (p) and on the consume side
(c); for a target throughput t you need at least max(t/p, t/c) partitions. We round that up to a whole number and then
to an even count, so partitions spread evenly over an even number of brokers or consumers.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field


class SizingStep(BaseModel):
    description: str
    formula: str
    value: float


class PartitionPlan(BaseModel):
    """How many partitions, and how we got there."""

    partitions: int = Field(description="Partition count: max(t/p, t/c), rounded up, then up to an even number.")
    replication_factor: int
    total_replicas: int = Field(description="partitions x replication_factor: the replicas the cluster must host.")
    producer_bound: float = Field(description="t / p")
    consumer_bound: float = Field(description="t / c")
    inputs: dict[str, float]
    steps: list[SizingStep]
    explanation: str
    source: str | None = Field(default=None, description="Where the formula comes from (Confluent's sizing post).")


class SizingInputError(ValueError):
    """An input to a sizing formula is out of range; the message names the argument and what is allowed."""


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise SizingInputError(f"{name} must be a positive number, got {value!r}")


def calculate_partitions(throughput_per_second: float, max_throughput_per_partition: float, replication_factor: int = 3,
                         consumer_throughput_per_partition: float | None = None,
                         source: str | None = None) -> PartitionPlan:
    """Partitions for a target rate. ``max_throughput_per_partition`` is p, what one partition sustains on the produce
    side; ``consumer_throughput_per_partition`` is c, what one consumer sustains on one partition (p when unknown)."""
    _positive("throughput_per_second", throughput_per_second)
    _positive("max_throughput_per_partition", max_throughput_per_partition)
    if isinstance(replication_factor, bool) or not isinstance(replication_factor, int) or replication_factor < 1:
        raise SizingInputError(f"replication_factor must be a whole number >= 1, got {replication_factor!r}")
    c_given = consumer_throughput_per_partition is not None
    c = max_throughput_per_partition if consumer_throughput_per_partition is None else consumer_throughput_per_partition
    _positive("consumer_throughput_per_partition", c)
    t, p = throughput_per_second, max_throughput_per_partition
    producer_bound, consumer_bound = t / p, t / c
    needed = max(producer_bound, consumer_bound)
    whole = max(1, math.ceil(needed - 1e-9))
    even = whole + (whole % 2)
    steps = [
        SizingStep(description="producer-side bound", formula=f"t / p = {t:g} / {p:g}", value=producer_bound),
        SizingStep(
            description="consumer-side bound" + ("" if c_given else " (c unknown, taken equal to p)"),
            formula=f"t / c = {t:g} / {c:g}",
            value=consumer_bound,
        ),
        SizingStep(description="larger bound, rounded up",
                   formula=f"ceil(max({producer_bound:g}, {consumer_bound:g}))", value=whole),
        SizingStep(description="rounded up to an even count", formula=f"{whole} + ({whole} mod 2)", value=even),
        SizingStep(
            description="replicas hosted by the cluster",
            formula=f"{even} x {replication_factor}",
            value=even * replication_factor,
        ),
    ]
    explanation = (
        f"{t:g} msg/s needs max({t:g}/{p:g}, {t:g}/{c:g}) = {needed:g} partitions; rounded up to {whole} and then to "
        f"the "
        f"even count {even}, with replication factor {replication_factor} that is {even * replication_factor} replicas."
    )
    return PartitionPlan(
        partitions=even,
        replication_factor=replication_factor,
        total_replicas=even * replication_factor,
        producer_bound=producer_bound,
        consumer_bound=consumer_bound,
        inputs={
            "throughput_per_second": t,
            "max_throughput_per_partition": p,
            "consumer_throughput_per_partition": c,
            "replication_factor": replication_factor,
        },
        steps=steps,
        explanation=explanation,
        source=source,
    )

"""The workload as a whole: from the arrival rate and the processing time to work in flight, the acknowledgement
deadline every broker must allow, and how many messages a consumer may hold before it processes them.

Little's law gives the work in flight: in_flight = arrival rate x processing time. Every deadline a broker enforces on
an unacknowledged delivery (SQS visibility timeout, NATS ack_wait, RabbitMQ consumer_timeout, Redis XAUTOCLAIM idle
time, Kafka max.poll.interval.ms) must exceed the processing time by a margin, or a healthy job is redelivered while it
runs. A message a consumer holds in its buffer waits for the ones ahead of it, so the buffer (prefetch) is bounded by
how many processing times fit in the deadline.
"""

from __future__ import annotations

import math

from event_driven.core.topology.models import SizingFigure, Workload
from event_driven.kb.loader import KnowledgeBase


def buffer_size(slots: int, deadline_ms: int, processing_time_ms: int | None, margin: float, cap: int) -> int:
    """Messages one instance may hold: the last one must still finish, with margin, inside the deadline."""
    if not processing_time_ms:
        return cap
    fits = math.floor(deadline_ms / (margin * processing_time_ms))
    return max(1, min(cap, slots * max(1, fits)))


def plan_workload(kb: KnowledgeBase, rate: float, processing_time_ms: int | None, budget_ms: int,
                  slots: int) -> Workload:
    sizing = kb.patterns.sizing
    margin = float(sizing.processing_margin.value)
    default_budget = int(sizing.processing_timeout_ms.value)
    deadline = budget_ms if processing_time_ms is None else max(budget_ms, math.ceil(margin * processing_time_ms))
    cap = int(sizing.rabbitmq_prefetch.value)
    return Workload(
        processing_time_ms=processing_time_ms, ack_deadline_ms=deadline, slots_per_instance=slots,
        prefetch=buffer_size(slots, deadline, processing_time_ms, margin, cap),
        in_flight=round(rate * (processing_time_ms or 0) / 1000, 3),
        heartbeat=processing_time_ms is not None and margin * processing_time_ms > default_budget)


def consumer_rate(w: Workload) -> float | None:
    """msg/s one instance sustains when the processing time is known: slots / processing time."""
    return None if not w.processing_time_ms else 1000 * w.slots_per_instance / w.processing_time_ms


def workload_figures(kb: KnowledgeBase, w: Workload, rate: float) -> tuple[SizingFigure | None, list[SizingFigure]]:
    """The concurrency and the deadline math, as shown in the plan's sizing."""
    if not w.processing_time_ms:
        return None, []
    margin = float(kb.patterns.sizing.processing_margin.value)
    source = kb.sources.url("aws-sqs-visibility-timeout")
    seconds = w.processing_time_ms / 1000
    concurrency = SizingFigure(
        name="messages in flight", value=w.in_flight, unit="messages",
        formula=f"arrival rate x processing time (Little's law) = {rate:g} x {seconds:g} s",
        inputs={"rate_msg_per_s": rate, "processing_time_ms": w.processing_time_ms},
        assumption="every message in flight holds one consumer slot until it is acknowledged")
    deadline = SizingFigure(
        name="acknowledgement deadline", value=w.ack_deadline_ms, unit="ms",
        formula=f"max(processing budget, margin x processing time) = max(budget, {margin:g} x {w.processing_time_ms})",
        inputs={"processing_time_ms": w.processing_time_ms, "margin": margin},
        assumption=("jobs outlive the default deadline: the consumer extends it while it works (heartbeat)"
                    if w.heartbeat else None), source=source)
    prefetch = SizingFigure(
        name="messages held per consumer instance", value=w.prefetch, unit="messages",
        formula=(f"slots x max(1, floor(deadline / (margin x processing time))) = {w.slots_per_instance} x "
                 f"max(1, floor({w.ack_deadline_ms} / ({margin:g} x {w.processing_time_ms})))"),
        inputs={"slots": w.slots_per_instance, "deadline_ms": w.ack_deadline_ms},
        assumption="a buffered message waits for the ones ahead of it; it must still finish inside the deadline")
    return concurrency, [deadline, prefetch]


def histogram_buckets(base: list[float], processing_time_ms: int | None) -> list[float]:
    """The seed's buckets, extended so the processing time sits inside them rather than in +Inf."""
    if not processing_time_ms:
        return base
    seconds = processing_time_ms / 1000
    extra = [round(seconds * f, 3) for f in (0.5, 1, 2, 4)]
    return sorted({*base, *(b for b in extra if b > max(base, default=0))})

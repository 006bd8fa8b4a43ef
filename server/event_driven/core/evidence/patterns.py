"""Named metric patterns (``METRIC_PATTERNS`` of the knowledge base) computed from the samples, with the numbers
behind each; where a threshold is a judgement rather than a documented figure, the pattern says so."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.evidence.metrics import Metrics
from event_driven.core.lag import BURROW_RULES_SOURCE, GroupLagResult, PartitionLagResult
from event_driven.kb.loader import KnowledgeBase
from event_driven.units import to_float

JUDGEMENT = "threshold is a judgement, not a documented figure"


class ObservedPattern(BaseModel):
    """A named metric pattern seen in the samples, with the numbers behind it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    detail: str
    judgement: bool = Field(default=False, description="True when the threshold used is a judgement call")
    source: str | None = None


def _series(values: list[tuple[int, float]]) -> list[float]:
    return [v for _, v in sorted(values, key=lambda x: x[0])]


def _growing(vals: list[float]) -> bool:
    """At least 3 samples, last above first, and more rises than falls."""
    if len(vals) < 3 or vals[-1] <= vals[0]:
        return False
    steps = list(zip(vals, vals[1:], strict=False))
    ups = sum(1 for a, b in steps if b > a)
    downs = sum(1 for a, b in steps if b < a)
    return ups > downs


def _fmt(v: float) -> str:
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


class _Inputs:
    """What the pattern functions read: samples, lag results, config, broker and the knowledge base."""

    def __init__(self, metrics: Metrics, lag_groups: list[GroupLagResult], config: Mapping[str, Any],
                 broker: str | None, processing_time_ms: float | None, kb: KnowledgeBase) -> None:
        self.m, self.lag_groups, self.config, self.broker, self.kb = metrics, lag_groups, config, broker, kb
        self.processing_time_ms = processing_time_ms
        self.partitions = [p for g in lag_groups for p in g.partitions]
        self.committed = [p for p in self.partitions if p.status != "NOT_COMMITTED"]

    def url(self, source_id: str) -> str:
        return self.kb.sources.url(source_id)

    def default(self, name: str) -> float:
        return float(self.kb.failure_modes.default(name).value)

    def number(self, key: str) -> float | None:
        return to_float(self.config.get(key))


def _names(parts: list[PartitionLagResult]) -> dict[str, list[str]]:
    by_status: dict[str, list[str]] = {}
    for p in parts:
        by_status.setdefault(p.status, []).append(f"{p.topic}:{p.partition}")
    return by_status


def _burrow_statuses(x: _Inputs) -> list[ObservedPattern]:
    """Consumer-group lag as Burrow judged it."""
    out: list[ObservedPattern] = []
    burrow = x.url(BURROW_RULES_SOURCE)
    by_status = _names(x.partitions)
    if by_status.get("WARNING"):
        out.append(ObservedPattern(name="lag_growing", detail=f"Burrow WARNING (lag never decreased while offsets "
                                   f"advanced) on {', '.join(by_status['WARNING'][:5])}", source=burrow))
    stalled = by_status.get("STALL", []) + by_status.get("STOP", [])
    if stalled:
        kinds = "/".join(s for s in ("STALL", "STOP") if by_status.get(s))
        out.append(ObservedPattern(name="lag_stalled", detail=f"Burrow {kinds} (committed offset not moving while "
                                   f"lag > 0) on {', '.join(stalled[:5])}", source=burrow))
    if by_status.get("REWIND"):
        out.append(ObservedPattern(name="lag_rewind", detail=f"Burrow REWIND (committed offset moved backwards) on "
                                   f"{', '.join(by_status['REWIND'][:5])}", source=burrow))
    committed = x.committed
    if committed and all(p.status == "OK" for p in committed) and any(
        c.rule in ("current_lag", "zero_lag_in_window") and c.outcome == "triggered"
        for p in committed for c in p.checks
    ):
        out.append(ObservedPattern(name="lag_zero", detail="every committed partition is OK and lag is zero (or "
                                   "returned to zero) within the window", source=burrow))
    return out


def _lag_jumps_to_zero(x: _Inputs) -> list[ObservedPattern]:
    for series in x.m.consumer_group_offsets:
        commits = sorted((s for s in series.samples if s.committed_offset is not None), key=lambda s: s.timestamp_ms)
        lags = [max(0, s.log_end_offset - (s.committed_offset or 0)) for s in commits]
        for i in range(2, len(commits)):
            before = lags[:i]
            if lags[i] == 0 and before[-1] > 0 and all(b >= a for a, b in zip(before, before[1:], strict=False)):
                return [ObservedPattern(
                    name="lag_jumps_to_zero", judgement=True,
                    detail=f"{series.topic}:{series.partition}: lag rose or held at {_fmt(before[-1])} and then fell "
                    f"to 0 in one step (offset {commits[i - 1].committed_offset} -> {commits[i].committed_offset}); "
                    f"'a backlog that vanishes in one step' is a heuristic ({JUDGEMENT})")]
    return []


def _one_partition_hot(x: _Inputs) -> list[ObservedPattern]:
    committed = x.committed
    if len(committed) < 3:
        return []
    total = sum(p.current_lag for p in committed)
    top = max(committed, key=lambda p: p.current_lag)
    if total > 0 and top.current_lag > total / 2:
        return [ObservedPattern(
            name="one_partition_hot", judgement=True,
            detail=f"{top.topic}:{top.partition} holds {top.current_lag} of the total lag {total} across "
            f"{len(committed)} partitions (more than half; {JUDGEMENT})")]
    return []


def _gauges_growing(x: _Inputs) -> list[ObservedPattern]:
    out: list[ObservedPattern] = []
    m = x.m
    gauges: list[tuple[list[tuple[str | None, list[tuple[int, float]]]], str, str]] = [
        ([(s.name, [(v.timestamp_ms, v.depth) for v in s.samples]) for s in m.queue_depths],
         "queue_depth_growing", "queue depth"),
        ([(s.name, [(v.timestamp_ms, v.value) for v in s.samples]) for s in m.unacked_counts],
         "unacked_growing", "unacknowledged count"),
        ([(s.name, [(v.timestamp_ms, v.value) for v in s.samples]) for s in m.dlq_depths],
         "dlq_growing", "dead-letter depth"),
        ([(s.name, [(v.timestamp_ms, v.value) for v in s.samples]) for s in m.oldest_message_age_ms],
         "oldest_message_age_growing", "oldest message age (ms)"),
    ]
    for series_list, name, what in gauges:
        for series_name, points in series_list:
            vals = _series(points)
            if _growing(vals):
                label = f" {series_name!r}" if series_name else ""
                out.append(ObservedPattern(name=name, detail=f"{what}{label} rose from {_fmt(vals[0])} to "
                                           f"{_fmt(vals[-1])} over {len(vals)} samples"))
                break
    return out


def _unacked_at_limit(x: _Inputs) -> list[ObservedPattern]:
    limit_key = next((k for k in ("prefetch_count", "max_ack_pending") if k in x.config), None)
    if limit_key is None:
        return []
    limit = x.number(limit_key)
    for s in x.m.unacked_counts:
        vals = _series([(v.timestamp_ms, v.value) for v in s.samples])
        if limit and len(vals) >= 3 and vals[-3:] == [limit] * 3:
            return [ObservedPattern(name="unacked_at_limit", detail=f"unacknowledged count flat at "
                                    f"{_fmt(limit)} = {limit_key} for the last 3 samples")]
    return []


def _consumers(x: _Inputs) -> list[ObservedPattern]:
    out: list[ObservedPattern] = []
    for s in x.m.consumer_counts:
        vals = _series([(v.timestamp_ms, v.value) for v in s.samples])
        if vals and vals[-1] == 0:
            out.append(ObservedPattern(name="consumer_count_zero", detail=f"consumer count is 0 in the latest sample"
                                       f"{' of ' + repr(s.name) if s.name else ''}"))
            break
    consumers = x.config.get("observed.consumer_count")
    partitions = x.config.get("num.partitions")
    if isinstance(consumers, (int, float)) and isinstance(partitions, (int, float)) and consumers > partitions:
        out.append(ObservedPattern(name="consumers_exceed_partitions",
                                   detail=f"{_fmt(consumers)} consumers for {_fmt(partitions)} partition(s)",
                                   source=x.url("confluent-blog-how-choose-number-topics-partitions-kafka-cluster")))
    return out


def _redeliveries(x: _Inputs) -> list[ObservedPattern]:
    """Redelivery share and per-message delivery counts (heuristic thresholds)."""
    out: list[ObservedPattern] = []
    for s in x.m.redelivery_counts:
        red = sum(v.redelivered for v in s.samples)
        dels = [v.delivered for v in s.samples if v.delivered is not None]
        if dels and sum(dels) > 0 and red / sum(dels) >= 0.1:
            out.append(ObservedPattern(name="redelivery_count_high", judgement=True,
                                       detail=f"{red} of {sum(dels)} deliveries were redeliveries "
                                       f"({red / sum(dels):.0%} >= 10%; {JUDGEMENT})"))
        elif s.max_delivery_count is not None and s.max_delivery_count >= 3:
            out.append(ObservedPattern(name="redelivery_count_high", judgement=True,
                                       detail=f"a message was delivered {s.max_delivery_count} times (>= 3; "
                                       f"{JUDGEMENT})"))
        if s.max_delivery_count is not None and s.max_delivery_count >= 5:
            out.append(ObservedPattern(name="same_message_redelivered", judgement=True,
                                       detail=f"one message was delivered {s.max_delivery_count} times (>= 5; "
                                       f"{JUDGEMENT})"))
        if any(p.name == "redelivery_count_high" for p in out):
            break
    return out


def _rebalances(x: _Inputs) -> list[ObservedPattern]:
    """Three or more rebalances within ten minutes (a heuristic)."""
    stamps = sorted(r.timestamp_ms for r in x.m.rebalances)
    for i in range(len(stamps) - 2):
        if stamps[i + 2] - stamps[i] <= 600_000:
            return [ObservedPattern(name="rebalance_frequent", judgement=True,
                                    detail=f"{len(stamps)} rebalances, 3 of them within "
                                    f"{(stamps[i + 2] - stamps[i]) / 1000:g} s (>= 3 in 10 min; {JUDGEMENT})")]
    return []


def _processing_time(x: _Inputs) -> tuple[float | None, str]:
    pt = x.m.processing_time_ms
    worst = pt.worst_ms if pt else None
    scope = pt.scope if pt else "message"
    if worst is None and x.processing_time_ms is not None:
        worst, scope = x.processing_time_ms, "message"
    return worst, scope


def _over_poll_interval(x: _Inputs) -> list[ObservedPattern]:
    worst, scope = _processing_time(x)
    if worst is None or x.broker not in (None, "kafka"):
        return []
    interval, src_int = x.number("max.poll.interval.ms"), "configured"
    if interval is None:
        interval, src_int = x.default("kafka_max_poll_interval_ms"), "default"
    if scope == "batch" or worst > interval:
        if worst <= interval:
            return []
        return [ObservedPattern(
            name="processing_time_over_poll_interval",
            detail=f"{'batch' if scope == 'batch' else 'one message'} took {worst / 1000:g} s > "
            f"max.poll.interval.ms {_fmt(interval)} ({src_int})",
            source=x.url("kafka-consumerconfigs-max-poll-interval-ms"))]
    pt = x.m.processing_time_ms
    per = pt.mean_ms if pt and pt.mean_ms is not None else worst
    records = x.number("max.poll.records")
    n = records if records is not None else x.default("kafka_max_poll_records")
    if per * n <= interval:
        return []
    return [ObservedPattern(
        name="processing_time_over_poll_interval",
        detail=f"estimated batch time {per / 1000:g} s x {_fmt(n)} records "
        f"({'max.poll.records' if records is not None else 'default max.poll.records'}) = "
        f"{per * n / 1000:g} s > max.poll.interval.ms {_fmt(interval)} ({src_int})",
        source=x.url("kafka-consumerconfigs-max-poll-records"))]


def _ack_deadlines(x: _Inputs) -> list[tuple[str, float, str]]:
    """(label, deadline in ms, source) for each broker ack deadline that applies."""
    out: list[tuple[str, float, str]] = []
    vt = x.number("VisibilityTimeout")
    visibility_url = x.url("aws-apireference-api-changemessagevisibility")
    if vt is not None:
        out.append((f"VisibilityTimeout {_fmt(vt)} s", vt * 1000, visibility_url))
    elif x.broker == "sqs":
        default_vt = x.default("sqs_visibility_timeout_s")
        out.append((f"the default VisibilityTimeout {_fmt(default_vt)} s", default_vt * 1000, visibility_url))
    aw = x.number("ack_wait")
    ack_wait_url = x.url("nats-jetstream-consumers")
    if aw is not None:
        out.append((f"ack_wait {aw / 1e9:g} s", aw / 1e6, ack_wait_url))
    elif x.broker == "nats_jetstream":
        default_aw = x.default("nats_ack_wait_ns")
        out.append((f"the default ack_wait {default_aw / 1e9:g} s", default_aw / 1e6, ack_wait_url))
    ct = x.number("consumer_timeout")
    timeout_url = x.url("rabbitmq-consumers-acknowledgement-timeout")
    if ct is not None:
        out.append((f"consumer_timeout {_fmt(ct)} ms", ct, timeout_url))
    elif x.broker == "rabbitmq":
        default_ct = x.default("rabbitmq_consumer_timeout_ms")
        out.append((f"the default consumer_timeout {_fmt(default_ct)} ms ({default_ct / 60_000:g} min)", default_ct,
                    timeout_url))
    at = x.number("ackTimeoutMillis")
    if at is not None and at > 0:
        out.append((f"ackTimeoutMillis {_fmt(at)}", at, x.url("pulsar-concepts-messaging")))
    return out


def _over_ack_deadline(x: _Inputs) -> list[ObservedPattern]:
    worst, scope = _processing_time(x)
    if worst is None or scope != "message":
        return []
    for label, limit_ms, src in _ack_deadlines(x):
        if worst > limit_ms:
            return [ObservedPattern(name="processing_time_over_ack_timeout",
                                    detail=f"one message takes {worst / 1000:g} s > {label} ({limit_ms / 1000:g} s)",
                                    source=src)]
    return []


_PATTERNS = (_burrow_statuses, _lag_jumps_to_zero, _one_partition_hot, _gauges_growing, _unacked_at_limit,
             _consumers, _redeliveries, _rebalances, _over_poll_interval, _over_ack_deadline)


def compute_metric_patterns(
    metrics: Metrics | None,
    lag_groups: list[GroupLagResult],
    config: Mapping[str, Any],
    broker: str | None,
    processing_time_ms: float | None = None,
    *,
    kb: KnowledgeBase,
) -> list[ObservedPattern]:
    """Named patterns (see METRIC_PATTERNS) that the samples show. Patterns that cannot be computed are absent."""
    x = _Inputs(metrics or Metrics(), lag_groups, config, broker, processing_time_ms, kb)
    return [pattern for compute in _PATTERNS for pattern in compute(x)]

"""Turn sampled live snapshots into ``diagnose_issue`` evidence (a :class:`DiagnoseRequest`).

The findings about one channel become the ``symptoms`` (their titles state the figures seen, not a cause), its live
settings the ``config`` (under the knowledge base's key spelling, so the config
conditions and the config audit read them), and its figures over the window become ``metrics`` (depth, in-flight
and consumer series; redeliveries; Redis PEL idle time; Kafka committed against log-end offsets, which feed the
Burrow evaluator). Nothing is invented: a figure the broker did not report is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from event_driven.core.diagnosis import DiagnoseRequest
from event_driven.core.evidence import metrics as ev
from event_driven.core.inspection.models import Expectations, Finding
from event_driven.core.inspection.snapshot import (
    BrokerSnapshot,
    ChannelState,
    KafkaSnapshot,
    NatsSnapshot,
    RabbitSnapshot,
    RedisSnapshot,
)
from event_driven.core.inspection.trend import ChannelSeries, Point
from event_driven.core.lag import OffsetSample


def focus_channel(findings: Sequence[Finding], snapshots: Sequence[BrokerSnapshot]) -> str | None:
    """The channel of the most severe finding about a channel, else the deepest channel of the latest snapshot."""
    named = next((f.channel for f in findings if f.channel != "broker"), None)
    if named or not snapshots:
        return named
    channels = [c for c in snapshots[-1].channels() if c.depth]
    return max(channels, key=lambda c: c.depth or 0).key if channels else None


def _state(snapshot: BrokerSnapshot, key: str) -> ChannelState | None:
    return next((c for c in snapshot.channels() if c.key == key), None)


def _config(state: ChannelState, expect: Expectations) -> dict[str, Any]:
    config: dict[str, Any] = {k: v for k, v in state.settings.items() if v is not None}
    if state.consumers is not None:
        config["observed.consumer_count"] = state.consumers
    if expect.processing_time_ms is not None:
        config["observed.max_processing_time_ms"] = expect.processing_time_ms
    return config


def _counts(name: str, points: Sequence[Point]) -> list[ev.CountSeries]:
    if not points:
        return []
    samples = [ev.CountSample(timestamp_ms=p.timestamp_ms, value=p.value) for p in points]
    return [ev.CountSeries(name=name, samples=samples)]


def _redeliveries(snapshots: Sequence[BrokerSnapshot], key: str) -> list[ev.RedeliverySeries]:
    """Redelivered against delivered in the latest snapshot (cumulative counters), with the highest count seen."""
    last = snapshots[-1]
    if isinstance(last, RabbitSnapshot):
        qu = next((x for x in last.queues if f"queue:{x.vhost}/{x.name}" == key), None)
        if qu and qu.delivered:
            sample = ev.RedeliverySample(timestamp_ms=last.summary.taken_at_ms, redelivered=qu.redelivered,
                                         delivered=qu.delivered)
            return [ev.RedeliverySeries(name=qu.name, samples=[sample])]
    if isinstance(last, NatsSnapshot):
        c = next((x for x in last.consumers if f"consumer:{x.stream}/{x.name}" == key), None)
        if c and c.num_redelivered:
            return [ev.RedeliverySeries(name=c.name, samples=[ev.RedeliverySample(
                timestamp_ms=last.summary.taken_at_ms, redelivered=c.num_redelivered,
                delivered=max(c.delivered_stream_seq, c.num_redelivered))])]
    if isinstance(last, RedisSnapshot):
        g = next((g for s in last.streams for g in s.groups if f"group:{s.key}/{g.name}" == key), None)
        if g and g.max_delivery_count:
            return [ev.RedeliverySeries(name=g.name, max_delivery_count=g.max_delivery_count)]
    return []


def _pel_age(snapshots: Sequence[BrokerSnapshot], key: str) -> list[ev.CountSeries]:
    samples: list[ev.CountSample] = []
    for snap in snapshots:
        if isinstance(snap, RedisSnapshot):
            for s in snap.streams:
                for g in s.groups:
                    if f"group:{s.key}/{g.name}" == key and g.oldest_pending_idle_ms is not None:
                        samples.append(ev.CountSample(timestamp_ms=snap.summary.taken_at_ms,
                                                      value=g.oldest_pending_idle_ms))
    return [ev.CountSeries(name=key, samples=samples)] if samples else []


def _offsets(snapshots: Sequence[BrokerSnapshot], key: str) -> list[ev.GroupPartitionOffsets]:
    by_partition: dict[tuple[str, str, int], list[OffsetSample]] = {}
    for snap in snapshots:
        if not isinstance(snap, KafkaSnapshot):
            continue
        for g in snap.groups:
            for p in g.partitions:
                if f"group:{p.topic}/{g.group}" == key:
                    by_partition.setdefault((g.group, p.topic, p.partition), []).append(OffsetSample(
                        timestamp_ms=snap.summary.taken_at_ms, committed_offset=p.committed_offset,
                        log_end_offset=p.log_end_offset))
    return [ev.GroupPartitionOffsets(group=g, topic=t, partition=n, samples=s) for (g, t, n), s in by_partition.items()]


def _metrics(snapshots: Sequence[BrokerSnapshot], series: ChannelSeries | None, key: str,
             expect: Expectations) -> ev.Metrics:
    depths = [] if series is None or not series.depth else [ev.DepthSeries(name=series.name, samples=[
        ev.DepthSample(timestamp_ms=p.timestamp_ms, depth=p.value) for p in series.depth])]
    return ev.Metrics(
        queue_depths=depths,
        unacked_counts=_counts(key, series.in_flight) if series else [],
        consumer_counts=_counts(key, series.consumers) if series else [],
        redelivery_counts=_redeliveries(snapshots, key),
        oldest_message_age_ms=_pel_age(snapshots, key),
        consumer_group_offsets=_offsets(snapshots, key),
        processing_time_ms=(ev.ProcessingTime(max_ms=expect.processing_time_ms)
                            if expect.processing_time_ms is not None else None),
    )


def diagnose_request(snapshots: Sequence[BrokerSnapshot], series: Sequence[ChannelSeries],
                     findings: Sequence[Finding], expect: Expectations | None = None,
                     channel: str | None = None) -> DiagnoseRequest | None:
    """The evidence of one channel (``channel``, else the focus) as a request diagnose can rank; None if no channel."""
    if not snapshots:
        return None
    expect = expect or Expectations()
    key = channel or focus_channel(findings, snapshots)
    state = _state(snapshots[-1], key) if key else None
    if key is None or state is None:
        return None
    metrics = _metrics(snapshots, next((s for s in series if s.key == key), None), key, expect)
    config = _config(state, expect)
    # The findings' titles on this channel are what an operator would type as symptoms: figures seen, in words.
    symptoms = [f.title for f in findings if f.channel == key]
    return DiagnoseRequest(symptoms=symptoms or None, broker=snapshots[-1].broker, config=config or None,
                           metrics=None if metrics.is_empty() else metrics)

"""How each use case shapes the logical design: which channels, which consumer groups, and why.

* pub_sub: one event channel; a consumer group per subscriber, each reading every event.
* work_queue: one job channel; every consumer in one group of competing consumers.
* event_sourcing: an event log keyed by aggregate id, kept without end (or compacted with a snapshot channel);
  projections rebuilt by replay.
* cqrs: a command channel (competing command handlers) and an event channel read by projection consumers.
* saga: command and reply channels keyed by saga id, compensation events on the event channel, and a transactional
  outbox for every publish.
* request/reply (an option of any use case): a request channel and a reply channel per requester, with correlation
  ids and timeouts.

Every channel a consumer reads gets retry tiers and a dead-letter channel when the retry policy enables them.
"""

from __future__ import annotations

from dataclasses import dataclass

from event_driven.core.context import NormalizedContext
from event_driven.core.topology.models import ConsumerGroup, LogicalChannel, RetryPolicy


@dataclass(frozen=True)
class Shape:
    description: str
    channels: list[LogicalChannel]
    groups: list[ConsumerGroup]


def _group(service: str, channel: str, strategy: str, reason: str, suffix: str = "") -> ConsumerGroup:
    return ConsumerGroup(name=f"{service}{suffix}", service=service, channel=channel, strategy=strategy,  # type: ignore[arg-type]
                         instances=1, reason=reason)


def logical_design(ctx: NormalizedContext, *, request_reply: bool, saga_style: str, compaction: bool) -> Shape:
    use_case = ctx.use_case
    producers, consumers = ctx.producers, ctx.consumers
    ordered = ctx.ordering in ("partition", "global")
    single_active = ctx.ordering == "global"
    channels: list[LogicalChannel] = []
    groups: list[ConsumerGroup] = []

    if use_case == "pub_sub":
        description = ("Publish/subscribe: producers publish each event once to one event channel; every subscriber "
                       "has its own consumer group, so each one receives every event and fails independently.")
        channels.append(LogicalChannel(key="events", role="events", purpose="Domain events, one message per fact",
                                       producers=producers, consumers=consumers,
                                       ordering_key="aggregate_id" if ordered else None))
        strategy = "single_active" if single_active else "fan_out_subscriber"
        groups += [_group(c, "events", strategy, "one group per subscriber: each sees every event") for c in consumers]
    elif use_case == "work_queue":
        description = ("Work queue: one job channel; all consumers join one group of competing consumers, each message "
                       "is processed by one of them and acknowledged after processing.")
        channels.append(LogicalChannel(key="jobs", role="jobs", purpose="Jobs, each processed once by one worker",
                                       producers=producers, consumers=["workers"],
                                       ordering_key="aggregate_id" if ordered else None))
        strategy = "single_active" if single_active else "competing_consumers"
        reason = ("global order: one active consumer, the others stand by" if single_active
                  else "competing consumers share the work")
        groups.append(ConsumerGroup(name="workers", service=consumers[0] if len(consumers) == 1 else "workers",
                                    channel="jobs", strategy=strategy, instances=1, reason=reason))  # type: ignore[arg-type]
    elif use_case == "event_sourcing":
        description = ("Event sourcing: the event log is the source of truth, keyed by aggregate id so each aggregate's "
                       "events stay in order (aggregate_version); it is kept without end, or compacted with snapshots; "
                       "projections are consumer groups that rebuild read models by replaying from the start.")
        channels.append(LogicalChannel(key="events", role="events", purpose="Event store: every event of every aggregate",
                                       producers=producers, consumers=[f"{c}.projection" for c in consumers],
                                       ordering_key="aggregate_id", keep_forever=not compaction))
        if compaction:
            channels.append(LogicalChannel(key="snapshots", role="snapshots", compacted=True, keep_forever=True,
                                           purpose="Latest snapshot per aggregate (compacted); replay starts here",
                                           producers=producers, consumers=[], ordering_key="aggregate_id"))
        groups += [_group(c, "events", "projection", "projection: rebuilds its read model by replay", ".projection")
                   for c in consumers]
    elif use_case == "cqrs":
        description = ("CQRS: commands go to a command channel handled by competing command handlers (the write side), "
                       "which emit events to an event channel; each read model is a projection consumer group.")
        handler = producers[0]
        channels.append(LogicalChannel(key="commands", role="commands", purpose="Commands for the write model",
                                       producers=[*producers], consumers=[f"{handler}.commands"],
                                       ordering_key="aggregate_id"))
        channels.append(LogicalChannel(key="events", role="events", purpose="Events emitted by the write model",
                                       producers=[handler], consumers=[f"{c}.projection" for c in consumers],
                                       ordering_key="aggregate_id"))
        groups.append(ConsumerGroup(name=f"{handler}.commands", service=handler, channel="commands",
                                    strategy="competing_consumers", instances=1,
                                    reason="command handlers compete; per-aggregate order by key"))
        groups += [_group(c, "events", "projection", "projection: idempotent read-model updater", ".projection")
                   for c in consumers]
    else:  # saga
        orchestrated = saga_style == "orchestration"
        description = (
            ("Saga (orchestration): an orchestrator sends commands to participants on a command channel and "
             "receives their replies on a reply channel, keyed by saga id; on failure it sends compensating commands. ")
            if orchestrated else
            ("Saga (choreography): participants react to each other's events on the event channel, keyed by saga "
             "id; a failure event triggers compensation events. ")
        ) + "Every publish goes through a transactional outbox so the local change and the message commit together."
        key = "saga_id"
        if orchestrated:
            # One command channel per participant: each handles only its own commands (instances compete).
            for c in consumers:
                channels.append(LogicalChannel(key=f"commands.{c}", role="commands",
                                               purpose=f"Saga step and compensation commands for {c}",
                                               producers=producers[:1], consumers=[f"{c}.commands"], ordering_key=key))
                groups.append(_group(c, f"commands.{c}", "competing_consumers",
                                     "participant handles its own commands", ".commands"))
            channels.append(LogicalChannel(key="replies", role="replies", purpose="Participants' replies to the orchestrator",
                                           producers=consumers, consumers=[f"{producers[0]}.replies"], ordering_key=key))
            groups.append(_group(producers[0], "replies", "reply_listener", "the orchestrator collects replies", ".replies"))
        channels.append(LogicalChannel(key="events", role="events",
                                       purpose="Saga events, including compensation events (e.g. PaymentRefunded)",
                                       producers=[*producers, *consumers] if not orchestrated else producers,
                                       consumers=[f"{c}.events" for c in consumers], ordering_key=key))
        groups += [_group(c, "events", "fan_out_subscriber", "participant reacts to saga events", ".events")
                   for c in consumers]

    if request_reply:
        description += (" Request/reply: requests carry a correlation id and a reply-to channel; each requester "
                        "listens on its own reply channel and times out.")
        channels.append(LogicalChannel(key="requests", role="requests", purpose="Requests expecting a reply",
                                       producers=producers, consumers=[f"{consumers[0]}.requests"]))
        groups.append(_group(consumers[0], "requests", "competing_consumers", "responders compete for requests", ".requests"))
        for p in producers:
            channels.append(LogicalChannel(key=f"replies.{p}", role="replies", purpose=f"Replies to {p}, by correlation id",
                                           producers=[consumers[0]], consumers=[f"{p}.reply-listener"]))
            groups.append(_group(p, f"replies.{p}", "reply_listener", "requester matches replies by correlation id",
                                 ".reply-listener"))
    return Shape(description=description, channels=channels, groups=groups)


def add_failure_channels(channels: list[LogicalChannel], policy: RetryPolicy) -> list[LogicalChannel]:
    """Retry tiers and a dead-letter channel for every channel that has consumers."""
    out = list(channels)
    if not policy.dead_letter_enabled:
        return out
    for ch in channels:
        if not ch.consumers or ch.role in ("snapshots",):
            continue
        for i, delay in enumerate(policy.backoff.delays_ms, start=1):
            out.append(LogicalChannel(key=f"{ch.key}.retry.{i}", role="retry", retry_of=ch.key, retry_delay_ms=delay,
                                      purpose=f"Retry tier {i}: redelivered to {ch.key} after {delay} ms",
                                      producers=[], consumers=[]))
        out.append(LogicalChannel(key=f"{ch.key}.dlq", role="dead_letter", dead_letter_of=ch.key,
                                  purpose=f"Dead letters of {ch.key}: non-retryable errors and exhausted retries",
                                  producers=[], consumers=[]))
    return out

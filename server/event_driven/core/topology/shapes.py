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
from typing import Literal

from event_driven.core.context import NormalizedContext
from event_driven.core.topology.models import ChannelRole, ConsumerGroup, LogicalChannel, RetryPolicy


@dataclass(frozen=True)
class Shape:
    description: str
    channels: list[LogicalChannel]
    groups: list[ConsumerGroup]


Strategy = Literal["fan_out_subscriber", "competing_consumers", "single_active", "projection", "reply_listener"]


def _group(service: str, channel: str, strategy: Strategy, reason: str, suffix: str = "") -> ConsumerGroup:
    return ConsumerGroup(name=f"{service}{suffix}", service=service, channel=channel, strategy=strategy,
                         instances=1, reason=reason)


def _channel(key: str, role: ChannelRole, purpose: str, producers: list[str], consumers: list[str],
             ordering_key: str | None = None, keep_forever: bool = False, compacted: bool = False) -> LogicalChannel:
    return LogicalChannel(key=key, role=role, purpose=purpose, producers=producers, consumers=consumers,
                          ordering_key=ordering_key, keep_forever=keep_forever, compacted=compacted)


def _pub_sub(ctx: NormalizedContext) -> Shape:
    ordered = ctx.ordering in ("partition", "global")
    strategy: Strategy = "single_active" if ctx.ordering == "global" else "fan_out_subscriber"
    return Shape(
        "Publish/subscribe: producers publish each event once to one event channel; every subscriber has its own "
        "consumer group, so each one receives every event and fails independently.",
        [_channel("events", "events", "Domain events, one message per fact", ctx.producers, ctx.consumers,
                  "aggregate_id" if ordered else None)],
        [_group(c, "events", strategy, "one group per subscriber: each sees every event") for c in ctx.consumers])


def _work_queue(ctx: NormalizedContext) -> Shape:
    ordered = ctx.ordering in ("partition", "global")
    single_active = ctx.ordering == "global"
    strategy: Strategy = "single_active" if single_active else "competing_consumers"
    reason = ("global order: one active consumer, the others stand by" if single_active
              else "competing consumers share the work")
    service = ctx.consumers[0] if len(ctx.consumers) == 1 else "workers"
    return Shape(
        "Work queue: one job channel; all consumers join one group of competing consumers, each message is processed "
        "by one of them and acknowledged after processing.",
        [_channel("jobs", "jobs", "Jobs, each processed once by one worker", ctx.producers, ["workers"],
                  "aggregate_id" if ordered else None)],
        [ConsumerGroup(name="workers", service=service, channel="jobs", strategy=strategy, instances=1,
                       reason=reason)])


def _event_sourcing(ctx: NormalizedContext, compaction: bool) -> Shape:
    channels = [_channel("events", "events", "Event store: every event of every aggregate", ctx.producers,
                         [f"{c}.projection" for c in ctx.consumers], "aggregate_id", keep_forever=not compaction)]
    if compaction:
        channels.append(_channel("snapshots", "snapshots", "Latest snapshot per aggregate (compacted); replay starts "
                                 "here", ctx.producers, [], "aggregate_id", compacted=True, keep_forever=True))
    return Shape(
        "Event sourcing: the event log is the source of truth, keyed by aggregate id so each aggregate's events stay "
        "in order (aggregate_version); it is kept without end, or compacted with snapshots; projections are consumer "
        "groups that rebuild read models by replaying from the start.",
        channels,
        [_group(c, "events", "projection", "projection: rebuilds its read model by replay", ".projection")
         for c in ctx.consumers])


def _cqrs(ctx: NormalizedContext) -> Shape:
    handler = ctx.producers[0]
    return Shape(
        "CQRS: commands go to a command channel handled by competing command handlers (the write side), which emit "
        "events to an event channel; each read model is a projection consumer group.",
        [_channel("commands", "commands", "Commands for the write model", [*ctx.producers], [f"{handler}.commands"],
                  "aggregate_id"),
         _channel("events", "events", "Events emitted by the write model", [handler],
                  [f"{c}.projection" for c in ctx.consumers], "aggregate_id")],
        [ConsumerGroup(name=f"{handler}.commands", service=handler, channel="commands",
                       strategy="competing_consumers", instances=1,
                       reason="command handlers compete; per-aggregate order by key"),
         *(_group(c, "events", "projection", "projection: idempotent read-model updater", ".projection")
           for c in ctx.consumers)])


def _saga(ctx: NormalizedContext, saga_style: str) -> Shape:
    producers, consumers, key = ctx.producers, ctx.consumers, "saga_id"
    orchestrated = saga_style == "orchestration"
    channels: list[LogicalChannel] = []
    groups: list[ConsumerGroup] = []
    if orchestrated:
        # One command channel per participant: each handles only its own commands (instances compete).
        for c in consumers:
            channels.append(_channel(f"commands.{c}", "commands", f"Saga step and compensation commands for {c}",
                                     producers[:1], [f"{c}.commands"], key))
            groups.append(_group(c, f"commands.{c}", "competing_consumers", "participant handles its own commands",
                                 ".commands"))
        channels.append(_channel("replies", "replies", "Participants' replies to the orchestrator", consumers,
                                 [f"{producers[0]}.replies"], key))
        groups.append(_group(producers[0], "replies", "reply_listener", "the orchestrator collects replies",
                             ".replies"))
    channels.append(_channel("events", "events", "Saga events, including compensation events (e.g. PaymentRefunded)",
                             producers if orchestrated else [*producers, *consumers],
                             [f"{c}.events" for c in consumers], key))
    groups += [_group(c, "events", "fan_out_subscriber", "participant reacts to saga events", ".events")
               for c in consumers]
    how = ("Saga (orchestration): an orchestrator sends commands to participants on a command channel and receives "
           "their replies on a reply channel, keyed by saga id; on failure it sends compensating commands. "
           if orchestrated else
           "Saga (choreography): participants react to each other's events on the event channel, keyed by saga id; "
           "a failure event triggers compensation events. ")
    return Shape(how + "Every publish goes through a transactional outbox so the local change and the message commit "
                 "together.", channels, groups)


def _with_request_reply(shape: Shape, ctx: NormalizedContext) -> Shape:
    producers, responder = ctx.producers, ctx.consumers[0]
    channels = [*shape.channels, _channel("requests", "requests", "Requests expecting a reply", producers,
                                          [f"{responder}.requests"])]
    groups = [*shape.groups, _group(responder, "requests", "competing_consumers", "responders compete for requests",
                                    ".requests")]
    for p in producers:
        channels.append(_channel(f"replies.{p}", "replies", f"Replies to {p}, by correlation id", [responder],
                                 [f"{p}.reply-listener"]))
        groups.append(_group(p, f"replies.{p}", "reply_listener", "requester matches replies by correlation id",
                             ".reply-listener"))
    description = shape.description + (" Request/reply: requests carry a correlation id and a reply-to channel; each "
                                       "requester listens on its own reply channel and times out.")
    return Shape(description, channels, groups)


def logical_design(ctx: NormalizedContext, *, request_reply: bool, saga_style: str, compaction: bool) -> Shape:
    if ctx.use_case == "pub_sub":
        shape = _pub_sub(ctx)
    elif ctx.use_case == "work_queue":
        shape = _work_queue(ctx)
    elif ctx.use_case == "event_sourcing":
        shape = _event_sourcing(ctx, compaction)
    elif ctx.use_case == "cqrs":
        shape = _cqrs(ctx)
    else:
        shape = _saga(ctx, saga_style)
    return _with_request_reply(shape, ctx) if request_reply else shape


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

"""Finding rules: each a small unit that reads a live snapshot (and, when sampled, its trends) and names the failure
mode of ``knowledge/failure_modes.yaml`` the figures point at, with the figures quoted and the fix.

Thresholds marked ``judgement`` are this project's judgement, not documented figures; every other rule compares the
broker's own settings with its own counts (or with what the operator declared in the target's ``expect`` block).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from event_driven.core.inspection.models import Expectations, Finding, Quote
from event_driven.core.inspection.snapshot import (
    BrokerSnapshot,
    KafkaSnapshot,
    NatsSnapshot,
    RabbitQueue,
    RabbitSnapshot,
    RedisSnapshot,
    SqsSnapshot,
)
from event_driven.core.inspection.trend import ChannelSeries
from event_driven.vocab import SEVERITY_RANK

# Judgement: more channels or connections opened per second than this is churn worth a look.
CHURN_PER_S = 10.0
# Judgement: Redis memory used above this share of maxmemory is close to eviction or OOM errors.
MEMORY_SHARE = 0.9


@dataclass(frozen=True)
class RuleInput:
    snapshot: BrokerSnapshot
    series: Sequence[ChannelSeries] = ()
    expect: Expectations = field(default_factory=lambda: Expectations())

    def series_for(self, key: str) -> ChannelSeries | None:
        return next((s for s in self.series if s.key == key), None)


Rule = Callable[[RuleInput], list[Finding]]


def q(where: str, figure: str, value: object) -> Quote:
    return Quote(where=where, figure=figure, value=value if isinstance(value, (str, int, float, bool)) else str(value))


# --- every broker -----------------------------------------------------------------------------------------------


def backlog_without_consumers(inp: RuleInput) -> list[Finding]:
    out: list[Finding] = []
    for ch in inp.snapshot.channels():
        if ch.kind not in ("queue", "group") or ch.is_dead_letter or not ch.depth or ch.consumers != 0:
            continue
        where = f"{ch.kind} {ch.name}" + (f" on {ch.parent}" if ch.parent else "")
        quotes = [q(where, "depth", ch.depth), q(where, "consumers", 0)]
        s = inp.series_for(ch.key)
        if s and s.depth_trend != "unknown":
            quotes.append(q(where, "depth_trend", s.depth_trend))
        out.append(Finding(
            rule_id="backlog_without_consumers", severity="high", failure_mode_id="consumers_disconnected_backlog",
            channel=ch.key, title=f"{where} holds {ch.depth} waiting messages and has no consumer", evidence=quotes,
            fix="Start (or restore) the consumers of this channel and alert on consumer count 0 with depth > 0; "
                "check why they left (crash, closed channel not recovered, scaled to zero)."))
    return out


def dead_letters_waiting(inp: RuleInput) -> list[Finding]:
    out: list[Finding] = []
    for ch in inp.snapshot.channels():
        if not ch.is_dead_letter or not ch.depth:
            continue
        out.append(Finding(
            rule_id="dead_letters_waiting", severity="medium", failure_mode_id="dlq_overflow_processing_bug",
            channel=ch.key, title=f"dead-letter queue {ch.name} holds {ch.depth} messages",
            evidence=[q(f"{ch.kind} {ch.name}", "depth", ch.depth)],
            fix="Read a few dead letters (without consuming them where the broker allows), fix the processing "
                "bug, then redrive them to the source queue."))
    return out


# --- RabbitMQ ---------------------------------------------------------------------------------------------------


def _dropped(queue: RabbitQueue) -> int:
    """Published messages neither acknowledged nor still in the queue: lost to the delivery limit (or TTL/length)."""
    return max(0, queue.published - queue.acked - queue.messages_ready - queue.messages_unacked)


def delivery_limit_without_dead_letter(inp: RuleInput) -> list[Finding]:
    if not isinstance(inp.snapshot, RabbitSnapshot):
        return []
    out: list[Finding] = []
    for qu in inp.snapshot.queues:
        if qu.type != "quorum" or qu.delivery_limit is None or qu.delivery_limit < 0 or qu.dead_letter_exchange:
            continue
        where = f"queue {qu.name}"
        dropped = _dropped(qu)
        quotes = [q(where, "x-delivery-limit", qu.delivery_limit), q(where, "x-dead-letter-exchange", "(none)"),
                  q(where, "redeliver", qu.redelivered), q(where, "publish", qu.published), q(where, "ack", qu.acked),
                  q(where, "messages", qu.messages_ready + qu.messages_unacked)]
        seen = qu.redelivered > 0
        out.append(Finding(
            rule_id="delivery_limit_without_dead_letter", severity="critical" if seen and dropped else "high",
            failure_mode_id="rabbitmq_quorum_delivery_limit_drop", channel=f"queue:{qu.vhost}/{qu.name}",
            title=(f"{where}: {qu.redelivered} redeliveries against x-delivery-limit {qu.delivery_limit} with no "
                   f"dead-letter exchange; {dropped} published message(s) neither acked nor queued (dropped)"
                   if seen else f"{where}: x-delivery-limit {qu.delivery_limit} with no dead-letter exchange: a "
                   "message that reaches the limit is dropped"),
            evidence=quotes,
            fix="Give the queue a dead-letter exchange (a policy with dead-letter-exchange, plus "
                "dead-letter-strategy at-least-once) bound to a DLQ, so messages over the limit are kept."))
    return out


def requeue_loop(inp: RuleInput) -> list[Finding]:
    if not isinstance(inp.snapshot, RabbitSnapshot):
        return []
    out: list[Finding] = []
    for qu in inp.snapshot.queues:
        limited = qu.type == "quorum" and qu.delivery_limit is not None and qu.delivery_limit >= 0
        if limited or qu.dead_letter_exchange or qu.redelivered <= 0 or qu.redelivered < qu.acked:
            continue
        where = f"queue {qu.name}"
        out.append(Finding(
            rule_id="requeue_loop", severity="high", failure_mode_id="rabbitmq_requeue_poison_loop",
            channel=f"queue:{qu.vhost}/{qu.name}", judgement=True,
            title=f"{where}: {qu.redelivered} redeliveries for {qu.acked} acks, no delivery limit and no "
                  "dead-letter exchange",
            evidence=[q(where, "redeliver", qu.redelivered), q(where, "ack", qu.acked),
                      q(where, "redeliver_rate", qu.redeliver_rate), q(where, "type", qu.type)],
            fix="Reject failing messages without requeue into a dead-letter exchange, or use a quorum queue with "
                "x-delivery-limit and a dead-letter exchange."))
    return out


def resource_alarm(inp: RuleInput) -> list[Finding]:
    if not isinstance(inp.snapshot, RabbitSnapshot):
        return []
    return [Finding(
        rule_id="resource_alarm", severity="critical", failure_mode_id="rabbitmq_resource_alarm_blocked",
        channel="broker", title=f"node {n.name} has a {'memory' if n.mem_alarm else 'disk'} alarm: publishers are "
        "blocked", evidence=[q(f"node {n.name}", "mem_alarm", n.mem_alarm),
                             q(f"node {n.name}", "disk_free_alarm", n.disk_free_alarm),
                             q(f"node {n.name}", "mem_used", n.mem_used),
                             q(f"node {n.name}", "mem_limit", n.mem_limit)],
        fix="Drain the backlog (start consumers), free disk or raise the watermark; alarms clear on their own.")
        for n in inp.snapshot.nodes if n.mem_alarm or n.disk_free_alarm]


def connection_churn(inp: RuleInput) -> list[Finding]:
    if not isinstance(inp.snapshot, RabbitSnapshot):
        return []
    c = inp.snapshot.churn
    if max(c.connection_created_rate, c.channel_created_rate) <= CHURN_PER_S:
        return []
    return [Finding(
        rule_id="connection_churn", severity="medium", failure_mode_id="rabbitmq_connection_churn", channel="broker",
        judgement=True, title=f"{c.connection_created_rate:g} connections/s and {c.channel_created_rate:g} "
        f"channels/s opened (over {CHURN_PER_S:g}/s)",
        evidence=[q("overview", "connection_created_rate", c.connection_created_rate),
                  q("overview", "channel_created_rate", c.channel_created_rate),
                  q("overview", "connections", c.connections), q("overview", "channels", c.channels)],
        fix="Keep long-lived connections and channels (one connection per process, channels reused), not one "
            "per message.")]


def unlimited_prefetch(inp: RuleInput) -> list[Finding]:
    if not isinstance(inp.snapshot, RabbitSnapshot):
        return []
    return [Finding(
        rule_id="unlimited_prefetch", severity="medium", failure_mode_id="rabbitmq_prefetch_unlimited",
        channel=f"queue:{qu.vhost}/{qu.name}", title=f"queue {qu.name}: {qu.consumers_without_prefetch} consumer(s) "
        "with manual acks and no prefetch limit", evidence=[q(f"queue {qu.name}", "prefetch_count", 0),
                                                           q(f"queue {qu.name}", "messages_unacknowledged",
                                                             qu.messages_unacked)],
        fix="Set basic.qos prefetch on the consumers' channels (a bounded value such as the plan's).")
        for qu in inp.snapshot.queues if qu.consumers_without_prefetch]


# --- NATS JetStream ---------------------------------------------------------------------------------------------


def ack_pending_at_limit(inp: RuleInput) -> list[Finding]:
    if not isinstance(inp.snapshot, NatsSnapshot):
        return []
    out: list[Finding] = []
    for c in inp.snapshot.consumers:
        if not c.max_ack_pending or c.max_ack_pending < 0 or c.num_ack_pending < c.max_ack_pending:
            continue
        where = f"consumer {c.name} on stream {c.stream}"
        quotes = [q(where, "num_ack_pending", c.num_ack_pending), q(where, "max_ack_pending", c.max_ack_pending),
                  q(where, "num_pending", c.num_pending), q(where, "num_redelivered", c.num_redelivered)]
        s = inp.series_for(f"consumer:{c.stream}/{c.name}")
        if s and s.in_flight_trend != "unknown":
            quotes.append(q(where, "num_ack_pending_trend", s.in_flight_trend))
        out.append(Finding(
            rule_id="ack_pending_at_limit", severity="high" if c.num_pending else "medium",
            failure_mode_id="nats_max_ack_pending_stall", channel=f"consumer:{c.stream}/{c.name}",
            title=f"{where} is stalled: {c.num_ack_pending} unacknowledged = max_ack_pending {c.max_ack_pending}, "
                  f"{c.num_pending} more waiting",
            evidence=quotes,
            fix="Find the handler that does not ack (or acks too slowly); ack, nak or term every message, and size "
                "max_ack_pending to the consumers' real concurrency."))
    return out


def ack_wait_below_processing(inp: RuleInput) -> list[Finding]:
    limit = inp.expect.processing_time_ms
    if not isinstance(inp.snapshot, NatsSnapshot) or limit is None:
        return []
    return [Finding(
        rule_id="ack_wait_below_processing", severity="high", failure_mode_id="nats_ack_wait_redelivery",
        channel=f"consumer:{c.stream}/{c.name}", title=f"consumer {c.name}: ack_wait {c.ack_wait_s:g} s is shorter "
        f"than the declared processing time {limit / 1000:g} s",
        evidence=[q(f"consumer {c.name}", "ack_wait_s", c.ack_wait_s), q("target expect", "processing_time_ms", limit),
                  q(f"consumer {c.name}", "num_redelivered", c.num_redelivered)],
        fix="Raise ack_wait above the processing time, or send in-progress acks (msg.in_progress()) while working.")
        for c in inp.snapshot.consumers if c.ack_wait_s is not None and c.ack_wait_s * 1000 < limit]


def interest_stream_without_consumer(inp: RuleInput) -> list[Finding]:
    if not isinstance(inp.snapshot, NatsSnapshot):
        return []
    return [Finding(
        rule_id="interest_stream_without_consumer", severity="high",
        failure_mode_id="nats_interest_retention_no_consumer", channel=f"stream:/{s.name}",
        title=f"stream {s.name} keeps messages by interest but has no consumer: new messages are not retained",
        evidence=[q(f"stream {s.name}", "retention", s.retention), q(f"stream {s.name}", "consumer_count", 0)],
        fix="Create the durable consumers before publishing, or use limits retention.")
        for s in inp.snapshot.streams if s.retention == "interest" and s.consumer_count == 0]


# --- Redis Streams ----------------------------------------------------------------------------------------------


def pending_idle_unclaimed(inp: RuleInput) -> list[Finding]:
    claim = inp.expect.claim_idle_ms or inp.expect.processing_time_ms
    if not isinstance(inp.snapshot, RedisSnapshot) or claim is None:
        return []
    out: list[Finding] = []
    for st in inp.snapshot.streams:
        for g in st.groups:
            idle = g.oldest_pending_idle_ms
            if not g.pending or idle is None or idle < claim:
                continue
            where = f"group {g.name} on stream {st.key}"
            s = inp.series_for(f"group:{st.key}/{g.name}")
            if s and s.in_flight_trend == "falling":
                continue  # someone is claiming or acking within the window
            holders = ", ".join(f"{c.name} ({c.pending} pending, idle {c.idle_ms} ms)" for c in g.pending_consumers)
            out.append(Finding(
                rule_id="pending_idle_unclaimed", severity="high",
                failure_mode_id="redis_pending_entries_never_claimed", channel=f"group:{st.key}/{g.name}",
                title=f"{where}: {g.pending} pending entries, the oldest idle {idle} ms (claim time {claim} ms) and "
                      f"nobody claiming them; held by {holders or 'unknown consumers'}",
                evidence=[q(where, "pending", g.pending), q(where, "oldest_pending_idle_ms", idle),
                          q("target expect", "claim_idle_ms", claim), q(where, "max_delivery_count",
                                                                         g.max_delivery_count)],
                fix="Run XAUTOCLAIM with the claim time in every consumer (or a reaper), dead-letter entries over "
                    "the delivery limit, and XGROUP DELCONSUMER consumers that are gone."))
    return out


def redis_memory_pressure(inp: RuleInput) -> list[Finding]:
    if not isinstance(inp.snapshot, RedisSnapshot):
        return []
    m = inp.snapshot.memory
    evicts = m.maxmemory_policy.startswith("allkeys") or m.maxmemory_policy.startswith("volatile")
    near = m.maxmemory > 0 and m.used_memory >= MEMORY_SHARE * m.maxmemory
    if not (near or (m.maxmemory > 0 and evicts and m.maxmemory_policy.startswith("allkeys"))):
        return []
    return [Finding(
        rule_id="redis_memory_pressure", severity="high" if near else "medium",
        failure_mode_id="redis_stream_unbounded_growth_oom", channel="broker", judgement=near,
        title=f"used_memory {m.used_memory} of maxmemory {m.maxmemory} with policy {m.maxmemory_policy}",
        evidence=[q("INFO memory", "used_memory", m.used_memory), q("INFO memory", "maxmemory", m.maxmemory),
                  q("CONFIG", "maxmemory-policy", m.maxmemory_policy)],
        fix="Trim streams (XADD MAXLEN ~ / MINID) and use maxmemory-policy noeviction for stream data, so a full "
            "server refuses writes instead of evicting streams.")]


# --- SQS --------------------------------------------------------------------------------------------------------


def visibility_below_processing(inp: RuleInput) -> list[Finding]:
    limit = inp.expect.processing_time_ms
    if not isinstance(inp.snapshot, SqsSnapshot) or limit is None:
        return []
    return [Finding(
        rule_id="visibility_below_processing", severity="high", failure_mode_id="sqs_visibility_timeout_too_short",
        channel=f"queue:/{qu.name}", title=f"queue {qu.name}: VisibilityTimeout {qu.visibility_timeout_s} s is shorter "
        f"than the declared processing time {limit / 1000:g} s: messages reappear while still being processed",
        evidence=[q(f"queue {qu.name}", "VisibilityTimeout", qu.visibility_timeout_s),
                  q("target expect", "processing_time_ms", limit),
                  q(f"queue {qu.name}", "ApproximateNumberOfMessagesNotVisible", qu.not_visible),
                  q(f"queue {qu.name}", "RedrivePolicy.maxReceiveCount", qu.max_receive_count),
                  q(f"queue {qu.dead_letter_queue or '(no dead-letter queue)'}", "ApproximateNumberOfMessages",
                    qu.dead_letter_visible)],
        fix="Raise VisibilityTimeout above the processing time, or extend it with ChangeMessageVisibility while "
            "processing.")
        for qu in inp.snapshot.queues if not qu.is_dead_letter and qu.visibility_timeout_s * 1000 < limit]


# --- Kafka ------------------------------------------------------------------------------------------------------


def group_lag_stalled(inp: RuleInput) -> list[Finding]:
    if not isinstance(inp.snapshot, KafkaSnapshot):
        return []
    out: list[Finding] = []
    for s in inp.series:
        if s.kind != "group" or s.depth_trend != "growing" or not s.consumers or not s.consumers[-1].value:
            continue
        out.append(Finding(
            rule_id="group_lag_growing", severity="medium", failure_mode_id="kafka_slow_consumer_processing",
            channel=s.key, title=f"group {s.name} on {s.parent}: lag grew from {s.depth[0].value} to "
            f"{s.depth[-1].value} within the window", evidence=[q(f"group {s.name}", "lag", s.depth[-1].value),
                                                                q(f"group {s.name}", "lag_rate_per_s",
                                                                  s.depth_rate_per_s)],
            fix="Compare processing rate with the produce rate; add consumers (up to the partition count) or "
                "speed up per-record work."))
    return out


RULES: tuple[Rule, ...] = (
    backlog_without_consumers, dead_letters_waiting, delivery_limit_without_dead_letter, requeue_loop,
    resource_alarm, connection_churn, unlimited_prefetch, ack_pending_at_limit, ack_wait_below_processing,
    interest_stream_without_consumer, pending_idle_unclaimed, redis_memory_pressure, visibility_below_processing,
    group_lag_stalled,
)


def findings(inp: RuleInput) -> list[Finding]:
    """Every rule's findings, most severe first (stable within a severity)."""
    out = [f for rule in RULES for f in rule(inp)]
    return sorted(out, key=lambda f: SEVERITY_RANK[f.severity])

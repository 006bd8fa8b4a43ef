"""Finding rules: each a small unit that reads a live snapshot (and, when sampled, its trends) and names the failure
mode of ``knowledge/failure_modes.yaml`` the figures point at, with the figures quoted and the fix.

A rule is registered with :func:`rule`: its id, the snapshot type it reads, the failure mode, its severity, the fix
and whether its threshold is a judgement. Its check yields a :class:`Hit` per channel (the title stating the figures
and the quotes they rest on); the engine turns hits into :class:`Finding` s.

Thresholds marked ``judgement`` are this project's judgement, not documented figures; every other rule compares the
broker's own settings with its own counts (or with what the operator declared in the target's ``expect`` block).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from event_driven.core.inspection.models import Expectations, Finding, Quote
from event_driven.core.inspection.snapshot import (
    BrokerSnapshot,
    KafkaSnapshot,
    NatsSnapshot,
    RabbitQueue,
    RabbitSnapshot,
    RedisSnapshot,
    Snapshot,
    SqsSnapshot,
)
from event_driven.core.inspection.trend import ChannelSeries
from event_driven.vocab import SEVERITY_RANK, Severity

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


@dataclass(frozen=True)
class Hit:
    """What a rule found on one channel: the title stating the figures, and the quotes they rest on."""

    channel: str
    title: str
    evidence: list[Quote]
    severity: Severity | None = None  # None: the rule's own
    judgement: bool | None = None  # None: the rule's own


@dataclass(frozen=True)
class InspectionRule:
    id: str
    failure_mode_id: str
    severity: Severity
    fix: str
    judgement: bool
    hits: Callable[[RuleInput], Iterable[Hit]]

    def findings(self, inp: RuleInput) -> Iterator[Finding]:
        for h in self.hits(inp):
            yield Finding(rule_id=self.id, severity=h.severity or self.severity, failure_mode_id=self.failure_mode_id,
                          channel=h.channel, title=h.title, evidence=h.evidence, fix=self.fix,
                          judgement=self.judgement if h.judgement is None else h.judgement)


RULES: list[InspectionRule] = []
S = TypeVar("S", bound=Snapshot)
Check = Callable[[S, RuleInput], Iterable[Hit]]


def rule(rule_id: str, on: type[S], *, failure_mode_id: str, severity: Severity, fix: str,
         judgement: bool = False) -> Callable[[Check[S]], Check[S]]:
    """Register ``check`` as the rule ``rule_id``, run on snapshots of type ``on``."""

    def register(check: Check[S]) -> Check[S]:
        def hits(inp: RuleInput) -> Iterable[Hit]:
            return check(inp.snapshot, inp) if isinstance(inp.snapshot, on) else ()

        RULES.append(InspectionRule(rule_id, failure_mode_id, severity, fix, judgement, hits))
        return check

    return register


def findings(inp: RuleInput) -> list[Finding]:
    """Every rule's findings, most severe first (stable within a severity)."""
    out = [f for r in RULES for f in r.findings(inp)]
    return sorted(out, key=lambda f: SEVERITY_RANK[f.severity])


def q(where: str, figure: str, value: object) -> Quote:
    return Quote(where=where, figure=figure, value=value if isinstance(value, (str, int, float, bool)) else str(value))


def quotes(where: str, **figures: object) -> list[Quote]:
    """The quotes of several figures read at one place, in the order given."""
    return [q(where, figure, value) for figure, value in figures.items()]


# --- every broker -----------------------------------------------------------------------------------------------


@rule("backlog_without_consumers", Snapshot, failure_mode_id="consumers_disconnected_backlog", severity="high",
      fix="Start (or restore) the consumers of this channel and alert on consumer count 0 with depth > 0; check why "
          "they left (crash, closed channel not recovered, scaled to zero).")
def backlog_without_consumers(snap: Snapshot, inp: RuleInput) -> Iterator[Hit]:
    for ch in snap.channels():
        if ch.kind not in ("queue", "group") or ch.is_dead_letter or not ch.depth or ch.consumers != 0:
            continue
        where = f"{ch.kind} {ch.name}" + (f" on {ch.parent}" if ch.parent else "")
        evidence = quotes(where, depth=ch.depth, consumers=0)
        s = inp.series_for(ch.key)
        if s and s.depth_trend != "unknown":
            evidence.append(q(where, "depth_trend", s.depth_trend))
        yield Hit(ch.key, f"{where} holds {ch.depth} waiting messages and has no consumer", evidence)


@rule("dead_letters_waiting", Snapshot, failure_mode_id="dlq_overflow_processing_bug", severity="medium",
      fix="Read a few dead letters (without consuming them where the broker allows), fix the processing bug, then "
          "redrive them to the source queue.")
def dead_letters_waiting(snap: Snapshot, _: RuleInput) -> Iterator[Hit]:
    for ch in snap.channels():
        if ch.is_dead_letter and ch.depth:
            yield Hit(ch.key, f"dead-letter queue {ch.name} holds {ch.depth} messages",
                      quotes(f"{ch.kind} {ch.name}", depth=ch.depth))


# --- RabbitMQ ---------------------------------------------------------------------------------------------------


def _dropped(queue: RabbitQueue) -> int:
    """Published messages neither acknowledged nor still in the queue: lost to the delivery limit (or TTL/length)."""
    return max(0, queue.published - queue.acked - queue.messages_ready - queue.messages_unacked)


def _queue_key(qu: RabbitQueue) -> str:
    return f"queue:{qu.vhost}/{qu.name}"


@rule("delivery_limit_without_dead_letter", RabbitSnapshot, failure_mode_id="rabbitmq_quorum_delivery_limit_drop",
      severity="high",
      fix="Give the queue a dead-letter exchange (a policy with dead-letter-exchange, plus dead-letter-strategy "
          "at-least-once) bound to a DLQ, so messages over the limit are kept.")
def delivery_limit_without_dead_letter(snap: RabbitSnapshot, _: RuleInput) -> Iterator[Hit]:
    for qu in snap.queues:
        if qu.type != "quorum" or qu.delivery_limit is None or qu.delivery_limit < 0 or qu.dead_letter_exchange:
            continue
        where, dropped, seen = f"queue {qu.name}", _dropped(qu), qu.redelivered > 0
        evidence = [q(where, "x-delivery-limit", qu.delivery_limit), q(where, "x-dead-letter-exchange", "(none)"),
                    *quotes(where, redeliver=qu.redelivered, publish=qu.published, ack=qu.acked,
                            messages=qu.messages_ready + qu.messages_unacked)]
        title = (f"{where}: {qu.redelivered} redeliveries against x-delivery-limit {qu.delivery_limit} with no "
                 f"dead-letter exchange; {dropped} published message(s) neither acked nor queued (dropped)"
                 if seen else f"{where}: x-delivery-limit {qu.delivery_limit} with no dead-letter exchange: a "
                 "message that reaches the limit is dropped")
        yield Hit(_queue_key(qu), title, evidence, severity="critical" if seen and dropped else None)


@rule("requeue_loop", RabbitSnapshot, failure_mode_id="rabbitmq_requeue_poison_loop", severity="high",
      judgement=True,
      fix="Reject failing messages without requeue into a dead-letter exchange, or use a quorum queue with "
          "x-delivery-limit and a dead-letter exchange.")
def requeue_loop(snap: RabbitSnapshot, _: RuleInput) -> Iterator[Hit]:
    for qu in snap.queues:
        limited = qu.type == "quorum" and qu.delivery_limit is not None and qu.delivery_limit >= 0
        if limited or qu.dead_letter_exchange or qu.redelivered <= 0 or qu.redelivered < qu.acked:
            continue
        where = f"queue {qu.name}"
        yield Hit(_queue_key(qu), f"{where}: {qu.redelivered} redeliveries for {qu.acked} acks, no delivery limit "
                  "and no dead-letter exchange",
                  quotes(where, redeliver=qu.redelivered, ack=qu.acked, redeliver_rate=qu.redeliver_rate,
                         type=qu.type))


@rule("resource_alarm", RabbitSnapshot, failure_mode_id="rabbitmq_resource_alarm_blocked", severity="critical",
      fix="Drain the backlog (start consumers), free disk or raise the watermark; alarms clear on their own.")
def resource_alarm(snap: RabbitSnapshot, _: RuleInput) -> Iterator[Hit]:
    for n in snap.nodes:
        if n.mem_alarm or n.disk_free_alarm:
            yield Hit("broker", f"node {n.name} has a {'memory' if n.mem_alarm else 'disk'} alarm: publishers are "
                      "blocked", quotes(f"node {n.name}", mem_alarm=n.mem_alarm, disk_free_alarm=n.disk_free_alarm,
                                        mem_used=n.mem_used, mem_limit=n.mem_limit))


@rule("connection_churn", RabbitSnapshot, failure_mode_id="rabbitmq_connection_churn", severity="medium",
      judgement=True,
      fix="Keep long-lived connections and channels (one connection per process, channels reused), not one per "
          "message.")
def connection_churn(snap: RabbitSnapshot, _: RuleInput) -> Iterator[Hit]:
    c = snap.churn
    if max(c.connection_created_rate, c.channel_created_rate) > CHURN_PER_S:
        yield Hit("broker", f"{c.connection_created_rate:g} connections/s and {c.channel_created_rate:g} channels/s "
                  f"opened (over {CHURN_PER_S:g}/s)",
                  quotes("overview", connection_created_rate=c.connection_created_rate,
                         channel_created_rate=c.channel_created_rate, connections=c.connections,
                         channels=c.channels))


@rule("unlimited_prefetch", RabbitSnapshot, failure_mode_id="rabbitmq_prefetch_unlimited", severity="medium",
      fix="Set basic.qos prefetch on the consumers' channels (a bounded value such as the plan's).")
def unlimited_prefetch(snap: RabbitSnapshot, _: RuleInput) -> Iterator[Hit]:
    for qu in snap.queues:
        if qu.consumers_without_prefetch:
            yield Hit(_queue_key(qu), f"queue {qu.name}: {qu.consumers_without_prefetch} consumer(s) with manual "
                      "acks and no prefetch limit",
                      quotes(f"queue {qu.name}", prefetch_count=0, messages_unacknowledged=qu.messages_unacked))


# --- NATS JetStream ---------------------------------------------------------------------------------------------


@rule("ack_pending_at_limit", NatsSnapshot, failure_mode_id="nats_max_ack_pending_stall", severity="medium",
      fix="Find the handler that does not ack (or acks too slowly); ack, nak or term every message, and size "
          "max_ack_pending to the consumers' real concurrency.")
def ack_pending_at_limit(snap: NatsSnapshot, inp: RuleInput) -> Iterator[Hit]:
    for c in snap.consumers:
        if not c.max_ack_pending or c.max_ack_pending < 0 or c.num_ack_pending < c.max_ack_pending:
            continue
        where, key = f"consumer {c.name} on stream {c.stream}", f"consumer:{c.stream}/{c.name}"
        evidence = quotes(where, num_ack_pending=c.num_ack_pending, max_ack_pending=c.max_ack_pending,
                          num_pending=c.num_pending, num_redelivered=c.num_redelivered)
        s = inp.series_for(key)
        if s and s.in_flight_trend != "unknown":
            evidence.append(q(where, "num_ack_pending_trend", s.in_flight_trend))
        yield Hit(key, f"{where} is stalled: {c.num_ack_pending} unacknowledged = max_ack_pending "
                  f"{c.max_ack_pending}, {c.num_pending} more waiting", evidence,
                  severity="high" if c.num_pending else None)


@rule("ack_wait_below_processing", NatsSnapshot, failure_mode_id="nats_ack_wait_redelivery", severity="high",
      fix="Raise ack_wait above the processing time, or send in-progress acks (msg.in_progress()) while working.")
def ack_wait_below_processing(snap: NatsSnapshot, inp: RuleInput) -> Iterator[Hit]:
    limit = inp.expect.processing_time_ms
    for c in snap.consumers:
        if limit is not None and c.ack_wait_s is not None and c.ack_wait_s * 1000 < limit:
            yield Hit(f"consumer:{c.stream}/{c.name}", f"consumer {c.name}: ack_wait {c.ack_wait_s:g} s is shorter "
                      f"than the declared processing time {limit / 1000:g} s",
                      [q(f"consumer {c.name}", "ack_wait_s", c.ack_wait_s),
                       q("target expect", "processing_time_ms", limit),
                       q(f"consumer {c.name}", "num_redelivered", c.num_redelivered)])


@rule("interest_stream_without_consumer", NatsSnapshot, failure_mode_id="nats_interest_retention_no_consumer",
      severity="high", fix="Create the durable consumers before publishing, or use limits retention.")
def interest_stream_without_consumer(snap: NatsSnapshot, _: RuleInput) -> Iterator[Hit]:
    for s in snap.streams:
        if s.retention == "interest" and s.consumer_count == 0:
            yield Hit(f"stream:/{s.name}", f"stream {s.name} keeps messages by interest but has no consumer: new "
                      "messages are not retained", quotes(f"stream {s.name}", retention=s.retention,
                                                          consumer_count=0))


# --- Redis Streams ----------------------------------------------------------------------------------------------


@rule("pending_idle_unclaimed", RedisSnapshot, failure_mode_id="redis_pending_entries_never_claimed",
      severity="high",
      fix="Run XAUTOCLAIM with the claim time in every consumer (or a reaper), dead-letter entries over the "
          "delivery limit, and XGROUP DELCONSUMER consumers that are gone.")
def pending_idle_unclaimed(snap: RedisSnapshot, inp: RuleInput) -> Iterator[Hit]:
    claim = inp.expect.claim_idle_ms or inp.expect.processing_time_ms
    for stream, g in ((st, g) for st in snap.streams for g in st.groups):
        idle, key = g.oldest_pending_idle_ms, f"group:{stream.key}/{g.name}"
        s = inp.series_for(key)
        if claim is None or not g.pending or idle is None or idle < claim or (s and s.in_flight_trend == "falling"):
            continue  # nothing pending long enough, or someone is claiming or acking within the window
        where = f"group {g.name} on stream {stream.key}"
        holders = ", ".join(f"{c.name} ({c.pending} pending, idle {c.idle_ms} ms)" for c in g.pending_consumers)
        yield Hit(key, f"{where}: {g.pending} pending entries, the oldest idle {idle} ms (claim time {claim} ms) and "
                  f"nobody claiming them; held by {holders or 'unknown consumers'}",
                  [q(where, "pending", g.pending), q(where, "oldest_pending_idle_ms", idle),
                   q("target expect", "claim_idle_ms", claim), q(where, "max_delivery_count", g.max_delivery_count)])


@rule("redis_memory_pressure", RedisSnapshot, failure_mode_id="redis_stream_unbounded_growth_oom", severity="medium",
      fix="Trim streams (XADD MAXLEN ~ / MINID) and use maxmemory-policy noeviction for stream data, so a full server "
          "refuses writes instead of evicting streams.")
def redis_memory_pressure(snap: RedisSnapshot, _: RuleInput) -> Iterator[Hit]:
    m = snap.memory
    near = m.maxmemory > 0 and m.used_memory >= MEMORY_SHARE * m.maxmemory
    if near or (m.maxmemory > 0 and m.maxmemory_policy.startswith("allkeys")):
        yield Hit("broker", f"used_memory {m.used_memory} of maxmemory {m.maxmemory} with policy "
                  f"{m.maxmemory_policy}",
                  [*quotes("INFO memory", used_memory=m.used_memory, maxmemory=m.maxmemory),
                   q("CONFIG", "maxmemory-policy", m.maxmemory_policy)],
                  severity="high" if near else None, judgement=near)


# --- SQS --------------------------------------------------------------------------------------------------------


@rule("visibility_below_processing", SqsSnapshot, failure_mode_id="sqs_visibility_timeout_too_short",
      severity="high",
      fix="Raise VisibilityTimeout above the processing time, or extend it with ChangeMessageVisibility while "
          "processing.")
def visibility_below_processing(snap: SqsSnapshot, inp: RuleInput) -> Iterator[Hit]:
    limit = inp.expect.processing_time_ms
    for qu in snap.queues:
        if limit is None or qu.is_dead_letter or qu.visibility_timeout_s * 1000 >= limit:
            continue
        where = f"queue {qu.name}"
        yield Hit(f"queue:/{qu.name}", f"{where}: VisibilityTimeout {qu.visibility_timeout_s} s is shorter than the "
                  f"declared processing time {limit / 1000:g} s: messages reappear while still being processed",
                  [q(where, "VisibilityTimeout", qu.visibility_timeout_s),
                   q("target expect", "processing_time_ms", limit),
                   q(where, "ApproximateNumberOfMessagesNotVisible", qu.not_visible),
                   q(where, "RedrivePolicy.maxReceiveCount", qu.max_receive_count),
                   q(f"queue {qu.dead_letter_queue or '(no dead-letter queue)'}", "ApproximateNumberOfMessages",
                     qu.dead_letter_visible)])


# --- Kafka ------------------------------------------------------------------------------------------------------


@rule("group_lag_growing", KafkaSnapshot, failure_mode_id="kafka_slow_consumer_processing", severity="medium",
      fix="Compare processing rate with the produce rate; add consumers (up to the partition count) or speed up "
          "per-record work.")
def group_lag_growing(_: KafkaSnapshot, inp: RuleInput) -> Iterator[Hit]:
    for s in inp.series:
        if s.kind == "group" and s.depth_trend == "growing" and s.consumers and s.consumers[-1].value:
            yield Hit(s.key, f"group {s.name} on {s.parent}: lag grew from {s.depth[0].value} to "
                      f"{s.depth[-1].value} within the window",
                      quotes(f"group {s.name}", lag=s.depth[-1].value, lag_rate_per_s=s.depth_rate_per_s))

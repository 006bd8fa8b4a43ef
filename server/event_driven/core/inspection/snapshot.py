"""Typed snapshots of a broker's live state, one model per broker, each with the common :class:`ChannelState` view.

A snapshot is what one round of read-only calls returned. The readers in ``event_driven.live`` fill these models;
the rules, the drift check and the diagnose evidence read them. Counts are as the broker reported them (RabbitMQ
and SQS counts are approximate by the broker's own definition).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from event_driven.vocab import BrokerId

SettingValue = str | int | float | bool | None
ChannelKind = Literal["queue", "stream", "consumer", "group", "topic"]


class SnapshotModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChannelRef(SnapshotModel):
    """Which channel: the identity a channel's state in one snapshot and its series over the window share."""

    key: str = Field(description="Stable identity across snapshots: '<kind>:<parent>/<name>'.")
    name: str
    kind: ChannelKind
    parent: str | None = Field(default=None, description="The stream or topic a consumer or group reads.")


class ChannelState(ChannelRef):
    """One queue, stream, consumer or group in the broker-neutral shape the rules and the sampler compare."""

    depth: int | None = Field(default=None,
                              description="Waiting to be delivered: ready, visible, num_pending, group lag.")
    in_flight: int | None = Field(default=None,
                                  description="Delivered, not yet acknowledged: unacked, not visible, ack "
                                  "pending, pending entries.")
    consumers: int | None = None
    dead_letter_target: str | None = None
    is_dead_letter: bool = Field(default=False, description="Another channel dead-letters into this one.")
    settings: dict[str, SettingValue] = Field(default_factory=dict,
                                              description="Live settings under the knowledge base's key spelling.")


class SnapshotSummary(SnapshotModel):
    """Counts that stay small whatever the broker's size."""

    target: str
    broker: BrokerId
    taken_at_ms: int
    elapsed_ms: int
    pattern: str | None = None
    channels_total: int = Field(description="Queues / streams / topics on the broker (or in the page read).")
    channels_matched: int = Field(description="Of those, the ones matching the name pattern.")
    channels_shown: int = Field(description="Of those, the ones read in detail (bounded by the limit).")
    truncated: bool = Field(description="More matched than the limit: narrow the pattern to see the rest.")
    depth_total: int = 0
    consumers_total: int = 0


class Snapshot(SnapshotModel):
    """What every broker's snapshot offers: its queues, streams, consumers and groups as :class:`ChannelState` s."""

    def channels(self) -> list[ChannelState]:
        raise NotImplementedError


# --- RabbitMQ -------------------------------------------------------------------------------------------------------


class RabbitQueue(SnapshotModel):
    name: str
    vhost: str
    type: str = Field(description="classic, quorum or stream.")
    state: str | None = None
    messages_ready: int = 0
    messages_unacked: int = 0
    consumers: int = 0
    arguments: dict[str, SettingValue] = Field(default_factory=dict)
    policy: str | None = Field(default=None, description="Name of the policy in effect.")
    policy_definition: dict[str, SettingValue] = Field(default_factory=dict)
    dead_letter_exchange: str | None = Field(default=None,
                                             description="Effective: the argument, else the policy's key.")
    delivery_limit: int | None = Field(default=None, description="Effective x-delivery-limit (quorum queues).")
    published: int = Field(default=0, description="Messages published to the queue since the stats began.")
    acked: int = 0
    delivered: int = Field(default=0, description="Deliveries to consumers and basic.get, redeliveries included.")
    redelivered: int = 0
    publish_rate: float = 0.0
    redeliver_rate: float = 0.0
    ack_rate: float = 0.0
    consumers_without_prefetch: int = Field(default=0,
                                            description="Consumers with manual acks and prefetch 0 (unlimited).")


class RabbitNode(SnapshotModel):
    name: str
    running: bool = True
    mem_alarm: bool = False
    disk_free_alarm: bool = False
    mem_used: int | None = None
    mem_limit: int | None = None


class RabbitChurn(SnapshotModel):
    """Connection and channel churn from the overview's churn rates (per second)."""

    connections: int = 0
    channels: int = 0
    connection_created_rate: float = 0.0
    connection_closed_rate: float = 0.0
    channel_created_rate: float = 0.0
    channel_closed_rate: float = 0.0


class RabbitSnapshot(Snapshot):
    broker: Literal["rabbitmq"] = "rabbitmq"
    summary: SnapshotSummary
    version: str | None = None
    queues: list[RabbitQueue] = Field(default_factory=list)
    nodes: list[RabbitNode] = Field(default_factory=list)
    churn: RabbitChurn = Field(default_factory=lambda: RabbitChurn())

    def channels(self) -> list[ChannelState]:
        dead_letter_targets = {q.dead_letter_exchange for q in self.queues if q.dead_letter_exchange}
        out: list[ChannelState] = []
        for q in self.queues:
            settings: dict[str, SettingValue] = {"x-queue-type": q.type, **_prefixed(q.policy_definition),
                                                 **q.arguments}
            if q.delivery_limit is not None:
                settings["x-delivery-limit"] = q.delivery_limit
            if q.dead_letter_exchange:
                settings["x-dead-letter-exchange"] = q.dead_letter_exchange
            out.append(ChannelState(
                key=f"queue:{q.vhost}/{q.name}", name=q.name, kind="queue", depth=q.messages_ready,
                in_flight=q.messages_unacked, consumers=q.consumers, dead_letter_target=q.dead_letter_exchange,
                is_dead_letter=_looks_dead_letter(q.name, dead_letter_targets), settings=settings))
        return out


def _prefixed(policy: dict[str, SettingValue]) -> dict[str, SettingValue]:
    """Policy keys under the queue-argument spelling (``dead-letter-exchange`` -> ``x-dead-letter-exchange``)."""
    return {f"x-{k}": v for k, v in policy.items()}


def _looks_dead_letter(name: str, dead_letter_exchanges: set[str]) -> bool:
    # The management API does not say which queue a dead-letter exchange routes to without reading bindings; a
    # queue named like a DLQ is treated as one.
    lowered = name.lower()
    return lowered.endswith((".dlq", "-dlq", "_dlq", ".dead", ".dlx")) or name in dead_letter_exchanges


# --- NATS JetStream -------------------------------------------------------------------------------------------------


class NatsStream(SnapshotModel):
    name: str
    subjects: list[str] = Field(default_factory=list)
    retention: str = Field(description="limits, interest or workqueue.")
    messages: int = 0
    bytes: int = 0
    first_seq: int = 0
    last_seq: int = 0
    consumer_count: int = 0
    max_age_s: float | None = None
    num_replicas: int | None = None


class NatsConsumer(SnapshotModel):
    stream: str
    name: str
    durable: bool = True
    ack_policy: str = "explicit"
    ack_wait_s: float | None = None
    max_deliver: int | None = Field(default=None, description="-1 or None: unlimited.")
    max_ack_pending: int | None = None
    num_pending: int = Field(default=0, description="Messages in the stream not yet delivered to this consumer.")
    num_ack_pending: int = Field(default=0, description="Delivered, waiting for an acknowledgement.")
    num_redelivered: int = 0
    num_waiting: int = Field(default=0, description="Pull requests waiting (pull consumers).")
    delivered_stream_seq: int = 0
    ack_floor_stream_seq: int = 0
    push_bound: bool | None = None


class NatsSnapshot(Snapshot):
    broker: Literal["nats_jetstream"] = "nats_jetstream"
    summary: SnapshotSummary
    version: str | None = None
    streams: list[NatsStream] = Field(default_factory=list)
    consumers: list[NatsConsumer] = Field(default_factory=list)

    def channels(self) -> list[ChannelState]:
        out = [ChannelState(key=f"stream:/{s.name}", name=s.name, kind="stream", depth=s.messages,
                            consumers=s.consumer_count, settings={"retention": s.retention})
               for s in self.streams]
        for c in self.consumers:
            settings: dict[str, SettingValue] = {"ack_policy": c.ack_policy, "max_deliver": c.max_deliver,
                                                 "max_ack_pending": c.max_ack_pending}
            if c.ack_wait_s is not None:
                settings["ack_wait"] = int(c.ack_wait_s * 1e9)
            out.append(ChannelState(key=f"consumer:{c.stream}/{c.name}", name=c.name, kind="consumer",
                                    parent=c.stream, depth=c.num_pending, in_flight=c.num_ack_pending,
                                    settings=settings))
        return out


# --- Redis Streams --------------------------------------------------------------------------------------------------


class RedisConsumer(SnapshotModel):
    name: str
    pending: int = 0
    idle_ms: int = Field(default=0, description="Since the consumer last read or claimed.")
    inactive_ms: int | None = Field(default=None, description="Since the last successful read (Redis 7.2+).")


class RedisGroup(SnapshotModel):
    stream: str
    name: str
    consumers: int = 0
    pending: int = Field(default=0, description="Entries delivered and not acknowledged (the PEL).")
    lag: int | None = Field(default=None,
                            description="Entries not yet delivered to the group (Redis 7+; None if unknown).")
    last_delivered_id: str = "0-0"
    oldest_pending_idle_ms: int | None = Field(default=None, description="Longest idle time in the PEL (XPENDING).")
    max_delivery_count: int | None = Field(default=None,
                                           description="Highest delivery counter among the oldest entries.")
    pending_consumers: list[RedisConsumer] = Field(default_factory=list)


class RedisStream(SnapshotModel):
    key: str
    length: int = 0
    first_id: str | None = None
    last_id: str | None = None
    groups: list[RedisGroup] = Field(default_factory=list)


class RedisMemory(SnapshotModel):
    used_memory: int = 0
    maxmemory: int = 0
    maxmemory_policy: str = "noeviction"


class RedisSnapshot(Snapshot):
    broker: Literal["redis_streams"] = "redis_streams"
    summary: SnapshotSummary
    version: str | None = None
    streams: list[RedisStream] = Field(default_factory=list)
    memory: RedisMemory = Field(default_factory=lambda: RedisMemory())

    def channels(self) -> list[ChannelState]:
        out: list[ChannelState] = []
        for s in self.streams:
            out.append(ChannelState(key=f"stream:/{s.key}", name=s.key, kind="stream", depth=s.length,
                                    consumers=sum(g.consumers for g in s.groups)))
            for g in s.groups:
                out.append(ChannelState(key=f"group:{s.key}/{g.name}", name=g.name, kind="group", parent=s.key,
                                        depth=g.lag, in_flight=g.pending, consumers=g.consumers))
        return out


# --- Amazon SQS -----------------------------------------------------------------------------------------------------


class SqsQueue(SnapshotModel):
    name: str
    visible: int = Field(default=0, description="ApproximateNumberOfMessages.")
    not_visible: int = Field(default=0, description="ApproximateNumberOfMessagesNotVisible (in flight).")
    delayed: int = 0
    visibility_timeout_s: int = 30
    retention_s: int | None = None
    receive_wait_s: int = 0
    fifo: bool = False
    max_receive_count: int | None = None
    dead_letter_queue: str | None = Field(default=None, description="Name of the redrive target.")
    dead_letter_visible: int | None = Field(default=None, description="The dead-letter queue's visible messages.")
    is_dead_letter: bool = False


class SqsSnapshot(Snapshot):
    broker: Literal["sqs"] = "sqs"
    summary: SnapshotSummary
    queues: list[SqsQueue] = Field(default_factory=list)

    def channels(self) -> list[ChannelState]:
        return [ChannelState(
            key=f"queue:/{q.name}", name=q.name, kind="queue", depth=q.visible, in_flight=q.not_visible,
            dead_letter_target=q.dead_letter_queue, is_dead_letter=q.is_dead_letter,
            settings={"VisibilityTimeout": q.visibility_timeout_s, "MessageRetentionPeriod": q.retention_s,
                      "ReceiveMessageWaitTimeSeconds": q.receive_wait_s, "FifoQueue": q.fifo,
                      "RedrivePolicy.maxReceiveCount": q.max_receive_count})
            for q in self.queues]


# --- Apache Kafka ---------------------------------------------------------------------------------------------------


class KafkaTopic(SnapshotModel):
    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, SettingValue] = Field(default_factory=dict)


class KafkaPartitionLag(SnapshotModel):
    topic: str
    partition: int
    committed_offset: int | None = None
    log_end_offset: int
    lag: int


class KafkaGroup(SnapshotModel):
    group: str
    state: str
    members: int = 0
    partitions: list[KafkaPartitionLag] = Field(default_factory=list)


class KafkaSnapshot(Snapshot):
    broker: Literal["kafka"] = "kafka"
    summary: SnapshotSummary
    brokers: int = 0
    topics: list[KafkaTopic] = Field(default_factory=list)
    groups: list[KafkaGroup] = Field(default_factory=list)
    unread: list[str] = Field(default_factory=list, description="Optional reads that failed, and why.")

    def channels(self) -> list[ChannelState]:
        out = [ChannelState(key=f"topic:/{t.name}", name=t.name, kind="topic",
                            settings={**t.configs, "num.partitions": t.partitions,
                                      "replication.factor": t.replication_factor})
               for t in self.topics]
        for g in self.groups:
            for topic in sorted({p.topic for p in g.partitions}):
                lag = sum(p.lag for p in g.partitions if p.topic == topic)
                out.append(ChannelState(key=f"group:{topic}/{g.group}", name=g.group, kind="group", parent=topic,
                                        depth=lag, consumers=g.members))
        return out


BrokerSnapshot = Annotated[RabbitSnapshot | NatsSnapshot | RedisSnapshot | SqsSnapshot | KafkaSnapshot,
                           Field(discriminator="broker")]

"""Broker designers: map the logical design onto each broker's own objects, settings and retry machinery.

Every name goes through :mod:`naming`; every setting carries the reason it has its value, and the sources behind
those reasons are listed with the client settings and the retry mapping.
"""

from __future__ import annotations

import math
from typing import Any

from event_driven.core.topology import naming
from event_driven.core.topology.models import (
    BrokerDesign,
    Channel,
    ClientSettings,
    ConsumerGroup,
    DesignInput,
    LogicalChannel,
    PlanWarning,
    RetryMapping,
)

HOUR_MS = 3_600_000
KAFKA_DOCS = "https://kafka.apache.org/documentation/"
KAFKA_SEMANTICS = "https://kafka.apache.org/documentation/#semantics"
KAFKA_MIN_ISR = "https://kafka.apache.org/documentation/#topicconfigs_min.insync.replicas"
KAFKA_RETENTION = "https://kafka.apache.org/documentation/#topicconfigs_retention.ms"
KAFKA_IDEMPOTENCE = "https://kafka.apache.org/documentation/#producerconfigs_enable.idempotence"
KAFKA_POLL = "https://kafka.apache.org/documentation/#consumerconfigs_max.poll.interval.ms"
KAFKA_SESSION = "https://kafka.apache.org/documentation/#consumerconfigs_session.timeout.ms"
KAFKA_ISOLATION = "https://kafka.apache.org/documentation/#consumerconfigs_isolation.level"
KAFKA_COOPERATIVE = "https://cwiki.apache.org/confluence/display/KAFKA/KIP-429%3A+Kafka+Consumer+Incremental+Rebalance+Protocol"
UBER_RETRY = "https://www.uber.com/blog/reliable-reprocessing/"
SPRING_RETRY = "https://docs.spring.io/spring-kafka/reference/retrytopic/topic-naming.html"
RMQ_QUORUM = "https://www.rabbitmq.com/docs/quorum-queues"
RMQ_POISON = "https://www.rabbitmq.com/docs/quorum-queues#poison-message-handling"
RMQ_DLX = "https://www.rabbitmq.com/docs/dlx"
RMQ_QQ_DLX = "https://www.rabbitmq.com/docs/quorum-queues#dead-lettering"
RMQ_CONFIRMS = "https://www.rabbitmq.com/docs/confirms#publisher-confirms"
RMQ_PREFETCH = "https://www.rabbitmq.com/docs/confirms#channel-qos-prefetch-throughput"
RMQ_SAC = "https://www.rabbitmq.com/docs/consumers#single-active-consumer"
RMQ_STREAMS = "https://www.rabbitmq.com/docs/streams"
RMQ_TTL = "https://www.rabbitmq.com/docs/ttl"
SQS_QUOTAS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html"
SQS_VISIBILITY = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html"
SQS_DLQ = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"
SQS_DLQ_RETENTION = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html"
SQS_FIFO = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-key-terms.html"
SQS_LONG_POLL = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html"
NATS_STREAMS = "https://docs.nats.io/nats-concepts/jetstream/streams"
NATS_CONSUMERS = "https://docs.nats.io/nats-concepts/jetstream/consumers"
NATS_DEDUP = "https://docs.nats.io/using-nats/jetstream/model_deep_dive"
NATS_ADVISORIES = "https://docs.nats.io/running-a-nats-service/nats_admin/monitoring/monitoring_jetstream"
REDIS_XREADGROUP = "https://redis.io/docs/latest/commands/XREADGROUP/"
REDIS_XAUTOCLAIM = "https://redis.io/docs/latest/commands/XAUTOCLAIM/"
REDIS_XTRIM = "https://redis.io/commands/XTRIM/"
PULSAR_SUBS = "https://pulsar.apache.org/docs/client-libraries-consumers"
PULSAR_RETENTION = "https://pulsar.apache.org/docs/cookbooks-retention-expiry"
PULSAR_DLQ = "https://pulsar.apache.org/api/python/3.6.x/pulsar.ConsumerDeadLetterPolicy.html"
PULSAR_RETRY = "https://pulsar.apache.org/docs/concepts-messaging#retry-letter-topic"
PULSAR_TXN = "https://pulsar.apache.org/docs/txn-use"
PULSAR_PARTITIONED = "https://pulsar.apache.org/docs/2.6.4/cookbooks-partitioned/"


def logical_name(spec: DesignInput, lc: LogicalChannel, by_key: dict[str, LogicalChannel], suffix: str) -> str:
    """The dotted base name of a logical channel under the convention."""
    if lc.retry_of:
        return f"{logical_name(spec, by_key[lc.retry_of], by_key, suffix)}.retry.{lc.key.rsplit('.', 1)[1]}"
    if lc.dead_letter_of:
        return logical_name(spec, by_key[lc.dead_letter_of], by_key, suffix) + suffix
    head, _, tail = lc.key.partition(".")
    middle = f"{head}.{naming.check_service(tail)}" if tail else head
    return f"{spec.domain}.{middle}.v1"


def _main_channels(spec: DesignInput) -> list[LogicalChannel]:
    return [c for c in spec.logical_channels if c.role not in ("retry", "dead_letter")]


def _groups_on(spec: DesignInput, key: str) -> list[ConsumerGroup]:
    return [g for g in spec.consumer_groups if g.channel == key]


def _retention_hours(spec: DesignInput, lc: LogicalChannel) -> int | None:
    if lc.role in ("dead_letter", "retry"):
        # A retry tier holds a message for seconds; keep it no longer than dead letters, never forever.
        return spec.retry_policy.dead_letter_retention_days * 24
    if lc.keep_forever or lc.compacted:
        return None
    return spec.retention_hours


def _steps(spec: DesignInput, where: str, dead: str) -> list[str]:
    b = spec.retry_policy.backoff
    return [
        f"Non-retryable errors ({', '.join(spec.retry_policy.non_retryable)}) go straight to {dead}.",
        f"Retryable errors ({', '.join(spec.retry_policy.retryable)}) are retried up to {b.max_attempts - 1} times "
        f"after {', '.join(str(d) for d in b.delays_ms)} ms ({b.jitter}) {where}.",
        f"After {b.max_attempts} failed attempts the message goes to {dead}; an alert fires once it holds more than "
        f"{spec.retry_policy.dlq_alert_threshold} messages.",
        f"A circuit breaker opens after {spec.retry_policy.circuit_breaker.failure_threshold} consecutive failures "
        f"of a downstream call and pauses consumption for {spec.retry_policy.circuit_breaker.reset_timeout_seconds} s.",
    ]


class KafkaDesigner:
    broker_id = "kafka"

    def design(self, spec: DesignInput) -> BrokerDesign:
        by_key = {c.key: c for c in spec.logical_channels}
        rf = spec.replication_factor
        min_isr = max(1, min(2, rf - 1))
        channels = []
        for lc in spec.logical_channels:
            name = naming.kafka_topic(logical_name(spec, lc, by_key, spec.retry_policy.dead_letter_suffix))
            hours = _retention_hours(spec, lc)
            policy = "compact" if lc.compacted else "delete"
            settings: dict[str, Any] = {
                "cleanup.policy": policy,
                "retention.ms": -1 if hours is None else hours * HOUR_MS,
                "min.insync.replicas": min_isr,
                "unclean.leader.election.enable": False,
            }
            if spec.message_size_bytes + 1024 > 1_048_588:
                # Only ever raise the topic limit above its default (1048588 = 1 MiB + 12 bytes of log overhead).
                settings["max.message.bytes"] = spec.message_size_bytes + 1024
            channels.append(Channel(
                key=lc.key, name=name, kind="topic", role=lc.role, purpose=lc.purpose, partitions=spec.partitions,
                replication_factor=rf, retention_hours=hours, keep_forever=hours is None, cleanup_policy=policy,
                settings=settings, naming_rule=f"{naming.CONVENTION}; Kafka: [a-zA-Z0-9._-], at most 249 characters, no '__' prefix",
            ))
        eos = spec.delivery == "exactly_once"
        amo = spec.delivery == "at_most_once"
        producer: dict[str, Any] = {"acks": "all", "enable.idempotence": True, "max.in.flight.requests.per.connection": 5}
        reasons = {
            "acks": "wait for the full in-sync replica set, so an acknowledged write survives a leader failure",
            "enable.idempotence": "retries cannot duplicate or reorder messages within a partition",
            "max.in.flight.requests.per.connection": "idempotence requires at most 5",
        }
        if amo:
            producer = {"acks": "1", "enable.idempotence": False, "retries": 0}
            reasons = {"acks": "leader-only acknowledgement: at-most-once accepts losing a write on leader failure",
                       "enable.idempotence": "off: no retries, so nothing to deduplicate",
                       "retries": "0: never resend, so never duplicate"}
        if spec.message_size_bytes > 1_000_000:
            # librdkafka's producer limit (message.max.bytes, default 1,000,000) must be raised with the topic's.
            producer["message.max.bytes"] = spec.message_size_bytes + 1024
            reasons["message.max.bytes"] = "raised with the topic's max.message.bytes so large messages are accepted"
        if eos:
            producer["transactional.id"] = f"{spec.domain}-producer-1"
            reasons["transactional.id"] = ("one stable id per producer instance (suffix the instance number): enables "
                                           "transactions and fences zombie instances")
        max_poll = max(300_000, 2 * spec.processing_timeout_ms)
        consumer: dict[str, Any] = {
            "enable.auto.commit": amo,
            "enable.auto.offset.store": amo,
            "auto.offset.reset": "earliest",
            "partition.assignment.strategy": "cooperative-sticky",
            "session.timeout.ms": 45000,
            "heartbeat.interval.ms": 3000,
            "max.poll.interval.ms": max_poll,
        }
        reasons.update({
            "enable.auto.commit": ("true: offsets committed on a timer, possibly before processing (at-most-once)" if amo
                                   else "false: commit only after the message is processed, so a crash replays it"),
            "enable.auto.offset.store": "store the offset explicitly after processing" if not amo else "auto-store",
            "auto.offset.reset": "a new group starts from the oldest retained message instead of skipping history",
            "partition.assignment.strategy": "cooperative rebalancing: consumers keep their partitions during a rebalance",
            "session.timeout.ms": "the Kafka 3.0+ default (45 s); lower means faster failover but more false rebalances",
            "heartbeat.interval.ms": "at most a third of the session timeout",
            "max.poll.interval.ms": f"at least twice the {spec.processing_timeout_ms} ms processing budget (default 300000)",
        })
        if eos:
            consumer["isolation.level"] = "read_committed"
            reasons["isolation.level"] = "read only committed transactional records"
        retry = RetryMapping(
            mechanism="retry topics and a dead-letter topic (non-blocking reprocessing); Kafka has no broker-side DLQ",
            settings={"retry_topics": [c.name for c in channels if c.role == "retry"],
                      "dead_letter_topics": [c.name for c in channels if c.role == "dead_letter"],
                      "delays_ms": spec.retry_policy.backoff.delays_ms},
            steps=_steps(spec, "by republishing to retry topic n, whose consumer waits until the message's due time "
                         "before reprocessing (the main partition is never blocked)", "the .dlq topic"),
            sources=[UBER_RETRY, SPRING_RETRY],
        )
        warnings = []
        if spec.ordering != "none":
            warnings.append(PlanWarning(
                message="Retry topics take a failed message out of its partition, so later messages with the same key "
                        "can overtake it.",
                action="If per-key order must hold through failures, retry in place (pause the partition) for that "
                       "key, or park the key's later messages until the failed one is resolved.",
                severity="medium"))
        return BrokerDesign(
            channels=channels, consumer_groups=spec.consumer_groups,
            client_settings=ClientSettings(client="librdkafka (confluent-kafka)", producer=producer, consumer=consumer,
                                           reasons=reasons, sources=[KAFKA_IDEMPOTENCE, KAFKA_SEMANTICS, KAFKA_POLL,
                                                                     KAFKA_SESSION, KAFKA_ISOLATION, KAFKA_COOPERATIVE,
                                                                     KAFKA_MIN_ISR]),
            retry=retry, warnings=warnings,
            notes=[f"min.insync.replicas={min_isr} with replication factor {rf} and acks=all: writes continue with up "
                   f"to {rf - min_isr} replica(s) down, and an acknowledged write is on at least {min_isr} replicas, so "
                   f"it survives the loss of {min_isr - 1} of them ({KAFKA_MIN_ISR})"],
        )


class RabbitMQDesigner:
    broker_id = "rabbitmq"

    def design(self, spec: DesignInput) -> BrokerDesign:
        by_key = {c.key: c for c in spec.logical_channels}
        suffix = spec.retry_policy.dead_letter_suffix
        variant = spec.variant or ("stream" if spec.use_case == "event_sourcing" else "quorum")
        dlx = naming.rabbitmq_name(f"{spec.domain}.dlx")
        retry_x = naming.rabbitmq_name(f"{spec.domain}.retry")
        attempts = spec.retry_policy.backoff.max_attempts
        # x-delivery-limit counts redeliveries: a limit of N allows N + 1 deliveries (observed on RabbitMQ 3.10).
        delivery_limit = max(0, attempts - 1)
        channels: list[Channel] = []
        rule = f"{naming.CONVENTION}; RabbitMQ: at most 255 bytes, 'amq.' reserved"
        for lc in _main_channels(spec):
            base = naming.rabbitmq_name(logical_name(spec, lc, by_key, suffix))
            fan_out = lc.role in ("events",) and len(_groups_on(spec, lc.key)) > 0
            exchange_type = "topic" if fan_out else "direct"
            channels.append(Channel(key=lc.key, name=base, kind="exchange", role=lc.role, purpose=lc.purpose,
                                    settings={"type": exchange_type, "durable": True},
                                    naming_rule=rule))
            groups = _groups_on(spec, lc.key)
            is_stream = variant == "stream"
            if is_stream:
                # A stream is read non-destructively: every group reads the one stream at its own offset.
                fan_out = False
                groups = []
            for g in groups or [None]:
                qname = naming.rabbitmq_name(f"{base}.{naming.check_service(g.name)}" if g and fan_out else base)
                hours = _retention_hours(spec, lc)
                args: dict[str, Any] = {"x-queue-type": "stream" if is_stream else variant}
                if is_stream:
                    if hours is not None:
                        args["x-max-age"] = f"{hours}h"
                elif variant == "quorum":
                    args["x-quorum-initial-group-size"] = spec.replication_factor
                    args.update({"x-delivery-limit": delivery_limit, "x-dead-letter-exchange": dlx,
                                 "x-dead-letter-routing-key": qname, "x-dead-letter-strategy": "at-least-once",
                                 "x-overflow": "reject-publish"})
                else:
                    args.update({"x-dead-letter-exchange": dlx, "x-dead-letter-routing-key": qname})
                single = spec.ordering == "global" or any(
                    x.strategy == "single_active" for x in _groups_on(spec, lc.key))
                if single and not is_stream:
                    args["x-single-active-consumer"] = True
                channels.append(Channel(
                    key=f"{lc.key}@{g.name}" if g and fan_out else f"{lc.key}@queue", name=qname, kind="queue",
                    role=lc.role, purpose=f"{lc.purpose}" + (f", for {g.name}" if g and fan_out else ""),
                    replication_factor=spec.replication_factor if variant in ("quorum", "stream") else 1,
                    retention_hours=hours if is_stream else None, keep_forever=is_stream and hours is None,
                    cleanup_policy="stream max-age" if is_stream else "deleted on ack",
                    settings={"durable": True, "arguments": args, "bind_to": base,
                              "routing_key": "#" if exchange_type == "topic" else qname},
                    naming_rule=rule))
                if spec.retry_policy.dead_letter_enabled and is_stream and not lc.compacted:
                    # Streams cannot dead-letter: consumers republish failures here (default exchange, by name).
                    days = spec.retry_policy.dead_letter_retention_days
                    channels.append(Channel(
                        key=f"{lc.key}@stream.dlq", name=naming.rabbitmq_name(qname + suffix), kind="queue",
                        role="dead_letter", purpose=f"Failed messages of the {qname} stream, republished by consumers",
                        replication_factor=spec.replication_factor, retention_hours=days * 24,
                        cleanup_policy="stream max-age",
                        settings={"durable": True, "arguments": {"x-queue-type": "stream", "x-max-age": f"{days * 24}h"}},
                        naming_rule=rule))
                if spec.retry_policy.dead_letter_enabled and not is_stream:
                    channels.append(Channel(
                        key=f"{lc.key}@{g.name if g and fan_out else 'queue'}.dlq", name=naming.rabbitmq_name(qname + suffix),
                        kind="queue", role="dead_letter", purpose=f"Dead letters of {qname}",
                        replication_factor=spec.replication_factor if variant == "quorum" else 1,
                        retention_hours=spec.retry_policy.dead_letter_retention_days * 24, cleanup_policy="message TTL",
                        settings={"durable": True, "bind_to": dlx, "routing_key": qname, "arguments": {
                            "x-queue-type": "quorum" if variant == "quorum" else "classic",
                            "x-message-ttl": spec.retry_policy.dead_letter_retention_days * 24 * HOUR_MS}},
                        naming_rule=rule))
                    for i, delay in enumerate(spec.retry_policy.backoff.delays_ms, start=1):
                        channels.append(Channel(
                            key=f"{lc.key}@{g.name if g and fan_out else 'queue'}.retry.{i}",
                            name=naming.rabbitmq_name(f"{qname}.retry.{i}"), kind="queue", role="retry",
                            purpose=f"Wait {delay} ms, then dead-letter back to {qname}",
                            settings={"durable": True, "bind_to": retry_x, "routing_key": f"{qname}.retry.{i}",
                                      "arguments": {"x-queue-type": "classic", "x-message-ttl": delay,
                                                    "x-dead-letter-exchange": "", "x-dead-letter-routing-key": qname}},
                            cleanup_policy="message TTL", naming_rule=rule))
        if spec.retry_policy.dead_letter_enabled and variant != "stream":
            channels.append(Channel(key="dlx", name=dlx, kind="exchange", role="dead_letter",
                                    purpose="Dead-letter exchange: routes each dead letter to its queue's .dlq",
                                    settings={"type": "direct", "durable": True}, naming_rule=rule))
            channels.append(Channel(key="retry", name=retry_x, kind="exchange", role="retry",
                                    purpose="Retry exchange: consumers republish a failed message to <queue>.retry.<n>",
                                    settings={"type": "direct", "durable": True}, naming_rule=rule))
        prefetch = 100
        amo = spec.delivery == "at_most_once"
        producer = {"publisher_confirms": not amo, "delivery_mode": 2, "mandatory": True}
        consumer = {"prefetch_count": prefetch, "auto_ack": amo,
                    "on_retryable_error": "publish to <queue>.retry.<n> via the retry exchange, then ack",
                    "on_non_retryable_error": "basic.reject requeue=false (dead-letters at once)",
                    "on_crash": {"quorum": "unacked deliveries are requeued; x-delivery-limit caps poison messages",
                                 "classic": "unacked deliveries are requeued; count x-death and reject after the last attempt",
                                 "stream": "reading resumes from the last stored offset; the failed message is republished to .dlq"}[variant]}
        reasons = {
            "publisher_confirms": "the broker confirms each message once it is safely stored (a quorum of replicas)",
            "delivery_mode": "2 = persistent", "mandatory": "unroutable messages come back instead of vanishing",
            "prefetch_count": "100-300 usually gives optimal throughput; quorum queues cap effective prefetch at 2,000",
            "auto_ack": "manual acks after processing (at-least-once)" if not amo else "auto-ack: at-most-once",
        }
        warnings = []
        if variant == "stream" and any(lc.compacted for lc in spec.logical_channels):
            warnings.append(PlanWarning(message="RabbitMQ streams cannot compact: the snapshots stream keeps every snapshot.",
                                        action="Keep snapshots in a database table keyed by aggregate id, or trim the "
                                               "stream by max-age.", severity="medium"))
        if spec.delivery == "exactly_once":
            warnings.append(PlanWarning(message="RabbitMQ has no exactly-once delivery; redeliveries happen.",
                                        action="Deduplicate on event_id in the consumer (inbox table) to get effectively-once processing.",
                                        severity="high"))
        if variant == "quorum":
            mechanism = (f"quorum queues with x-delivery-limit={delivery_limit} (redeliveries, so {attempts} deliveries "
                         f"in all) and a dead-letter exchange ({dlx}); delayed retries through TTL wait queues that "
                         "dead-letter back to the work queue")
        elif variant == "classic":
            mechanism = (f"classic queues with a dead-letter exchange ({dlx}) for rejected messages and TTL wait queues "
                         "for delayed retries; classic queues have no delivery limit, so the consumer counts attempts "
                         "(x-death count) and rejects with requeue=false after the last one")
            warnings.append(PlanWarning(
                message="Classic queues have no delivery limit: a message that crashes its consumer is requeued forever.",
                action="Use quorum queues (x-delivery-limit), or have consumers check the x-death count and "
                       "reject(requeue=false) after the last attempt.", severity="medium"))
        else:
            mechanism = ("streams cannot dead-letter or limit deliveries: the consumer republishes a failed message to "
                         "the .dlq stream, records its offset and moves on")
        retry = RetryMapping(
            mechanism=mechanism,
            settings={"x-delivery-limit": delivery_limit, "dead_letter_exchange": dlx, "retry_exchange": retry_x,
                      "x-dead-letter-strategy": "at-least-once", "delays_ms": spec.retry_policy.backoff.delays_ms},
            steps=_steps(spec, "through the retry exchange into <queue>.retry.<n>, whose message TTL dead-letters it "
                         "back to the queue", "<queue>.dlq through the dead-letter exchange (also when the delivery "
                         "limit is hit by crashes or requeues)"),
            sources=[RMQ_POISON, RMQ_DLX, RMQ_QQ_DLX, RMQ_TTL],
        )
        return BrokerDesign(
            channels=channels, consumer_groups=spec.consumer_groups,
            client_settings=ClientSettings(client="AMQP 0-9-1 (pika / aio-pika)", producer=producer, consumer=consumer,
                                           reasons=reasons, sources=[RMQ_CONFIRMS, RMQ_PREFETCH, RMQ_QUORUM, RMQ_SAC]),
            retry=retry, warnings=warnings,
            notes=[f"queue type {variant}" + (": replicated with Raft, default 3 replicas" if variant == "quorum" else "")],
        )


class SQSDesigner:
    broker_id = "sqs"

    def design(self, spec: DesignInput) -> BrokerDesign:
        by_key = {c.key: c for c in spec.logical_channels}
        fifo = spec.variant in ("fifo", "fifo_high_throughput") or (
            spec.variant is None and (spec.ordering != "none" or spec.delivery == "exactly_once"))
        high = spec.variant == "fifo_high_throughput"
        visibility = max(30, math.ceil(spec.processing_timeout_ms / 1000))
        retention_s = min(1_209_600, (spec.retention_hours or 96) * 3600)
        rule = f"{naming.CONVENTION} with '-' for '.'; SQS: [A-Za-z0-9_-], at most 80 characters" + (
            ", '.fifo' suffix" if fifo else "")
        channels: list[Channel] = []
        for lc in _main_channels(spec):
            base = logical_name(spec, lc, by_key, spec.retry_policy.dead_letter_suffix)
            groups = _groups_on(spec, lc.key)
            fan_out = lc.role == "events" and len(groups) > 0
            topic = naming.sqs_queue(base, fifo) if fan_out else None
            if fan_out and topic:
                channels.append(Channel(key=lc.key, name=topic, kind="topic", role=lc.role, purpose=f"SNS topic: {lc.purpose}",
                                        settings={"FifoTopic": fifo, "service": "SNS"}, naming_rule=rule))
            for g in groups or [None]:
                qbase = f"{base}.{naming.check_service(g.name)}" if fan_out and g else base
                dlq_name = naming.sqs_queue(qbase + "-dlq", fifo)
                qname = naming.sqs_queue(qbase, fifo)
                attrs: dict[str, Any] = {
                    "VisibilityTimeout": visibility,
                    "MessageRetentionPeriod": retention_s,
                    "ReceiveMessageWaitTimeSeconds": 20,
                }
                if fifo:
                    attrs.update({"FifoQueue": True, "ContentBasedDeduplication": False})
                    if high:
                        attrs.update({"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
                if spec.retry_policy.dead_letter_enabled:
                    attrs["RedrivePolicy"] = {"deadLetterTargetArn": f"arn-of:{dlq_name}",
                                              "maxReceiveCount": spec.retry_policy.backoff.max_attempts}
                key = f"{lc.key}@{g.name}" if fan_out and g else f"{lc.key}@queue"
                channels.append(Channel(key=key, name=qname, kind="queue", role=lc.role,
                                        purpose=lc.purpose + (f", for {g.name}" if fan_out and g else ""),
                                        retention_hours=retention_s // 3600, cleanup_policy="deleted on DeleteMessage",
                                        settings={"attributes": attrs, "subscribes_to": topic},
                                        naming_rule=rule))
                if spec.retry_policy.dead_letter_enabled:
                    dattrs: dict[str, Any] = {"MessageRetentionPeriod": 1_209_600}
                    if fifo:
                        dattrs["FifoQueue"] = True
                    channels.append(Channel(key=key + ".dlq", name=dlq_name, kind="queue", role="dead_letter",
                                            purpose=f"Dead letters of {qname}", retention_hours=336,
                                            cleanup_policy="14-day retention (maximum)", settings={"attributes": dattrs},
                                            naming_rule=rule))
        warnings = []
        if fifo and spec.ordering != "none" and spec.retry_policy.dead_letter_enabled:
            warnings.append(PlanWarning(
                message="A dead-letter queue on a FIFO queue can break strict ordering: a message moved to the DLQ "
                        "lets later messages of its group through.",
                action="If exact order matters more than progress, drop the redrive policy and alert on stuck groups; "
                       "otherwise keep it and make consumers tolerate a gap.", severity="medium"))
        if fifo and not high and spec.throughput_msg_per_s > 3000:
            warnings.append(PlanWarning(
                message=f"{spec.throughput_msg_per_s:,} msg/s exceeds a FIFO queue's 3,000 msg/s per API action "
                        "(300 TPS with 10-message batches); SQS throttles the excess.",
                action="Use sqs.fifo_high_throughput with many distinct MessageGroupIds.", severity="high"))
        if not fifo and spec.retry_policy.dead_letter_enabled and retention_s >= 1_209_600:
            warnings.append(PlanWarning(
                message="The source queue keeps messages 14 days, the DLQ's maximum too: a standard queue keeps the "
                        "original enqueue time on redrive, so dead letters near that age expire almost at once.",
                action="Keep the source queue's retention well below 14 days so the DLQ holds messages long enough "
                       "to inspect and redrive.", severity="medium"))
        if spec.delivery == "exactly_once" and not fifo:
            warnings.append(PlanWarning(message="SQS standard queues deliver at least once; exactly-once needs FIFO.",
                                        action="Use a FIFO queue with MessageDeduplicationId = event_id.", severity="high"))
        if spec.retention_hours and spec.retention_hours * 3600 > 1_209_600:
            warnings.append(PlanWarning(message=f"Retention of {spec.retention_hours} h exceeds SQS's 14-day maximum; capped.",
                                        action="Archive messages elsewhere (S3) or choose a log-based broker.", severity="high"))
        producer = {"MessageGroupId": "aggregate_id" if fifo else None,
                    "MessageDeduplicationId": "event_id" if fifo else None, "batch_size": 10}
        consumer = {"WaitTimeSeconds": 20, "MaxNumberOfMessages": 10, "VisibilityTimeout": visibility,
                    "delete_after": "processing succeeds (DeleteMessage)",
                    "on_retryable_error": "ChangeMessageVisibility to the backoff delay, leave undeleted"}
        reasons = {
            "MessageGroupId": "per-key order: messages of one group are processed one at a time, in order",
            "MessageDeduplicationId": "duplicates with the same id within 5 minutes are dropped",
            "batch_size": "up to 10 messages per SendMessageBatch",
            "WaitTimeSeconds": "long polling (maximum 20 s) instead of empty short polls",
            "VisibilityTimeout": f"covers the {spec.processing_timeout_ms} ms processing budget; extend with "
                                 "ChangeMessageVisibility for longer jobs (up to 12 h)",
        }
        retry = RetryMapping(
            mechanism=f"redrive policy: after maxReceiveCount={spec.retry_policy.backoff.max_attempts} receives the "
                      "message moves to the DLQ; backoff by extending the visibility timeout",
            settings={"maxReceiveCount": spec.retry_policy.backoff.max_attempts, "delays_ms": spec.retry_policy.backoff.delays_ms,
                      "dlq_retention_seconds": 1_209_600},
            steps=_steps(spec, "by setting the message's visibility timeout to the delay (ChangeMessageVisibility) and "
                         "not deleting it", "the -dlq queue by the redrive policy"),
            sources=[SQS_DLQ, SQS_DLQ_RETENTION, SQS_VISIBILITY],
        )
        return BrokerDesign(
            channels=channels, consumer_groups=spec.consumer_groups,
            client_settings=ClientSettings(client="AWS SDK (boto3)", producer=producer, consumer=consumer, reasons=reasons,
                                           sources=[SQS_FIFO, SQS_QUOTAS, SQS_LONG_POLL, SQS_VISIBILITY]),
            retry=retry, warnings=warnings,
            notes=["FIFO" + (" high-throughput" if high else "") + " queues" if fifo else "standard queues",
                   "DLQ retention is the 14-day maximum: standard queues keep the original enqueue timestamp on redrive"],
        )


class NATSDesigner:
    broker_id = "nats_jetstream"

    def design(self, spec: DesignInput) -> BrokerDesign:
        by_key = {c.key: c for c in spec.logical_channels}
        b = spec.retry_policy.backoff
        channels: list[Channel] = []
        rule = f"{naming.CONVENTION}; subject dotted; stream name upper-case with '_' (no '.', '*', '>')"
        replicas = min(5, spec.replication_factor)
        for lc in _main_channels(spec):
            base = logical_name(spec, lc, by_key, spec.retry_policy.dead_letter_suffix)
            subject = naming.nats_subject(base)
            stream = naming.nats_stream(base)
            hours = _retention_hours(spec, lc)
            retention = "workqueue" if lc.role in ("jobs", "commands", "requests") else "limits"
            channels.append(Channel(
                key=lc.key, name=stream, kind="stream", role=lc.role, purpose=lc.purpose, replication_factor=replicas,
                retention_hours=hours, keep_forever=hours is None, cleanup_policy=retention,
                settings={"subjects": [subject], "retention": retention, "storage": "file", "num_replicas": replicas,
                          "max_age_ns": 0 if hours is None else hours * HOUR_MS * 1_000_000,
                          "duplicate_window_ns": 120 * 1_000_000_000, "discard": "old"},
                naming_rule=rule))
            if spec.retry_policy.dead_letter_enabled:
                dlq_stream = naming.nats_stream(base + "_dlq")
                adv = [f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{naming.nats_consumer(g.name)}"
                       for g in _groups_on(spec, lc.key)]
                adv += [f"$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.{stream}.{naming.nats_consumer(g.name)}"
                        for g in _groups_on(spec, lc.key)]
                if adv:
                    channels.append(Channel(
                        key=f"{lc.key}.dlq", name=dlq_stream, kind="stream", role="dead_letter",
                        purpose=f"Dead-letter advisories of {stream}: each names the stream sequence of a message that "
                                "exhausted max_deliver or was terminated",
                        replication_factor=replicas, retention_hours=spec.retry_policy.dead_letter_retention_days * 24,
                        cleanup_policy="limits",
                        settings={"subjects": adv, "retention": "limits", "storage": "file", "num_replicas": replicas,
                                  "max_age_ns": spec.retry_policy.dead_letter_retention_days * 24 * HOUR_MS * 1_000_000},
                        naming_rule=rule))
        consumers = {}
        ack_wait_ns = spec.processing_timeout_ms * 1_000_000
        for g in spec.consumer_groups:
            consumers[naming.nats_consumer(g.name)] = {
                "stream": next(c.name for c in channels if c.key == g.channel),
                "durable_name": naming.nats_consumer(g.name),
                "ack_policy": "none" if spec.delivery == "at_most_once" else "explicit",
                "ack_wait_ns": ack_wait_ns, "max_deliver": b.max_attempts,
                # With a backoff list the server uses backoff[n] as the ack wait of delivery n, so each entry is the
                # processing budget plus the retry delay: a slow message is never redelivered mid-processing.
                "backoff_ns": [ack_wait_ns + d * 1_000_000 for d in b.delays_ms],
                "max_ack_pending": 1 if g.strategy == "single_active" else 1000,
                "deliver_policy": "all", "filter_subject": next(
                    c.settings["subjects"][0] for c in channels if c.key == g.channel),
            }
        producer = {"Nats-Msg-Id": "event_id", "publish": "js.publish() and wait for the PubAck"}
        consumer = {"consumers": consumers, "pull": "fetch batches; ack after processing; nak() for retryable "
                    "errors (redelivered after the backoff entry); term() for non-retryable ones"}
        reasons = {
            "Nats-Msg-Id": "duplicates with the same id inside the 2-minute duplicate window are dropped",
            "ack_policy": "explicit acks (at-least-once)", "max_deliver": "bounds delivery attempts per message",
            "backoff_ns": "per-delivery ack wait: processing budget + retry delay (the server uses it instead of ack_wait)",
            "max_ack_pending": "caps unacknowledged messages in flight (1 for a single active consumer keeps order)",
        }
        retry = RetryMapping(
            mechanism=f"consumer max_deliver={b.max_attempts} with a backoff schedule; exhausted or terminated "
                      "messages raise advisories captured by a dead-letter stream",
            settings={"max_deliver": b.max_attempts, "backoff_ms": b.delays_ms},
            steps=_steps(spec, "by the server (nak or missed ack, then backoff)", "the _DLQ stream (advisory with the "
                         "stream sequence; fetch the original by sequence)"),
            sources=[NATS_CONSUMERS, NATS_ADVISORIES, NATS_DEDUP],
        )
        warnings = []
        if replicas > 1:
            warnings.append(PlanWarning(message=f"num_replicas={replicas} needs a clustered JetStream with at least "
                                        f"{replicas} servers; a single server rejects it.",
                                        action="Pass options.replication_factor=1 for a single-server development setup.",
                                        severity="info"))
        return BrokerDesign(
            channels=channels, consumer_groups=spec.consumer_groups,
            client_settings=ClientSettings(client="nats.py JetStream", producer=producer, consumer=consumer,
                                           reasons=reasons, sources=[NATS_STREAMS, NATS_CONSUMERS, NATS_DEDUP]),
            retry=retry, warnings=warnings,
        )


class RedisDesigner:
    broker_id = "redis_streams"

    def design(self, spec: DesignInput) -> BrokerDesign:
        by_key = {c.key: c for c in spec.logical_channels}
        channels: list[Channel] = []
        rule = f"{naming.CONVENTION} with ':' for '.'; Redis keys are binary-safe, the planner emits [a-z0-9:_.-]"
        for lc in spec.logical_channels:
            if lc.role == "retry":
                continue
            key = naming.redis_key(logical_name(spec, lc, by_key, spec.retry_policy.dead_letter_suffix))
            hours = _retention_hours(spec, lc)
            memory = None if hours is None else spec.throughput_msg_per_s * hours * 3600 * spec.message_size_bytes
            channels.append(Channel(
                key=lc.key, name=key, kind="stream", role=lc.role, purpose=lc.purpose, retention_hours=hours,
                keep_forever=hours is None, cleanup_policy="none" if hours is None else "XTRIM MINID ~ (now - retention)",
                settings={"groups": [g.name for g in _groups_on(spec, lc.key)], "trim_minid_age_ms":
                          None if hours is None else hours * HOUR_MS, "estimated_memory_bytes": memory},
                naming_rule=rule))
        b = spec.retry_policy.backoff
        producer = {"XADD": "XADD <stream> * envelope <json> (id is the time-ordered entry id)"}
        consumer = {"XREADGROUP": "GROUP <group> <consumer> COUNT 100 BLOCK 5000 STREAMS <stream> >",
                    "ack": "XACK after processing" if spec.delivery != "at_most_once" else "NOACK",
                    "reclaim": f"XAUTOCLAIM <stream> <group> <consumer> {spec.processing_timeout_ms} 0-0 COUNT 100",
                    "dead_letter_after_deliveries": b.max_attempts}
        reasons = {"XREADGROUP": "'>' delivers new entries and records them in the pending entries list (PEL)",
                   "reclaim": "entries idle longer than the processing budget are claimed by a live consumer",
                   "dead_letter_after_deliveries": "XPENDING's delivery count bounds retries; then XADD to .dlq and XACK"}
        retry = RetryMapping(
            mechanism="pending entries list: unacked entries are reclaimed with XAUTOCLAIM; after max deliveries "
                      "the consumer copies the entry to the dead-letter stream and acknowledges it",
            settings={"min_idle_time_ms": spec.processing_timeout_ms, "max_deliveries": b.max_attempts},
            steps=_steps(spec, "by leaving the entry unacknowledged until XAUTOCLAIM reclaims it (no per-entry "
                         "delay: the idle time is the backoff floor)", "the :dlq stream"),
            sources=[REDIS_XREADGROUP, REDIS_XAUTOCLAIM, REDIS_XTRIM],
        )
        return BrokerDesign(channels=channels, consumer_groups=spec.consumer_groups,
                            client_settings=ClientSettings(client="redis-py", producer=producer, consumer=consumer,
                                                           reasons=reasons, sources=[REDIS_XREADGROUP, REDIS_XAUTOCLAIM]),
                            retry=retry,
                            warnings=[PlanWarning(
                                message="Redis keeps streams in memory: the retained entries need about "
                                        + (f"{max(c.settings['estimated_memory_bytes'] or 0 for c in channels) / 1e9:,.1f} GB "
                                           "(rate x retention x message size, before per-entry overhead)."
                                           if any(c.settings.get("estimated_memory_bytes") for c in channels)
                                           else "as much memory as the whole log, kept without end."),
                                action="Trim by MINID to the retention, shorten retention, or keep the long tail in a "
                                       "log store; monitor used_memory.",
                                severity="medium" if spec.retention_hours and spec.retention_hours > 24 else "low")])


class PulsarDesigner:
    broker_id = "pulsar"

    def design(self, spec: DesignInput) -> BrokerDesign:
        by_key = {c.key: c for c in spec.logical_channels}
        channels: list[Channel] = []
        rule = f"{naming.CONVENTION}; Pulsar: persistent://tenant/namespace/topic"
        for lc in _main_channels(spec):
            name = naming.pulsar_topic(logical_name(spec, lc, by_key, spec.retry_policy.dead_letter_suffix))
            hours = _retention_hours(spec, lc)
            channels.append(Channel(
                key=lc.key, name=name, kind="topic", role=lc.role, purpose=lc.purpose, partitions=spec.partitions,
                retention_hours=hours, keep_forever=hours is None, cleanup_policy="retention policy",
                settings={"retention_time": "-1" if hours is None else f"{hours}h", "retention_size": "-1"},
                naming_rule=rule))
        subs = {}
        for g in spec.consumer_groups:
            if g.strategy == "single_active":
                sub_type = "Failover"
            elif spec.ordering == "partition":
                sub_type = "Key_Shared" if g.strategy in ("competing_consumers",) else "Failover"
            elif g.strategy in ("competing_consumers",):
                sub_type = "Shared"
            else:
                sub_type = "Failover" if spec.ordering != "none" else "Shared"
            topic = next(c.name for c in channels if c.key == g.channel)
            subs[g.name] = {"topic": topic, "subscription_type": sub_type}
            if spec.retry_policy.dead_letter_enabled:
                # maxRedeliverCount counts redeliveries: max_attempts deliveries in all.
                subs[g.name].update({"dead_letter_topic": f"{topic}-{g.name}-DLQ",
                                     "retry_letter_topic": f"{topic}-{g.name}-RETRY",
                                     "max_redeliver_count": max(0, spec.retry_policy.backoff.max_attempts - 1)})
            if spec.retry_policy.dead_letter_enabled:
                channels.append(Channel(key=f"{g.channel}@{g.name}.dlq", name=f"{topic}-{g.name}-DLQ", kind="topic",
                                        role="dead_letter", purpose=f"Dead letters of subscription {g.name}",
                                        retention_hours=spec.retry_policy.dead_letter_retention_days * 24,
                                        cleanup_policy="retention policy", settings={}, naming_rule=rule + "; DLQ default <topic>-<subscription>-DLQ"))
        key_shared = any(sub["subscription_type"] == "Key_Shared" for sub in subs.values())
        producer = {"send_timeout_millis": 30000, "batching_enabled": True,
                    "message_key": "aggregate_id" if spec.ordering != "none" else None}
        if key_shared:
            producer["batching_type"] = "KeyBased"
        consumer = {"subscriptions": subs, "negative_ack_redelivery_delay_ms": spec.retry_policy.backoff.initial_delay_ms,
                    "enable_retry": spec.retry_policy.dead_letter_enabled}
        if spec.delivery == "exactly_once":
            producer["transactions"] = "enabled (broker transactionCoordinatorEnabled=true) with topic deduplication"
        reasons = {"message_key": "a key is hashed to a fixed partition: per-key order",
                   "subscription_type": "Failover/Exclusive keep order; Key_Shared spreads keys over consumers in order; "
                                        "Shared is round-robin with no order",
                   "max_redeliver_count": "redeliveries before the dead-letter topic (max_attempts - 1)",
                   "batching_type": "KeyBased batches hold one key each, as Key_Shared dispatch requires",
                   "enable_retry": "retry-letter topic with reconsumeLater: Java and Go clients; the Python client "
                                   "redelivers with negative_acknowledge after negative_ack_redelivery_delay_ms"}
        retry = RetryMapping(
            mechanism="client dead-letter policy (maxRedeliverCount, deadLetterTopic) and a retry-letter topic "
                      "(reconsumeLater with the backoff delays)",
            settings={"max_redeliver_count": max(0, spec.retry_policy.backoff.max_attempts - 1),
                      "delays_ms": spec.retry_policy.backoff.delays_ms},
            steps=_steps(spec, "through the retry-letter topic (reconsumeLater(delay))", "the <topic>-<subscription>-DLQ topic"),
            sources=[PULSAR_DLQ, PULSAR_RETRY, PULSAR_SUBS],
        )
        warnings = []
        ordered_subs = sorted(n for n, sub in subs.items() if sub["subscription_type"] in ("Failover", "Exclusive"))
        if ordered_subs and spec.retry_policy.dead_letter_enabled:
            warnings.append(PlanWarning(
                message=f"Subscriptions {', '.join(ordered_subs)} are Failover (ordered); a Pulsar maintainer reported "
                        "the client dead-letter policy as disabled for Failover and Exclusive subscriptions "
                        "(apache/pulsar#4100, 2019), and negative acks on ordered subscriptions redeliver out of order.",
                action="Check the dead-letter policy on your Pulsar version; otherwise publish a failed message to the "
                       "-DLQ topic from the consumer and acknowledge it, instead of negative-acking.",
                severity="medium"))
        if spec.delivery == "exactly_once":
            warnings.append(PlanWarning(message="Pulsar transactions are disabled by default.",
                                        action="Set transactionCoordinatorEnabled=true and systemTopicEnabled=true on "
                                               "the brokers, initialise the coordinator metadata, and enable deduplication.",
                                        severity="medium"))
        return BrokerDesign(channels=channels, consumer_groups=spec.consumer_groups,
                            client_settings=ClientSettings(client="pulsar-client (Python)", producer=producer,
                                                           consumer=consumer, reasons=reasons,
                                                           sources=[PULSAR_SUBS, PULSAR_DLQ, PULSAR_TXN, PULSAR_PARTITIONED]),
                            retry=retry, warnings=warnings)


DESIGNERS: dict[str, Any] = {d.broker_id: d for d in (KafkaDesigner(), RabbitMQDesigner(), SQSDesigner(),
                                                      NATSDesigner(), RedisDesigner(), PulsarDesigner())}

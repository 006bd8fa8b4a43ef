"""Kafka: topics with their configs, librdkafka producer and consumer settings, retry topics and a dead-letter topic."""

from __future__ import annotations

from typing import Any

from event_driven.core.topology import models, naming
from event_driven.core.topology.designers import common
from event_driven.kb.loader import KnowledgeBase
from event_driven.vocab import BrokerId

# Headers a consumer group writes on a record it moves to its retry or dead-letter topic.
DEAD_LETTER_HEADERS = ["x-failed-group", "x-original-topic", "x-original-partition", "x-original-offset",
                       "x-attempt", "x-error-class"]
# Headroom added to the message size for the record's own overhead when a limit must be raised.
RECORD_OVERHEAD_BYTES = 1024


def _min_isr(kb: KnowledgeBase, rf: int) -> int:
    """The recommended min.insync.replicas, but always one below the replication factor so writes survive a loss."""
    return max(1, min(int(kb.patterns.sizing.min_insync_replicas.value), rf - 1))


def _failure_topic_names(spec: models.DesignInput, lc: models.LogicalChannel,
                         by_key: dict[str, models.LogicalChannel]) -> list[tuple[str, str, str]]:
    """(key, name, purpose) of a retry tier or dead-letter channel: one per consumer group of the channel it serves.

    Kafka retry and dead-letter topics are the application's: shared by every group, one group's failure would be
    reprocessed by the others and the dead letter would not say which group failed. Per group, neither happens."""
    parent = lc.retry_of or lc.dead_letter_of or ""
    base = common.logical_name(spec, by_key[parent], by_key, spec.retry_policy.dead_letter_suffix)
    tail = f".retry.{lc.key.rsplit('.', 1)[1]}" if lc.retry_of else spec.retry_policy.dead_letter_suffix
    groups = common.groups_on(spec, parent)
    if not groups:
        return [(lc.key, naming.kafka_topic(base + tail), lc.purpose)]
    # Keys as on the other brokers: <channel>@<group>.retry.<n> and <channel>@<group>.dlq.
    return [(f"{parent}@{g.name}{lc.key[len(parent):]}",
             naming.kafka_topic(f"{base}.{naming.check_service(g.name)}{tail}"),
             f"{lc.purpose}, for group {g.name} only") for g in groups]


def _topic_names(spec: models.DesignInput, lc: models.LogicalChannel,
                 by_key: dict[str, models.LogicalChannel]) -> list[tuple[str, str, str]]:
    if lc.role in ("retry", "dead_letter"):
        return _failure_topic_names(spec, lc, by_key)
    suffix = spec.retry_policy.dead_letter_suffix
    return [(lc.key, naming.kafka_topic(common.logical_name(spec, lc, by_key, suffix)), lc.purpose)]


def _topics(spec: models.DesignInput, kb: KnowledgeBase) -> list[models.Channel]:
    by_key = {c.key: c for c in spec.logical_channels}
    min_isr = _min_isr(kb, spec.replication_factor)
    topic_limit = common.threshold(kb, "kafka_default_max_message_bytes")
    channels = []
    for lc in spec.logical_channels:
        hours = common.retention_hours(spec, lc)
        policy = "compact" if lc.compacted else "delete"
        settings: dict[str, Any] = {
            "cleanup.policy": policy,
            "retention.ms": -1 if hours is None else hours * common.HOUR_MS,
            "min.insync.replicas": min_isr,
            "unclean.leader.election.enable": False,
        }
        if spec.message_size_bytes + RECORD_OVERHEAD_BYTES > topic_limit:
            # Only ever raise the topic limit above its default (1 MiB + 12 bytes of log overhead).
            settings["max.message.bytes"] = spec.message_size_bytes + RECORD_OVERHEAD_BYTES
        for key, name, purpose in _topic_names(spec, lc, by_key):
            channels.append(models.Channel(
                key=key, name=name, kind="topic", role=lc.role, purpose=purpose, partitions=spec.partitions,
                replication_factor=spec.replication_factor, retention_hours=hours, keep_forever=hours is None,
                cleanup_policy=policy, settings=dict(settings),
                naming_rule=f"{naming.CONVENTION}; Kafka: [a-zA-Z0-9._-], at most 249 characters, no '__' prefix",
            ))
    return channels


def _producer(spec: models.DesignInput, kb: KnowledgeBase) -> tuple[dict[str, Any], dict[str, str]]:
    producer: dict[str, Any] = {"acks": "all", "enable.idempotence": True, "max.in.flight.requests.per.connection": 5}
    reasons = {
        "acks": "wait for the full in-sync replica set, so an acknowledged write survives a leader failure",
        "enable.idempotence": "retries cannot duplicate or reorder messages within a partition",
        "max.in.flight.requests.per.connection": "idempotence requires at most 5",
    }
    if spec.delivery == "at_most_once":
        producer = {"acks": "1", "enable.idempotence": False, "retries": 0}
        reasons = {"acks": "leader-only acknowledgement: at-most-once accepts losing a write on leader failure",
                   "enable.idempotence": "off: no retries, so nothing to deduplicate",
                   "retries": "0: never resend, so never duplicate"}
    if spec.message_size_bytes > kb.patterns.clients.librdkafka_message_max_bytes.value:
        # librdkafka's producer limit (message.max.bytes) must be raised with the topic's.
        producer["message.max.bytes"] = spec.message_size_bytes + RECORD_OVERHEAD_BYTES
        reasons["message.max.bytes"] = "raised with the topic's max.message.bytes so large messages are accepted"
    if spec.ordering != "none":
        producer["partitioner"] = "murmur2_random"
        reasons["partitioner"] = ("the Java client's murmur2 key hash: librdkafka's default (consistent_random, "
                                  "CRC32) places keys on other partitions, so mixed Java and librdkafka producers "
                                  "would split one key over two partitions and break its order")
    if spec.delivery == "exactly_once":
        producer["transactional.id"] = f"{spec.domain}-producer-{{instance}}"
        reasons["transactional.id"] = ("a template: replace {instance} with the instance's stable ordinal (e.g. the "
                                       "pod ordinal). One fixed id shared by every instance would fence them against "
                                       "each other; a stable id per instance fences only its own zombie")
    return producer, reasons


def _consumer(spec: models.DesignInput, kb: KnowledgeBase) -> tuple[dict[str, Any], dict[str, str]]:
    amo = spec.delivery == "at_most_once"
    # Documented Kafka client defaults have one home, knowledge/failure_modes.yaml documented_defaults, which the
    # config audit and diagnosis compare against too.
    default_poll = int(kb.failure_modes.default("kafka_max_poll_interval_ms").value)
    max_poll = max(default_poll, 2 * spec.processing_timeout_ms,
                   spec.workload.ack_deadline_ms)
    consumer: dict[str, Any] = {
        "enable.auto.commit": amo,
        "enable.auto.offset.store": amo,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "cooperative-sticky",
        "session.timeout.ms": int(common.broker_figure(kb, "kafka", "session_timeout_default_after")),
        "heartbeat.interval.ms": int(kb.failure_modes.default("kafka_heartbeat_interval_ms").value),
        "max.poll.interval.ms": max_poll,
    }
    reasons = {
        "enable.auto.commit": ("true: offsets committed on a timer, possibly before processing (at-most-once)" if amo
                               else "false: commit only after the message is processed, so a crash replays it"),
        "enable.auto.offset.store": "store the offset explicitly after processing" if not amo else "auto-store",
        "auto.offset.reset": "a new group starts from the oldest retained message instead of skipping history",
        "partition.assignment.strategy": "cooperative rebalancing: consumers keep their partitions during a rebalance",
        "session.timeout.ms": "the Kafka 3.0+ default (45 s); lower means faster failover but more false rebalances",
        "heartbeat.interval.ms": "at most a third of the session timeout",
        "max.poll.interval.ms": f"at least twice the {spec.processing_timeout_ms} ms processing budget "
                                f"(default {default_poll})",
    }
    if spec.delivery == "exactly_once":
        consumer["isolation.level"] = "read_committed"
        reasons["isolation.level"] = "read only committed transactional records"
    return consumer, reasons


def _retry(spec: models.DesignInput, kb: KnowledgeBase, channels: list[models.Channel]) -> models.RetryMapping:
    return models.RetryMapping(
        mechanism="retry topics and a dead-letter topic (non-blocking reprocessing); Kafka has no broker-side DLQ",
        settings={"retry_topics": [c.name for c in channels if c.role == "retry"],
                  "dead_letter_topics": [c.name for c in channels if c.role == "dead_letter"],
                  "delays_ms": spec.retry_policy.backoff.delays_ms,
                  # Written on every record a group moves to its retry or dead-letter topic: which group failed,
                  # where and why.
                  "dead_letter_headers": DEAD_LETTER_HEADERS},
        steps=common.steps(spec, "by republishing to the group's own retry topic n, whose consumer (the same group) "
                           "waits until the message's due time before reprocessing (the main partition is never "
                           "blocked, and no other group sees the retry)",
                           "the group's own .dlq topic, with headers naming the group, the original topic, partition "
                           "and offset, the attempt count and the error class"),
        sources=common.urls(kb, "uber-blog-reliable-reprocessing", "docs-retrytopic-topic-naming",
                            "gh-confluentinc-librdkafka-configuration"),
    )


LONG_RETENTION_HOURS = 30 * 24  # beyond a month on broker disks, the long tail belongs in tiered storage


def _tiered_storage(spec: models.DesignInput, kb: KnowledgeBase,
                    channels: list[models.Channel]) -> list[models.PlanWarning]:
    long = [c.name for c in channels if c.role not in ("retry", "dead_letter") and c.cleanup_policy == "delete"
            and (c.keep_forever or (c.retention_hours or 0) > LONG_RETENTION_HOURS)]
    if not long:
        return []
    return [models.PlanWarning(
        message=f"{', '.join(long)} keep{'s' if len(long) == 1 else ''} data for more than a month"
                + (" (without end)" if spec.retention_hours is None else "") + ": on broker disks alone the "
                "partitions grow without bound and a replacement broker re-copies all of it.",
        action=f"Enable tiered storage (Kafka 3.9+, remote.log.storage.system.enable=true on the brokers, "
               f"remote.storage.enable=true and local.retention.ms on these topics; not for compacted topics): "
               f"{kb.sources.url('kafka-tiered-storage')}.", severity="medium")]


class KafkaDesigner:
    broker_id: BrokerId = "kafka"

    def design(self, spec: models.DesignInput, kb: KnowledgeBase) -> models.BrokerDesign:
        channels = _topics(spec, kb)
        producer, reasons = _producer(spec, kb)
        consumer, consumer_reasons = _consumer(spec, kb)
        reasons.update(consumer_reasons)
        warnings = []
        if spec.ordering != "none":
            warnings.append(models.PlanWarning(
                message="Retry topics take a failed message out of its partition, so later messages with the same key "
                        "can overtake it.",
                action="If per-key order must hold through failures, retry in place (pause the partition) for that "
                       "key, or park the key's later messages until the failed one is resolved.",
                severity="medium"))
        warnings += _tiered_storage(spec, kb, channels)
        rf, min_isr = spec.replication_factor, _min_isr(kb, spec.replication_factor)
        min_isr_url = kb.sources.url("kafka-topicconfigs-min-insync-replicas")
        return models.BrokerDesign(
            channels=channels, consumer_groups=spec.consumer_groups,
            client_settings=models.ClientSettings(
                client="librdkafka (confluent-kafka)", producer=producer, consumer=consumer, reasons=reasons,
                sources=common.urls(kb, "kafka-producerconfigs-enable-idempotence", "kafka-semantics",
                             "kafka-consumerconfigs-max-poll-interval-ms", "kafka-consumerconfigs-session-timeout-ms",
                             "kafka-consumerconfigs-isolation-level",
                             "kip-kafka-kip-429-3a-kafka-consumer-incremental-rebalance-protoc",
                             "kafka-topicconfigs-min-insync-replicas")),
            retry=_retry(spec, kb, channels), warnings=warnings,
            notes=[f"min.insync.replicas={min_isr} with replication factor {rf} and acks=all: writes continue with up "
                   f"to {rf - min_isr} replica(s) down, and an acknowledged write is on at least {min_isr} replicas, "
                   f"so "
                   f"it survives the loss of {min_isr - 1} of them ({min_isr_url})"],
        )

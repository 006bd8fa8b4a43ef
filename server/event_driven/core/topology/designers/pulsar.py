"""Apache Pulsar: partitioned topics with retention, one subscription per group (type by ordering), per-subscription
retry-letter and dead-letter topics."""

from __future__ import annotations

from typing import Any

from event_driven.core.topology import models, naming
from event_driven.core.topology.designers import common
from event_driven.kb.loader import KnowledgeBase
from event_driven.vocab import BrokerId

RULE = f"{naming.CONVENTION}; Pulsar: persistent://tenant/namespace/topic"
SEND_TIMEOUT_MS = 30000  # the Pulsar client's default send timeout, kept explicit


def _subscription_type(spec: models.DesignInput, g: models.ConsumerGroup) -> str:
    if g.strategy == "single_active":
        return "Failover"
    if spec.ordering == "partition":
        return "Key_Shared" if g.strategy == "competing_consumers" else "Failover"
    if g.strategy == "competing_consumers":
        return "Shared"
    return "Failover" if spec.ordering != "none" else "Shared"


def persistence(spec: models.DesignInput, kb: KnowledgeBase) -> dict[str, float]:
    """BookKeeper copies that match the planned replication: without it the broker default (two) applies."""
    rf = spec.replication_factor
    ack = max(1, min(rf, int(kb.patterns.sizing.min_insync_replicas.value)))
    return {"ensemble": rf, "write_quorum": rf, "ack_quorum": ack, "mark_delete_rate": 1.0}


def _topics(spec: models.DesignInput, kb: KnowledgeBase) -> list[models.Channel]:
    by_key = {c.key: c for c in spec.logical_channels}
    channels = []
    for lc in common.main_channels(spec):
        name = naming.pulsar_topic(common.logical_name(spec, lc, by_key, spec.retry_policy.dead_letter_suffix))
        hours = common.retention_hours(spec, lc)
        channels.append(models.Channel(
            key=lc.key, name=name, kind="topic", role=lc.role, purpose=lc.purpose, partitions=spec.partitions,
            retention_hours=hours, keep_forever=hours is None, cleanup_policy="retention policy",
            settings={"retention_time": "-1" if hours is None else f"{hours}h", "retention_size": "-1",
                      "persistence": persistence(spec, kb)},
            naming_rule=RULE))
    return channels


def _subscriptions(spec: models.DesignInput, kb: KnowledgeBase,
                   channels: list[models.Channel]) -> dict[str, dict[str, Any]]:
    """One subscription per group; with dead letters, its own -RETRY and -DLQ topics (added to ``channels``)."""
    subs: dict[str, dict[str, Any]] = {}
    for g in spec.consumer_groups:
        topic = next(c.name for c in channels if c.key == g.channel)
        subs[g.name] = {"topic": topic, "subscription_type": _subscription_type(spec, g)}
        if not spec.retry_policy.dead_letter_enabled:
            continue
        # maxRedeliverCount counts redeliveries: max_attempts deliveries in all.
        subs[g.name].update({"dead_letter_topic": f"{topic}-{g.name}-DLQ",
                             "retry_letter_topic": f"{topic}-{g.name}-RETRY",
                             "max_redeliver_count": max(0, spec.retry_policy.backoff.max_attempts - 1)})
        channels.append(models.Channel(key=f"{g.channel}@{g.name}.dlq", name=f"{topic}-{g.name}-DLQ", kind="topic",
                                role="dead_letter", purpose=f"Dead letters of subscription {g.name}",
                                retention_hours=spec.retry_policy.dead_letter_retention_days * 24,
                                cleanup_policy="retention policy",
                                settings={"persistence": persistence(spec, kb)},
                                naming_rule=RULE + "; DLQ default <topic>-<subscription>-DLQ"))
    return subs


def _client(spec: models.DesignInput, kb: KnowledgeBase, subs: dict[str, dict[str, Any]]) -> models.ClientSettings:
    key_shared = any(sub["subscription_type"] == "Key_Shared" for sub in subs.values())
    producer: dict[str, Any] = {"send_timeout_millis": SEND_TIMEOUT_MS, "batching_enabled": True,
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
    return models.ClientSettings(client="pulsar-client (Python)", producer=producer, consumer=consumer, reasons=reasons,
                          sources=common.urls(kb, "pulsar-client-libraries-consumers",
                                       "pulsar-3-6-x-pulsar-consumerdeadletterpolicy", "pulsar-txn-use",
                                       "pulsar-2-6-4-cookbooks-partitioned", "mail-archive-pulsar-dev-set-persistence"))


def _warnings(spec: models.DesignInput, subs: dict[str, dict[str, Any]]) -> list[models.PlanWarning]:
    warnings = []
    ordered_subs = sorted(n for n, sub in subs.items() if sub["subscription_type"] in ("Failover", "Exclusive"))
    if ordered_subs and spec.retry_policy.dead_letter_enabled:
        warnings.append(models.PlanWarning(
            message=f"Subscriptions {', '.join(ordered_subs)} are Failover (ordered); a Pulsar maintainer reported "
                    "the client dead-letter policy as disabled for Failover and Exclusive subscriptions "
                    "(apache/pulsar#4100, 2019), and negative acks on ordered subscriptions redeliver out of order.",
            action="Check the dead-letter policy on your Pulsar version; otherwise publish a failed message to the "
                   "-DLQ topic from the consumer and acknowledge it, instead of negative-acking.",
            severity="medium"))
    if spec.delivery == "exactly_once":
        warnings.append(models.PlanWarning(message="Pulsar transactions are disabled by default.",
                                    action="Set transactionCoordinatorEnabled=true and systemTopicEnabled=true on "
                                           "the brokers, initialise the coordinator metadata, and enable "
                                           "deduplication.",
                                    severity="medium"))
    return warnings


class PulsarDesigner:
    broker_id: BrokerId = "pulsar"

    def design(self, spec: models.DesignInput, kb: KnowledgeBase) -> models.BrokerDesign:
        channels = _topics(spec, kb)
        subs = _subscriptions(spec, kb, channels)
        retry = models.RetryMapping(
            mechanism="client dead-letter policy (maxRedeliverCount, deadLetterTopic) and a retry-letter topic "
                      "(reconsumeLater with the backoff delays)",
            settings={"max_redeliver_count": max(0, spec.retry_policy.backoff.max_attempts - 1),
                      "delays_ms": spec.retry_policy.backoff.delays_ms},
            steps=common.steps(spec, "through the retry-letter topic (reconsumeLater(delay))",
                        "the <topic>-<subscription>-DLQ topic"),
            sources=common.urls(kb, "pulsar-3-6-x-pulsar-consumerdeadletterpolicy",
                         "pulsar-concepts-messaging-retry-letter-topic", "pulsar-client-libraries-consumers"),
        )
        return models.BrokerDesign(channels=channels, consumer_groups=spec.consumer_groups,
                            client_settings=_client(spec, kb, subs), retry=retry, warnings=_warnings(spec, subs))

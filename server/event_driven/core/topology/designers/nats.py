"""NATS JetStream: one stream per channel, durable pull consumers, nak delays, advisories captured as dead letters."""

from __future__ import annotations

import math
from typing import Any

from event_driven.core.topology import models, naming
from event_driven.core.topology.designers import common
from event_driven.kb.loader import KnowledgeBase
from event_driven.vocab import BrokerId

RULE = f"{naming.CONVENTION}; subject dotted; stream name upper-case with '_' (no '.', '*', '>')"
NS_PER_MS = 1_000_000
ADVISORIES = ("MAX_DELIVERIES", "MSG_TERMINATED")


def _dead_letter_stream(spec: models.DesignInput, lc: models.LogicalChannel, base: str, stream: str,
                        replicas: int) -> models.Channel | None:
    """A stream capturing the advisories of messages that exhausted max_deliver or were terminated."""
    groups = common.groups_on(spec, lc.key)
    adv = [f"$JS.EVENT.ADVISORY.CONSUMER.{kind}.{stream}.{name}"
           for kind in ADVISORIES for g in groups for name in naming.nats_lane_consumers(g.name, g.lanes)]
    if not adv:
        return None
    hours = spec.retry_policy.dead_letter_retention_days * 24
    return models.Channel(
        key=f"{lc.key}.dlq", name=naming.nats_stream(base + "_dlq"), kind="stream", role="dead_letter",
        purpose=f"Dead-letter advisories of {stream}: each names the stream sequence of a message that "
                "exhausted max_deliver or was terminated",
        replication_factor=replicas, retention_hours=hours, cleanup_policy="limits",
        settings={"subjects": adv, "retention": "limits", "storage": "file", "num_replicas": replicas,
                  "max_age_ns": hours * common.HOUR_MS * NS_PER_MS},
        naming_rule=RULE)


def _streams(spec: models.DesignInput, kb: KnowledgeBase, replicas: int) -> list[models.Channel]:
    by_key = {c.key: c for c in spec.logical_channels}
    window_ns = int(common.broker_figure(kb, "nats_jetstream", "duplicate_window_default")) * 60 * 1_000_000_000
    channels: list[models.Channel] = []
    for lc in common.main_channels(spec):
        base = common.logical_name(spec, lc, by_key, spec.retry_policy.dead_letter_suffix)
        stream = naming.nats_stream(base)
        hours = common.retention_hours(spec, lc)
        retention = "workqueue" if lc.role in ("jobs", "commands", "requests") else "limits"
        lanes = max([g.lanes for g in common.groups_on(spec, lc.key)] or [1])
        subject = naming.nats_subject(base)
        # Ordered lanes: the producer appends the lane token (hash of the key), so the stream captures '<subject>.*'.
        lane_settings = {"lanes": lanes, "publish_subject": f"{subject}.{{lane}}"} if lanes > 1 else {}
        channels.append(models.Channel(
            key=lc.key, name=stream, kind="stream", role=lc.role, purpose=lc.purpose, replication_factor=replicas,
            retention_hours=hours, keep_forever=hours is None, cleanup_policy=retention,
            settings={"subjects": [f"{subject}.*" if lanes > 1 else subject], **lane_settings,
                      "retention": retention, "storage": "file",
                      "num_replicas": replicas,
                      "max_age_ns": 0 if hours is None else hours * common.HOUR_MS * NS_PER_MS,
                      "duplicate_window_ns": window_ns, "discard": "old"},
            naming_rule=RULE))
        dead = _dead_letter_stream(spec, lc, base, stream, replicas) if spec.retry_policy.dead_letter_enabled else None
        if dead is not None:
            channels.append(dead)
    return channels


def _consumers(spec: models.DesignInput, kb: KnowledgeBase,
               channels: list[models.Channel]) -> dict[str, dict[str, Any]]:
    b = spec.retry_policy.backoff
    ack_wait_ns = spec.workload.ack_deadline_ms * NS_PER_MS
    # All instances of a group share one durable consumer: max_ack_pending must admit all the work in flight.
    max_ack_pending = max(int(common.broker_figure(kb, "nats_jetstream", "max_ack_pending_default")),
                          math.ceil(spec.workload.in_flight))
    consumers = {}
    for g in spec.consumer_groups:
        stream = next(c for c in channels if c.key == g.channel)
        subject = str(stream.settings["subjects"][0])
        # Lanes: one entry stands for the group's N lane consumers ({lane} = 0..N-1); the renderer writes N files.
        name = naming.nats_consumer(g.name) if g.lanes <= 1 else naming.nats_consumer(f"{g.name}-lane-") + "{lane}"
        consumers[name] = {
            "stream": stream.name,
            "durable_name": name, **({"lanes": g.lanes} if g.lanes > 1 else {}),
            "ack_policy": "none" if spec.delivery == "at_most_once" else "explicit",
            "ack_wait_ns": ack_wait_ns, "max_deliver": b.max_attempts,
            # Retry tiers are timed by nak(delay); a backoff list would only time missed acks, and on nats-server
            # 2.9.10 it also stretched nak delays to its own entries (observed), so none is set.
            "backoff_ns": [],
            "max_ack_pending": 1 if g.strategy == "single_active" else max_ack_pending,
            # One consumer per lane: its lane's subject only, one message in flight, so each key stays in order.
            "deliver_policy": "all", "filter_subject": subject[:-1] + "{lane}" if g.lanes > 1 else subject,
        }
    return consumers


class NATSDesigner:
    broker_id: BrokerId = "nats_jetstream"

    def design(self, spec: models.DesignInput, kb: KnowledgeBase) -> models.BrokerDesign:
        b = spec.retry_policy.backoff
        replicas = min(int(common.broker_figure(kb, "nats_jetstream", "max_stream_replicas")), spec.replication_factor)
        channels = _streams(spec, kb, replicas)
        producer: dict[str, Any] = {"Nats-Msg-Id": "event_id", "publish": "js.publish() and wait for the PubAck"}
        laned = next((c for c in channels if c.settings.get("lanes")), None)
        if laned is not None:
            producer["lane"] = (f"publish to {laned.settings['publish_subject']} with lane = FNV-1a 32-bit hash of "
                                f"the ordering key (UTF-8) mod {laned.settings['lanes']}")
        delays_s = [d / 1000 for d in b.delays_ms]
        consumer = {"consumers": _consumers(spec, kb, channels),
                    "pull": "fetch batches; ack after processing; nak(delay=<tier delay>) for retryable errors; "
                            "term() for non-retryable ones",
                    "nak_delay_s": delays_s}
        nak_reason = ("a plain nak() is redelivered at once: the consumer's backoff list applies only to missed acks, "
                      "so each nak carries the tier's delay, nak(delay=nak_delay_s[num_delivered - 1])")
        reasons = {
            "Nats-Msg-Id": "duplicates with the same id inside the 2-minute duplicate window are dropped",
            "ack_policy": "explicit acks (at-least-once)", "max_deliver": "bounds delivery attempts per message",
            "backoff_ns": "none: each retry waits the tier delay its nak carries; a crashed consumer's delivery "
                          "comes back after ack_wait",
            "max_ack_pending": "caps unacknowledged messages in flight (1 for a single active consumer keeps order); "
                               "at least the messages in flight (rate x processing time), or it caps the rate",
            "nak_delay_s": nak_reason,
        }
        if laned is not None:
            reasons["lane"] = ("deterministic subject partitioning: one key always maps to one lane subject, each lane "
                               "has one durable consumer with max_ack_pending 1, so keys run in parallel across lanes "
                               "and in order within one; the lane count cannot change without remapping keys")
        if spec.workload.heartbeat:
            consumer["in_progress"] = (f"msg.in_progress() every {spec.workload.ack_deadline_ms // 2} ms while a job "
                                       "runs: each resets the ack_wait timer")
            reasons["in_progress"] = "AckProgress extends the ack wait by another ack_wait while work is ongoing"
        retry = models.RetryMapping(
            mechanism=f"consumer max_deliver={b.max_attempts}; each retryable failure is nak'ed with its tier's delay; "
                      "exhausted or terminated messages raise advisories captured by a dead-letter stream",
            settings={"max_deliver": b.max_attempts, "backoff_ms": b.delays_ms},
            steps=common.steps(spec, "by nak(delay) with the tier's delay (a crashed consumer's delivery comes back "
                               "after ack_wait)",
                               "the _DLQ stream (advisory with the stream sequence; fetch the original by sequence)"),
            sources=common.urls(kb, "nats-jetstream-consumers", "nats-jetstream-monitoring",
                                "nats-jetstream-model-deep-dive", "gh-nats-io-nats-server-4726",
                                "gh-nats-io-nats-server-5856"),
        )
        warnings = []
        if replicas > 1:
            warnings.append(models.PlanWarning(message=f"num_replicas={replicas} needs a clustered JetStream with at "
                                                       f"least "
                                        f"{replicas} servers; a single server rejects it.",
                                        action="Pass options.replication_factor=1 for a single-server development "
                                               "setup.",
                                        severity="info"))
        return models.BrokerDesign(
            channels=channels, consumer_groups=spec.consumer_groups,
            client_settings=models.ClientSettings(client="nats.py JetStream", producer=producer, consumer=consumer,
                                           reasons=reasons, sources=common.urls(kb, "nats-jetstream-streams",
                                                                         "nats-jetstream-consumers",
                                                                         "nats-jetstream-model-deep-dive")),
            retry=retry, warnings=warnings,
        )

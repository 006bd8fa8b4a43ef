"""Drift between a plan from plan_topology and the live broker: what the broker has that the plan lacks, what the
plan has that the broker lacks, and live settings that break the plan's declared guarantee.

Read-only use of :class:`~event_driven.core.topology.models.TopologyPlan`. Only channels in scope are compared: the
caller's name pattern, else the names that share the plan's common prefix (its domain).
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from typing import Any, TypeVar

from event_driven.core.inspection.models import DriftItem, DriftReport
from event_driven.core.inspection.snapshot import (
    BrokerSnapshot,
    KafkaSnapshot,
    NatsSnapshot,
    RabbitSnapshot,
    RedisSnapshot,
    SettingValue,
    SqsSnapshot,
)
from event_driven.core.topology.models import Channel, TopologyPlan
from event_driven.vocab import BROKER_NAMES, Severity

L = TypeVar("L")

# RabbitMQ queue arguments that carry the plan's delivery guarantee, with the failure mode their loss opens.
RABBIT_GUARANTEE_ARGS: dict[str, tuple[Severity, str | None]] = {
    "x-queue-type": ("high", "rabbitmq_inequivalent_queue_args"),
    "x-dead-letter-exchange": ("high", "rabbitmq_quorum_delivery_limit_drop"),
    "x-dead-letter-routing-key": ("medium", None),
    "x-delivery-limit": ("high", "rabbitmq_requeue_poison_loop"),
    "x-dead-letter-strategy": ("medium", "rabbitmq_quorum_delivery_limit_drop"),
    "x-overflow": ("medium", "rabbitmq_max_length_overflow_drop"),
    "x-message-ttl": ("medium", "rabbitmq_message_ttl_expiry_loss"),
    "x-max-length": ("medium", "rabbitmq_max_length_overflow_drop"),
}


def plan_broker(plan: TopologyPlan) -> str:
    by_name = {name: broker for broker, name in BROKER_NAMES.items()}
    return by_name.get(plan.broker.technology, plan.broker.technology)


def default_scope(plan: TopologyPlan) -> str:
    """The plan's common name prefix as a glob: live channels outside it belong to something else."""
    prefix = os.path.commonprefix([c.name for c in plan.channels])
    return f"{prefix}*" if prefix else "*"


def _mismatch(channel: str, setting: str, planned: SettingValue, live: SettingValue, severity: Severity,
              failure_mode_id: str | None, why: str) -> DriftItem:
    shown = "(absent)" if live is None else repr(live)
    return DriftItem(kind="setting_mismatch", severity=severity, channel=channel, setting=setting, planned=planned,
                     live=live, failure_mode_id=failure_mode_id,
                     detail=f"{channel}: plan sets {setting}={planned!r}, the broker has {shown}; {why}")


def _missing(channel: Channel) -> DriftItem:
    severity: Severity = "medium" if channel.role in ("retry", "dead_letter") else "high"
    return DriftItem(kind="plan_only", severity=severity, channel=channel.name,
                     detail=f"{channel.kind} {channel.name} ({channel.role}) is in the plan but not on the broker")


def _extra(kind: str, name: str) -> DriftItem:
    return DriftItem(kind="broker_only", severity="low", channel=name,
                     detail=f"{kind} {name} is on the broker, in scope, but not in the plan")


def _scalar(value: Any) -> SettingValue:
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def _pairs(plan: TopologyPlan, kind: str, live: Mapping[str, L]) -> tuple[list[tuple[Channel, L]], list[str],
                                                                          list[DriftItem]]:
    """Plan channels of ``kind`` matched with their live counterpart: (pairs, names compared, missing items)."""
    pairs = [(c, live[c.name]) for c in plan.channels if c.kind == kind and c.name in live]
    missing = [_missing(c) for c in plan.channels if c.kind == kind and c.name not in live]
    return pairs, [c.name for c, _ in pairs], missing


def _rabbit(plan: TopologyPlan, snap: RabbitSnapshot) -> tuple[list[str], list[DriftItem]]:
    pairs, compared, items = _pairs(plan, "queue", {c.name: c for c in snap.channels()})
    for ch, state in pairs:
        planned: Mapping[str, Any] = ch.settings.get("arguments") or {}
        for key, (severity, mode) in RABBIT_GUARANTEE_ARGS.items():
            if key not in planned or str(state.settings.get(key)) == str(planned[key]):
                continue
            if key == "x-dead-letter-exchange" and state.settings.get("x-queue-type") != "quorum":
                mode = "rabbitmq_requeue_poison_loop"
            why = ("failed messages have no dead-letter path" if key.startswith("x-dead-letter")
                   else "the queue does not behave as planned")
            items.append(_mismatch(ch.name, key, _scalar(planned[key]), state.settings.get(key), severity, mode, why))
    return compared, items


def _sqs(plan: TopologyPlan, snap: SqsSnapshot) -> tuple[list[str], list[DriftItem]]:
    pairs, compared, items = _pairs(plan, "queue", {q.name: q for q in snap.queues})
    for ch, qu in pairs:
        attrs: Mapping[str, Any] = ch.settings.get("attributes") or {}
        planned_vt = attrs.get("VisibilityTimeout")
        if isinstance(planned_vt, int) and qu.visibility_timeout_s < planned_vt:
            items.append(_mismatch(ch.name, "VisibilityTimeout", planned_vt, qu.visibility_timeout_s, "high",
                                   "sqs_visibility_timeout_too_short", "messages reappear before the planned "
                                   "processing budget ends"))
        redrive = attrs.get("RedrivePolicy")
        if isinstance(redrive, Mapping) and qu.max_receive_count != redrive.get("maxReceiveCount"):
            items.append(_mismatch(ch.name, "RedrivePolicy.maxReceiveCount", _scalar(redrive.get("maxReceiveCount")),
                                   qu.max_receive_count, "high", None,
                                   "failed messages are not moved to the planned dead-letter queue"))
        retention = attrs.get("MessageRetentionPeriod")
        if isinstance(retention, int) and qu.retention_s is not None and qu.retention_s < retention:
            mode = "sqs_dlq_retention_expiry" if ch.role == "dead_letter" else None
            items.append(_mismatch(ch.name, "MessageRetentionPeriod", retention, qu.retention_s, "medium", mode,
                                   "messages expire sooner than planned"))
    return compared, items


def _nats(plan: TopologyPlan, snap: NatsSnapshot) -> tuple[list[str], list[DriftItem]]:
    streams = {s.name: s for s in snap.streams}
    pairs, compared, items = _pairs(plan, "stream", streams)
    for ch, st in pairs:
        if ch.settings.get("retention") and st.retention != ch.settings["retention"]:
            items.append(_mismatch(ch.name, "retention", ch.settings["retention"], st.retention, "high", None,
                                   "messages are kept or removed differently from the plan"))
    consumers = {(c.stream, c.name): c for c in snap.consumers}
    planned_consumers: Mapping[str, Any] = plan.client_settings.consumer.get("consumers") or {}
    for durable, spec in planned_consumers.items():
        live = consumers.get((spec.get("stream"), durable))
        where = f"{spec.get('stream')}/{durable}"
        if live is None:
            if spec.get("stream") in streams:
                items.append(DriftItem(kind="plan_only", severity="high", channel=where,
                                       detail=f"consumer {where} is in the plan but not on the broker"))
            continue
        compared.append(where)
        for key, value, mode in (("max_deliver", live.max_deliver, "nats_max_deliver_exhausted"),
                                 ("max_ack_pending", live.max_ack_pending, "nats_max_ack_pending_stall"),
                                 ("ack_policy", live.ack_policy, None)):
            if key in spec and str(spec[key]) != str(value):
                items.append(_mismatch(where, key, _scalar(spec[key]), value, "medium", mode,
                                       "the consumer does not retry or bound in-flight work as planned"))
    return compared, items


def _redis(plan: TopologyPlan, snap: RedisSnapshot) -> tuple[list[str], list[DriftItem]]:
    pairs, compared, items = _pairs(plan, "stream", {s.key: s for s in snap.streams})
    for ch, st in pairs:
        live_groups = {g.name for g in st.groups}
        for group in ch.settings.get("groups") or []:
            if group not in live_groups:
                items.append(DriftItem(kind="plan_only", severity="high", channel=f"{ch.name}/{group}",
                                       detail=f"consumer group {group} on {ch.name} is in the plan but not on the "
                                       "broker", failure_mode_id="redis_nogroup_error"))
    return compared, items


def _kafka(plan: TopologyPlan, snap: KafkaSnapshot) -> tuple[list[str], list[DriftItem]]:
    pairs, compared, items = _pairs(plan, "topic", {t.name: t for t in snap.topics})
    for ch, t in pairs:
        if ch.partitions and t.partitions < ch.partitions:
            items.append(_mismatch(ch.name, "partitions", ch.partitions, t.partitions, "medium",
                                   "kafka_insufficient_partitions", "fewer consumers can share the work"))
        if ch.replication_factor and t.replication_factor < ch.replication_factor:
            items.append(_mismatch(ch.name, "replication.factor", ch.replication_factor, t.replication_factor,
                                   "high", "kafka_acks_not_all_message_loss", "fewer copies survive a failure"))
        if ch.cleanup_policy and t.configs.get("cleanup.policy") not in (None, ch.cleanup_policy):
            items.append(_mismatch(ch.name, "cleanup.policy", ch.cleanup_policy, t.configs.get("cleanup.policy"),
                                   "high", None, "records are deleted or compacted differently from the plan"))
    return compared, items


def _extras(plan: TopologyPlan, snap: BrokerSnapshot, scope: str) -> list[DriftItem]:
    planned = {c.name for c in plan.channels}
    live_kinds = {"queue", "stream", "topic"}
    return [_extra(ch.kind, ch.name) for ch in snap.channels()
            if ch.kind in live_kinds and ch.name not in planned and fnmatch.fnmatchcase(ch.name, scope)]


def drift(plan: TopologyPlan, snap: BrokerSnapshot, pattern: str | None = None) -> DriftReport:
    """Compare the plan with the snapshot; a plan for another broker is one item saying so."""
    broker = plan_broker(plan)
    scope = pattern or default_scope(plan)
    if broker != snap.broker:
        return DriftReport(plan_broker=broker, scope=scope, compared=[], items=[DriftItem(
            kind="plan_only", severity="info", channel="(plan)",
            detail=f"the plan is for {broker}, the target is {snap.broker}: nothing to compare")])
    if isinstance(snap, RabbitSnapshot):
        compared, items = _rabbit(plan, snap)
        not_compared = ["exchanges and bindings (only queues are read)"]
    elif isinstance(snap, SqsSnapshot):
        (compared, items), not_compared = _sqs(plan, snap), ["SNS topics and subscriptions"]
    elif isinstance(snap, NatsSnapshot):
        (compared, items), not_compared = _nats(plan, snap), []
    elif isinstance(snap, RedisSnapshot):
        (compared, items), not_compared = _redis(plan, snap), ["trimming (XADD MAXLEN/MINID is set per write)"]
    else:
        (compared, items), not_compared = _kafka(plan, snap), []
    return DriftReport(plan_broker=broker, scope=scope, compared=compared, items=items + _extras(plan, snap, scope),
                       not_compared=not_compared)

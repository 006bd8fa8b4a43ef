"""Observability: the seed's metrics and log schema, and alert rules for lag and dead letters read from the broker.

Lag, progress and dead-letter depth come from an exporter that reads the broker itself (knowledge/patterns.yaml
``broker_signals``), never from a metric the application emits: when a consumer dies its own series goes stale, so
a stall alert on it can never fire. SQS has no Prometheus endpoint: its alarms are CloudWatch alarms on the queue
metrics, rendered into the CloudFormation template.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from event_driven.core.topology import naming
from event_driven.core.topology.models import (
    AlertRule,
    AlertSeries,
    BrokerAlertInputs,
    Channel,
    CloudWatchAlarm,
    ConsumerGroup,
    MetricSpec,
    Observability,
)
from event_driven.core.topology.workload import histogram_buckets
from event_driven.kb.loader import KnowledgeBase
from event_driven.kb.patterns import BrokerSignals
from event_driven.vocab import BrokerId

HELP = {
    "messages_produced_total": "Messages published, by topic and partition.",
    "messages_consumed_total": "Messages consumed, by topic, consumer group and outcome status.",
    "consumer_lag": ("Messages between the group's committed position and the end of the channel, as the application "
                     "sees it (dashboards only: the alerts read the broker-side lag)."),
    "message_processing_duration_seconds": "Time to process one message.",
    "dlq_messages_total": "Messages sent to a dead-letter channel, by topic and error type.",
}
DLQ_WINDOW = "15m"


def _matcher(label: str, values: list[str]) -> str:
    """``label=~"a|b"`` matching exactly these values: regex metacharacters escaped, in PromQL string syntax."""
    alternatives = "|".join(re.sub(r"([\\.+*?()\[\]{}|^$])", r"\\\\\1", v) for v in sorted(set(values)))
    return f'{label}=~"{alternatives}"'


def _is_lag_queue(broker: BrokerId, c: Channel) -> bool:
    if c.role in ("retry", "dead_letter"):
        return False
    if broker != "rabbitmq":
        return True
    # A RabbitMQ stream keeps every message for its retention: messages_ready is its length, not a consumer's lag.
    return c.kind == "queue" and c.settings.get("arguments", {}).get("x-queue-type") != "stream"


def _monitored(broker: BrokerId, sig: BrokerSignals, channels: list[Channel],
               groups: list[ConsumerGroup]) -> tuple[str, dict[str, str]] | None:
    """The lag selector for the plan's consumers, and the labels of the first one."""
    if sig.lag.group_label is None:  # the queue is the subscriber's own (RabbitMQ)
        queues = [c.name for c in channels if _is_lag_queue(broker, c)]
        return (_matcher(sig.lag.channel_label, queues), {sig.lag.channel_label: queues[0]}) if queues else None
    names = [n for g in groups
             for n in (naming.nats_lane_consumers(g.name, g.lanes) if broker == "nats_jetstream" else [g.name])]
    main = next((c.name for c in channels if _is_lag_queue(broker, c)), None)
    if not names or main is None:
        return None
    return _matcher(sig.lag.group_label, names), {sig.lag.channel_label: main, sig.lag.group_label: names[0]}


def _alert(name: str, expr: str, for_: str, severity: Literal["warning", "critical"], *, summary: str,
           reason: str) -> AlertRule:
    """One Prometheus alerting rule (``for`` is a Python keyword, so the model takes it by its alias)."""
    return AlertRule.model_validate(
        {"name": name, "expr": expr, "for": for_, "severity": severity, "summary": summary, "reason": reason})


def _lag_rules(sig: BrokerSignals, selector: str, window: int, burrow: str) -> list[AlertRule]:
    lag = f"{sig.lag.metric}{{{selector}}}"
    progress = f"{sig.progress.metric}{{{selector}}}"
    on = ", ".join(x for x in (sig.lag.channel_label, sig.lag.group_label) if x)
    stopped = (f"changes({progress}[{window}m]) == 0" if sig.progress.kind == "position"
               else f"max_over_time({progress}[{window}m]) == 0")
    who = (f"Consumer {{{{ $labels.{sig.lag.group_label} }}}}" if sig.lag.group_label
           else f"The consumers of {{{{ $labels.{sig.lag.channel_label} }}}}")
    where = f"{{{{ $labels.{sig.lag.channel_label} }}}}"
    return [
        _alert(
            "ConsumerLagGrowing", f"min_over_time({lag}[{window}m]) > 0 and deriv({lag}[{window}m]) > 0",
            f"{window}m", "warning",
            summary=f"{who} is falling behind on {where}",
            reason=(f"Broker-side lag ({sig.lag.metric}, {sig.exporter}) never reached zero in {window} minutes and "
                    f"is still rising: Burrow's WARNING rule instead of a fixed threshold ({burrow})."),
        ),
        _alert(
            "ConsumerStalled", f"min_over_time({lag}[{window}m]) > 0 and on ({on}) {stopped}", f"{window}m", "critical",
            summary=f"{who} makes no progress while {where} has messages waiting",
            reason=(f"Burrow's STALL/STOP: broker-side lag ({sig.lag.metric}) stays above zero while "
                    f"{sig.progress.metric} shows no progress; read from the broker, so it fires when the consumer "
                    "is dead."),
        ),
    ]


def _dead_letter_rules(sig: BrokerSignals, selector: str, threshold: int) -> list[AlertRule]:
    d = sig.dead_letter_depth
    held = f"{d.metric}{{{selector}}}"
    depth = f"{held} - {d.minus}{{{selector}}}" if d.minus else held
    where = f"{{{{ $labels.{d.channel_label} }}}}"
    return [
        _alert(
            "DeadLetterGrowing", f"delta({held}[{DLQ_WINDOW}]) > 0", "0m", "warning",
            summary=f"Messages are being dead-lettered to {where}",
            reason="Every dead letter is a failed business operation someone must look at.",
        ),
        _alert(
            "DeadLetterBacklogHigh", f"sum by ({d.channel_label}) ({depth}) > {threshold}", "5m", "critical",
            summary=f"More than {threshold} dead letters are waiting in {where}",
            reason=(f"The dead-letter depth read from the broker ({d.metric}) passes the seed's "
                    f"dead_letter.alert_threshold ({threshold}); it clears when the channel is drained."),
        ),
    ]


def broker_alerts(kb: KnowledgeBase, broker: BrokerId, channels: list[Channel], groups: list[ConsumerGroup],
                  dlq_threshold: int, window: int) -> tuple[list[AlertRule], BrokerAlertInputs]:
    sig = kb.patterns.broker_signals[broker]
    inputs = BrokerAlertInputs(exporter=sig.exporter, setup=sig.setup, source=sig.source, versions=sig.versions,
                               progress_kind=sig.progress.kind, dead_letter_minus=sig.dead_letter_depth.minus,
                               dead_letter_channel_label=sig.dead_letter_depth.channel_label)
    rules: list[AlertRule] = []
    monitored = _monitored(broker, sig, channels, groups)
    if monitored is not None:
        burrow = kb.sources.url("gh-linkedin-burrow-consumer-lag-evaluation-rules")
        rules += _lag_rules(sig, monitored[0], window, burrow)
        inputs.lag = AlertSeries(metric=sig.lag.metric, labels=monitored[1])
        inputs.progress = AlertSeries(metric=sig.progress.metric, labels=monitored[1])
    dlqs = [c.name for c in channels if c.role == "dead_letter" and c.kind != "exchange"]
    if dlqs:
        label = sig.dead_letter_depth.channel_label
        rules += _dead_letter_rules(sig, _matcher(label, dlqs), dlq_threshold)
        sample = {label: dlqs[0], **({"partition": "0"} if sig.dead_letter_depth.minus else {})}
        inputs.dead_letter = AlertSeries(metric=sig.dead_letter_depth.metric, labels=sample)
    return rules, inputs


def sqs_alarms(kb: KnowledgeBase, channels: list[Channel], dlq_threshold: int, ack_deadline_ms: int,
               window: int) -> list[CloudWatchAlarm]:
    """CloudWatch alarms: the oldest message outlives a full acknowledgement deadline plus the alert window on a
    consumer queue (nobody deletes messages: consumers dead or too few), and dead letters waiting in a DLQ."""
    cw = kb.patterns.sqs_cloudwatch
    age_limit_s = ack_deadline_ms // 1000 + window * 60
    alarms = []
    for c in channels:
        if c.kind != "queue":
            continue
        if c.role != "dead_letter":
            alarms.append(CloudWatchAlarm(
                name="OldestMessageAge", queue=c.name, namespace=cw.namespace, metric=cw.oldest_age,
                threshold=age_limit_s, period_s=60, evaluation_periods=window, severity="critical",
                reason=(f"The oldest message has waited more than the {ack_deadline_ms // 1000} s acknowledgement "
                        f"deadline plus {window} min: the consumers are stalled or too few ({cw.source}).")))
            continue
        alarms.append(CloudWatchAlarm(
            name="DeadLettersWaiting", queue=c.name, namespace=cw.namespace, metric=cw.visible, threshold=0,
            period_s=300, evaluation_periods=1, severity="warning",
            reason="Every dead letter is a failed business operation someone must look at."))
        alarms.append(CloudWatchAlarm(
            name="DeadLetterBacklogHigh", queue=c.name, namespace=cw.namespace, metric=cw.visible,
            threshold=dlq_threshold, period_s=300, evaluation_periods=1, severity="critical",
            reason=f"The dead-letter depth passes the seed's dead_letter.alert_threshold ({dlq_threshold})."))
    return alarms


def _app_dead_letter_rule() -> AlertRule:
    return _alert(
        "DeadLetterGrowing", f"increase(dlq_messages_total[{DLQ_WINDOW}]) > 0", "0m", "warning",
        summary="Messages from {{ $labels.topic }} are being dead-lettered ({{ $labels.error_type }})",
        reason=("Counted by the consumer as it dead-letters (by error type); the queue depths are CloudWatch alarms "
                "in the CloudFormation template."))


def observability(kb: KnowledgeBase, broker: BrokerId, channels: list[Channel], groups: list[ConsumerGroup],
                  dlq_threshold: int, ack_deadline_ms: int, lag_window_minutes: int = 10,
                  processing_time_ms: int | None = None) -> Observability:
    metrics = [MetricSpec(name=m.name, type=m.type, labels=m.labels, help=HELP[m.name],
                          buckets=None if m.buckets is None else histogram_buckets(m.buckets, processing_time_ms))
               for m in kb.patterns.metrics]
    # A consumer may legitimately hold one message for a whole acknowledgement deadline: no shorter window is a stall.
    window = max(lag_window_minutes, math.ceil(ack_deadline_ms / 60_000))
    if broker == "sqs":
        alerts = [_app_dead_letter_rule()] if any(c.role == "dead_letter" for c in channels) else []
        alarms = sqs_alarms(kb, channels, dlq_threshold, ack_deadline_ms, window)
        inputs = None
    else:
        alerts, inputs = broker_alerts(kb, broker, channels, groups, dlq_threshold, window)
        alarms = []
    return Observability(metrics=metrics, log_schema=_log_schema(kb), log_example=LOG_EXAMPLE, alerts=alerts,
                         lag_window_minutes=window, broker_signals=inputs, cloudwatch_alarms=alarms)


LOG_EXAMPLE = {"level": "INFO", "event": "message_consumed", "context": {
    "topic": "orders.placed", "partition": 3, "offset": 12345, "consumer_group": "order-service", "latency_ms": 45}}


def _log_schema(kb: KnowledgeBase) -> dict[str, object]:
    return {
        "level": {"type": "string"},
        "timestamp": {"type": "string", "format": "ISO8601"},
        "skill": {"type": "string", "value": "event-driven"},
        "event": {"type": "string", "enum": list(kb.patterns.log_events)},
        "context": {"type": "object", "properties": {
            "topic": {"type": "string"}, "partition": {"type": "integer"}, "offset": {"type": "integer"},
            "consumer_group": {"type": "string"}, "latency_ms": {"type": "number"},
            "event_id": {"type": "string"}, "correlation_id": {"type": "string"},
        }},
    }

"""Observability: the seed's metrics and log schema, and alert rules for lag and dead-letter growth."""

from __future__ import annotations

from event_driven.core.topology.models import AlertRule, MetricSpec, Observability
from event_driven.core.topology.workload import histogram_buckets
from event_driven.kb.loader import KnowledgeBase

HELP = {
    "messages_produced_total": "Messages published, by topic and partition.",
    "messages_consumed_total": "Messages consumed, by topic, consumer group and outcome status.",
    "consumer_lag": "Messages between the group's committed position and the end of the channel.",
    "message_processing_duration_seconds": "Time to process one message.",
    "dlq_messages_total": "Messages sent to a dead-letter channel, by topic and error type.",
}


def observability(kb: KnowledgeBase, dlq_threshold: int, lag_window_minutes: int = 10,
                  processing_time_ms: int | None = None) -> Observability:
    metrics = [MetricSpec(name=m.name, type=m.type, labels=m.labels, help=HELP[m.name],
                          buckets=None if m.buckets is None else histogram_buckets(m.buckets, processing_time_ms))
               for m in kb.patterns.metrics]
    burrow = kb.sources.url("gh-linkedin-burrow-consumer-lag-evaluation-rules")
    alerts = [
        AlertRule(
            name="ConsumerLagGrowing",
            expr=(f"min_over_time(consumer_lag[{lag_window_minutes}m]) > 0 "
                  f"and deriv(consumer_lag[{lag_window_minutes}m]) > 0"),
            **{"for": f"{lag_window_minutes}m"},
            severity="warning",
            summary="Consumer group {{ $labels.consumer_group }} is falling behind on {{ $labels.topic }}",
            reason=("Burrow's WARNING rule instead of a fixed threshold: lag never reached zero in the window and is "
                    f"still rising ({burrow})."),
        ),
        AlertRule(
            name="ConsumerStalled",
            expr=(f"min_over_time(consumer_lag[{lag_window_minutes}m]) > 0 "
                  f"and on (topic, consumer_group) "
                  f"sum by (topic, consumer_group) (rate(messages_consumed_total[{lag_window_minutes}m])) == 0"),
            **{"for": f"{lag_window_minutes}m"},
            severity="critical",
            summary="Consumer group {{ $labels.consumer_group }} consumes nothing while {{ $labels.topic }} has lag",
            reason="Burrow's STALL/STOP: lag stays above zero and the group makes no progress.",
        ),
        AlertRule(
            name="DeadLetterGrowing",
            expr="increase(dlq_messages_total[15m]) > 0",
            **{"for": "0m"},
            severity="warning",
            summary="Messages from {{ $labels.topic }} are being dead-lettered ({{ $labels.error_type }})",
            reason="Every dead letter is a failed business operation someone must look at.",
        ),
        AlertRule(
            name="DeadLetterBacklogHigh",
            # increase over a day, not the lifetime counter: the alert clears once the DLQ stops growing and
            # survives a process restart resetting the counter.
            expr=f"sum by (topic) (increase(dlq_messages_total[24h])) > {dlq_threshold}",
            **{"for": "5m"},
            severity="critical",
            summary=f"More than {dlq_threshold} dead letters in 24 h for {{{{ $labels.topic }}}}",
            reason=f"The seed's dead_letter.alert_threshold ({dlq_threshold}).",
        ),
    ]
    log_schema = {
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
    example = {"level": "INFO", "event": "message_consumed", "context": {
        "topic": "orders.placed", "partition": 3, "offset": 12345, "consumer_group": "order-service", "latency_ms": 45}}
    return Observability(metrics=metrics, log_schema=log_schema, log_example=example, alerts=alerts)

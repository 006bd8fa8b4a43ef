"""The promtool unit test of the plan's alert rules: synthetic broker-side series that make each alert fire with its
labels and annotations, each with the alerts that must stay quiet, and a healthy case in which none fires.

The series are the ones the rules read (``plan.observability.broker_signals``): lag, the consumer's progress and the
dead-letter depth as the exporter reports them for the plan's own channels, so a stalled consumer (lag held, progress
stopped) fires ConsumerStalled and a healthy one fires nothing.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from event_driven.core.topology.models import AlertRule, AlertSeries, BrokerAlertInputs, TopologyPlan

_LABEL_REF = re.compile(r"\{\{\s*\$labels\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _fill(template: str, labels: dict[str, str]) -> str | None:
    """The annotation as Prometheus will expand it, or None if it uses more than $labels."""
    text = _LABEL_REF.sub(lambda m: labels.get(m.group(1), ""), template)
    return None if "{{" in text else text


def _expected(rule: AlertRule, labels: dict[str, str]) -> dict[str, Any]:
    exp: dict[str, Any] = {"exp_labels": {"severity": rule.severity, **labels}}
    annotations = {"summary": _fill(rule.summary, labels), "description": _fill(rule.reason, labels)}
    if all(v is not None for v in annotations.values()):
        exp["exp_annotations"] = annotations
    return exp


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    body = ", ".join(f"{k}={json.dumps(v)}" for k, v in labels.items())
    return {"series": f"{name}{{{body}}}", "values": values}


def _lag_scenarios(sig: BrokerAlertInputs, window: int) -> dict[str, dict[str, Any]]:
    if sig.lag is None or sig.progress is None:
        return {}
    lag, progress, n = sig.lag, sig.progress, 4 * window
    moving = f"0+600x{n}" if sig.progress_kind == "position" else f"2x{n}"  # position advances / consumers attached
    stopped = f"1000x{n}" if sig.progress_kind == "position" else f"0x{n}"
    at = f"{window * 5 // 2}m"
    return {
        "ConsumerLagGrowing": {
            "about": "broker-side lag above zero and rising for the whole window while the consumer still progresses",
            "series": [_series(lag.metric, lag.labels, f"100+50x{n}"),
                       _series(progress.metric, progress.labels, moving)],
            "eval_time": at, "labels": lag.labels, "quiet": ["ConsumerStalled"],
        },
        "ConsumerStalled": {
            "about": f"a dead consumer: lag held above zero and {progress.metric} stopped",
            "series": [_series(lag.metric, lag.labels, f"500x{n}"), _series(progress.metric, progress.labels, stopped)],
            "eval_time": at, "labels": lag.labels, "quiet": ["ConsumerLagGrowing"],
        },
    }


def _depth(sig: BrokerAlertInputs, dead: AlertSeries, values: str) -> list[dict[str, str]]:
    held = [_series(dead.metric, dead.labels, values)]
    count = values.rsplit("x", 1)[1]
    return held + ([_series(sig.dead_letter_minus, dead.labels, f"0x{count}")] if sig.dead_letter_minus else [])


def _dead_letter_scenarios(sig: BrokerAlertInputs, threshold: int) -> dict[str, dict[str, Any]]:
    dead = sig.dead_letter
    if dead is None:
        return {}
    step = max(1, math.ceil((threshold + 1) / 5))  # above the threshold after 5 minutes
    return {
        "DeadLetterGrowing": {
            "about": "one more dead letter every minute in the dead-letter channel, below the backlog threshold",
            "series": _depth(sig, dead, "0+1x20"), "eval_time": "10m", "labels": dead.labels,
            "quiet": ["DeadLetterBacklogHigh"],
        },
        "DeadLetterBacklogHigh": {
            "about": f"the dead-letter depth passes the threshold ({threshold}) and stays above it",
            "series": _depth(sig, dead, f"0+{step}x30"), "eval_time": "20m",
            "labels": {sig.dead_letter_channel_label: dead.labels[sig.dead_letter_channel_label]}, "quiet": [],
        },
    }


def _healthy_series(sig: BrokerAlertInputs, n: int) -> list[dict[str, str]]:
    out = []
    if sig.lag is not None and sig.progress is not None:
        out += [_series(sig.lag.metric, sig.lag.labels, f"0x{n}"),
                _series(sig.progress.metric, sig.progress.labels,
                        f"0+600x{n}" if sig.progress_kind == "position" else f"2x{n}")]
    if sig.dead_letter is not None:
        out += _depth(sig, sig.dead_letter, f"0x{n}")
    return out


def _app_scenarios(plan: TopologyPlan) -> tuple[dict[str, dict[str, Any]], list[dict[str, str]]]:
    """SQS: the consumer's own dead-letter counter (the depths are CloudWatch alarms in the template)."""
    dlq = next((c.name for c in plan.channels if c.role == "dead_letter"), plan.channels[0].name)
    labels = {"topic": dlq, "error_type": "TIMEOUT"}
    return ({"DeadLetterGrowing": {
        "about": "the consumer dead-letters one message a minute", "series": [
            _series("dlq_messages_total", labels, "0+1x20")], "eval_time": "10m", "labels": labels, "quiet": []}},
        [_series("dlq_messages_total", labels, "0x40")])


def alert_test_view(plan: TopologyPlan) -> dict[str, Any]:
    obs = plan.observability
    window, sig = obs.lag_window_minutes, obs.broker_signals
    if sig is None:
        scenarios, healthy_series = _app_scenarios(plan)
        n = 40
    else:
        n = max(40, 4 * window)
        scenarios = {**_lag_scenarios(sig, window),
                     **_dead_letter_scenarios(sig, plan.retry_policy.dlq_alert_threshold)}
        healthy_series = _healthy_series(sig, n)
    names = [a.name for a in obs.alerts]
    cases = []
    for rule in obs.alerts:
        sc = scenarios.get(rule.name)
        if sc is None:
            continue  # tests/render/test_artifacts_common.py fails when an alert has no firing case
        checks = [{"alertname": rule.name, "exp_alerts": [_expected(rule, sc["labels"])]}]
        checks += [{"alertname": q, "exp_alerts": []} for q in sc["quiet"] if q in names]
        cases.append({"name": f"{rule.name} fires: {sc['about']}", "input_series": sc["series"],
                      "eval_time": sc["eval_time"], "checks": checks})
    healthy = {
        "name": "healthy: no lag, the consumer progresses, no dead letters -> no alert fires",
        "input_series": healthy_series, "eval_time": f"{3 * n // 4}m",
        "checks": [{"alertname": a, "exp_alerts": []} for a in names],
    }
    return {"cases": [*cases, healthy]}

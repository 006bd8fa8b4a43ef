"""What every broker designer shares: names under the convention, retention per channel, the retry steps in words,
and the knowledge look-ups (a source URL by id, a named figure of a broker)."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from event_driven.core.topology import naming
from event_driven.core.topology.models import ConsumerGroup, DesignInput, LogicalChannel
from event_driven.kb.brokers import NamedFigure
from event_driven.kb.loader import KnowledgeBase

HOUR_MS = 3_600_000


def urls(kb: KnowledgeBase, *ids: str) -> list[str]:
    """The URLs of cited sources, by their ids in knowledge/sources.yaml."""
    return [kb.sources.url(i) for i in ids]


def _named_figures(node: object) -> Iterator[NamedFigure]:
    if isinstance(node, NamedFigure):
        yield node
    elif isinstance(node, BaseModel):
        for field in type(node).model_fields:
            yield from _named_figures(getattr(node, field))
    elif isinstance(node, list):
        for item in node:
            yield from _named_figures(item)


def broker_figure(kb: KnowledgeBase, broker: str, name: str) -> float:
    """A named, sourced figure of a broker in knowledge/brokers.yaml (its variants included)."""
    for found in _named_figures(kb.brokers.broker(broker)):
        if found.name == name:
            return float(found.figure.value)
    raise KeyError(f"knowledge/brokers.yaml has no figure {name!r} for {broker}")


def threshold(kb: KnowledgeBase, name: str) -> float:
    """A sourced threshold of knowledge/rules.yaml."""
    return float(kb.rules.thresholds[name].value)


def logical_name(spec: DesignInput, lc: LogicalChannel, by_key: dict[str, LogicalChannel], suffix: str) -> str:
    """The dotted base name of a logical channel under the convention."""
    if lc.retry_of:
        return f"{logical_name(spec, by_key[lc.retry_of], by_key, suffix)}.retry.{lc.key.rsplit('.', 1)[1]}"
    if lc.dead_letter_of:
        return logical_name(spec, by_key[lc.dead_letter_of], by_key, suffix) + suffix
    head, _, tail = lc.key.partition(".")
    middle = f"{head}.{naming.check_service(tail)}" if tail else head
    return f"{spec.domain}.{middle}.v1"


def main_channels(spec: DesignInput) -> list[LogicalChannel]:
    return [c for c in spec.logical_channels if c.role not in ("retry", "dead_letter")]


def groups_on(spec: DesignInput, key: str) -> list[ConsumerGroup]:
    return [g for g in spec.consumer_groups if g.channel == key]


def retention_hours(spec: DesignInput, lc: LogicalChannel) -> int | None:
    if lc.role in ("dead_letter", "retry"):
        # A retry tier holds a message for seconds; keep it no longer than dead letters, never forever.
        return spec.retry_policy.dead_letter_retention_days * 24
    if lc.keep_forever or lc.compacted:
        return None
    return spec.retention_hours


def steps(spec: DesignInput, where: str, dead: str, non_retryable: str | None = None,
          retry: str | None = None) -> list[str]:
    """What happens to a failing message, in order, in words. ``non_retryable`` says how a non-retryable message
    reaches the dead letters where the broker does not send it there itself; ``retry`` replaces the retry step where
    the broker cannot wait the planned delays."""
    b = spec.retry_policy.backoff
    return [
        f"Non-retryable errors ({', '.join(spec.retry_policy.non_retryable)}) go straight to {dead}"
        + (f": {non_retryable}." if non_retryable else "."),
        retry or f"Retryable errors ({', '.join(spec.retry_policy.retryable)}) are retried up to {b.max_attempts - 1} "
        f"times after {', '.join(str(d) for d in b.delays_ms)} ms ({b.jitter}) {where}.",
        f"After {b.max_attempts} failed attempts the message goes to {dead}; an alert fires once it holds more than "
        f"{spec.retry_policy.dlq_alert_threshold} messages.",
        f"A circuit breaker opens after {spec.retry_policy.circuit_breaker.failure_threshold} consecutive failures "
        f"of a downstream call and pauses consumption for {spec.retry_policy.circuit_breaker.reset_timeout_seconds} s.",
    ]

"""The entry point of inspect_broker: read a target (sampled), find what is wrong, compare with a plan, and hand
diagnose_issue the live evidence.

Synchronous and blocking (network I/O with timeouts, bounded by the target's ``deadline_s``): an async adapter calls
it in a worker thread. Readers are imported only when a target of their broker is inspected.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.diagnosis import DiagnoseRequest
from event_driven.core.inspection.drift import drift
from event_driven.core.inspection.evidence import diagnose_request
from event_driven.core.inspection.models import DriftReport, Finding
from event_driven.core.inspection.rules import RuleInput, findings
from event_driven.core.inspection.snapshot import BrokerSnapshot, SnapshotSummary
from event_driven.core.inspection.trend import ChannelSeries
from event_driven.core.topology.models import TopologyPlan
from event_driven.errors import InputError, echo, field_error
from event_driven.live.reading import ReadContext
from event_driven.live.sampling import sampled_series, take_samples
from event_driven.live.targets import Target
from event_driven.vocab import BrokerId

log = logging.getLogger("event_driven.live")

READERS: dict[str, str] = {
    "rabbitmq": "event_driven.live.rabbitmq:read_rabbitmq",
    "nats": "event_driven.live.nats:read_nats",
    "redis": "event_driven.live.redis:read_redis",
    "sqs": "event_driven.live.sqs:read_sqs",
    "kafka": "event_driven.live.kafka:read_kafka",
}
PATTERN_MAX = 200


class InspectionResult(BaseModel):
    """What inspect_broker answers: the latest snapshot, trends over the window, findings, drift, evidence."""

    model_config = ConfigDict(extra="forbid")

    target: str
    broker: BrokerId
    url: str = Field(description="The target's URL with any user information replaced.")
    summary: SnapshotSummary
    samples: int
    window_s: float = Field(description="Time between the first and the last snapshot, as measured.")
    snapshot: BrokerSnapshot = Field(description="The latest snapshot.")
    series: list[ChannelSeries]
    findings: list[Finding]
    drift: DriftReport | None = None
    diagnose_evidence: DiagnoseRequest | None = Field(default=
        None, description="The live evidence of the most affected channel, ready for diagnose_issue.")
    calls: int = Field(description="Read-only calls made to the broker.")
    elapsed_ms: int


def reader_for(target: Target) -> Callable[[ReadContext], BrokerSnapshot]:
    module, _, name = READERS[target.broker].partition(":")
    return getattr(importlib.import_module(module), name)


def check_pattern(pattern: str | None) -> str | None:
    if pattern is None or pattern == "":
        return None
    if len(pattern) > PATTERN_MAX or any(ord(c) < 32 for c in pattern):
        raise InputError(field_error("$.pattern", "pattern_mismatch", f"the name pattern {echo(pattern)} must be one "
                                     f"line of at most {PATTERN_MAX} characters",
                                     allowed="a shell glob such as 'orders.*'"))
    return pattern


def inspect_target(target: Target, *, plan: TopologyPlan | None = None, pattern: str | None = None) -> InspectionResult:
    """Read ``target`` read-only over its sampling window and analyse it. Raises BrokerReadError or InputError."""
    started = time.monotonic()
    ctx = ReadContext(target=target, credentials=target.credentials(), pattern=check_pattern(pattern))
    log.info("inspect %s (%s at %s)", target.name, target.broker, target.display_url)
    snapshots = take_samples(reader_for(target), ctx)
    series = sampled_series(snapshots)
    found = findings(RuleInput(snapshot=snapshots[-1], series=series, expect=target.expect))
    last = snapshots[-1]
    result = InspectionResult(
        target=target.name, broker=target.broker_id, url=target.display_url, summary=last.summary,
        samples=len(snapshots), window_s=(last.summary.taken_at_ms - snapshots[0].summary.taken_at_ms) / 1000,
        snapshot=last, series=series, findings=found,
        drift=drift(plan, last, ctx.pattern) if plan is not None else None,
        diagnose_evidence=diagnose_request(snapshots, series, found, target.expect),
        calls=ctx.calls, elapsed_ms=int((time.monotonic() - started) * 1000))
    log.info("inspect %s: %d channel(s), %d finding(s), %d call(s) in %d ms", target.name,
             last.summary.channels_shown, len(found), ctx.calls, result.elapsed_ms)
    return result

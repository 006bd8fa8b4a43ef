"""Helpers shared by the live-inspection tests (tests/test_live_*.py): targets, waiting, and diagnose ranks."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from event_driven.core.diagnosis import diagnose
from event_driven.kb.loader import knowledge
from event_driven.live.inspect import InspectionResult, inspect_target
from event_driven.live.targets import Target, TargetsFile

T = TypeVar("T")


def unique(prefix: str = "live") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def target(broker: str, url: str, **extra: Any) -> Target:
    """A target as the operator's file would declare it (validated by the same model)."""
    return TargetsFile.model_validate({"targets": [{"name": f"test-{broker}", "broker": broker, "url": url,
                                                    **extra}]}).targets[0]


def wait_until(probe: Callable[[], T], ok: Callable[[T], bool], timeout_s: float = 20.0, step_s: float = 0.5) -> T:
    """Call ``probe`` until ``ok`` holds (the management statistics lag the broker by a few seconds)."""
    deadline = time.monotonic() + timeout_s
    value = probe()
    while not ok(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout_s} s; last value: {value!r}"[:2000])
        time.sleep(step_s)
        value = probe()
    return value


def inspect_until(tgt: Target, pattern: str, ok: Callable[[InspectionResult], bool], **kw: Any) -> InspectionResult:
    return wait_until(lambda: inspect_target(tgt, pattern=pattern, **kw), ok)


def work_queue_plan(broker: str, domain: str) -> Any:
    """plan_topology's plan for a work queue produced by ``<domain>-service`` (so every name starts with domain)."""
    from event_driven.core.topology.planner import plan_topology

    context = {"use_case": "work_queue", "producers": [f"{domain}-service"], "consumers": ["billing"],
               "requirements": {"throughput": "100 msg/s", "latency": "1s", "ordering": "none",
                                "delivery": "at_least_once", "retention": "7 days"}}
    return plan_topology(context, knowledge(), broker, None).plan


def rule_ids(result: InspectionResult) -> list[str]:
    return [f.rule_id for f in result.findings]


def diagnosis_rank(result: InspectionResult, failure_mode_id: str) -> int | None:
    """The rank diagnose_issue gives ``failure_mode_id`` on the inspection's live evidence (1 = first)."""
    assert result.diagnose_evidence is not None, "the inspection produced no diagnose evidence"
    hypotheses = diagnose(result.diagnose_evidence, knowledge()).hypotheses
    return next((h.rank for h in hypotheses if h.failure_mode_id == failure_mode_id), None)

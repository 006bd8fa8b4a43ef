"""The golden matrix: every tool over the README's examples, the selection scenarios and a grid of contexts.

``capture.py`` writes each tool's structured result for these inputs; ``test_golden.py`` recomputes them and
compares. A refactor must leave every result equal; a change in behaviour regenerates the files in the same commit,
so the diff shows what changed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
USE_CASES = ("pub_sub", "work_queue", "event_sourcing", "cqrs", "saga")
BROKERS = ("kafka", "rabbitmq", "sqs", "pulsar", "nats_jetstream", "redis_streams")


def context(use_case: str, **req: Any) -> dict[str, Any]:
    requirements = {"throughput": "10K msg/s", "latency": "100ms", "ordering": "partition",
                    "delivery": "at_least_once", "retention": "7 days", **req}
    return {"use_case": use_case, "requirements": requirements, "producers": ["order-service", "billing-service"],
            "consumers": ["notification-service", "analytics-service", "audit-service"]}


def validate_cases() -> dict[str, Any]:
    cases: dict[str, Any] = {f"{u}": context(u) for u in USE_CASES}
    cases["exactly_once_global"] = context("saga", delivery="exactly_once", ordering="global")
    cases["bad_values"] = {"use_case": "event-sourcing", "requirements": {"throughput": "10k msg/sec"}}
    cases["yaml_text"] = "use_case: work_queue\nrequirements:\n  throughput: 200 msg/s\n"
    cases["not_an_object"] = 42
    return cases


def selection_cases() -> dict[str, dict[str, Any]]:
    scenarios = yaml.safe_load((ROOT / "tests/scenarios/broker_selection.yaml").read_text(encoding="utf-8"))
    cases = {s["id"]: {"context": s["context"], "constraints": s.get("constraints")} for s in scenarios}
    for u in USE_CASES:
        cases[f"grid-{u}"] = {"context": context(u), "constraints": None}
    return cases


def plan_cases() -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    for u in USE_CASES:
        for b in BROKERS:
            cases[f"{u}-{b}"] = {"context": context(u), "broker": b, "options": None}
    cases["default-broker"] = {"context": context("pub_sub"), "broker": None, "options": None}
    cases["kafka-options"] = {"context": context("pub_sub", delivery="exactly_once"), "broker": "kafka",
                              "options": {"domain": "payments", "replication_factor": 3, "max_attempts": 5,
                                          "schema_format": "avro"}}
    return cases


def diagnose_cases() -> dict[str, dict[str, Any]]:
    raw = yaml.safe_load((ROOT / "tests/diagnose_cases/cases.yaml").read_text(encoding="utf-8"))
    keys = ("symptoms", "error_lines", "config", "metrics", "broker")
    return {c["id"]: {k: c[k] for k in keys if c.get(k) is not None} for c in raw if c.get("split", "dev") == "dev"}


def testgen_cases() -> dict[str, dict[str, Any]]:
    cases = {f"{b}": {"context": context("pub_sub"), "options": {"broker": b}} for b in BROKERS}
    for u in USE_CASES:
        cases[f"kafka-{u}"] = {"context": context(u), "options": {"broker": "kafka"}}
    return cases

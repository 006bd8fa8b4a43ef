"""System-level scenarios (tests/scenarios/system_plans.yaml): the plan as a whole has the property a reviewer checks.

Each property reads the plan the way a senior engineer would sign it off: does every deadline outlast a job, does a
consumer never hold a job it cannot start in time, does each group fail on its own, does the client call do what the
retry plan says. The properties are defined here, once, and each case names the ones it must have.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from conftest import TESTS
from event_driven.app.plan import plan_topology
from event_driven.core.topology import naming
from event_driven.core.topology.models import TopologyPlan
from event_driven.kb.loader import knowledge
from event_driven.render.nats import consumers as planned_consumers

CASES = yaml.safe_load((TESTS / "scenarios" / "system_plans.yaml").read_text())["cases"]
RABBITMQ_DEFAULT_TIMEOUT_MS = 1_800_000  # consumer_timeout when the plan leaves the default


class Case:
    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.options: dict[str, Any] = raw.get("options") or {}
        self.plan: TopologyPlan = plan_topology(raw["context"], knowledge(), raw["broker"], self.options or None,
                                                render=False)
        self.broker: str = raw["broker"]
        self.job_ms: int | None = self.options.get("processing_time_ms")
        self.slots: int = self.options.get("consumer_slots_per_instance", 1)
        self.margin = float(knowledge().patterns.sizing.processing_margin.value)

    @property
    def consumer(self) -> dict[str, Any]:
        return self.plan.client_settings.consumer

    def nats_consumers(self) -> list[dict[str, Any]]:
        return planned_consumers(self.plan)

    def deadline_ms(self) -> float:
        """The deadline the broker enforces on an unacknowledged delivery, as planned."""
        if self.broker == "rabbitmq":
            return self.consumer.get("consumer_timeout_ms", RABBITMQ_DEFAULT_TIMEOUT_MS)
        if self.broker == "sqs":
            queue = next(c for c in self.plan.channels if c.kind == "queue" and c.role not in ("dead_letter", "retry"))
            return queue.settings["attributes"]["VisibilityTimeout"] * 1000
        if self.broker == "nats_jetstream":
            return min(c["ack_wait_ns"] for c in self.nats_consumers()) / 1e6
        if self.broker == "redis_streams":
            return self.plan.retry.settings["min_idle_time_ms"]
        return self.consumer["max.poll.interval.ms"]

    def held(self) -> int:
        if self.broker == "rabbitmq":
            return self.consumer["prefetch_count"]
        if self.broker == "sqs":
            return self.consumer["MaxNumberOfMessages"]
        if self.broker == "redis_streams":
            return int(re.search(r"COUNT (\d+)", self.consumer["XREADGROUP"]).group(1))  # type: ignore[union-attr]
        raise AssertionError(f"no client buffer property for {self.broker}")


def _dead_letter_for(case: Case, group: str) -> bool:
    dead = [c for c in case.plan.channels if c.role == "dead_letter"]
    if case.broker == "nats_jetstream":
        lanes = next(g.lanes for g in case.plan.consumer_groups if g.name == group)
        names = naming.nats_lane_consumers(group, lanes)
        return all(any(s.endswith(f".{n}") for c in dead for s in c.settings.get("subjects", [])) for n in names)
    return any(c.key.endswith(f"@{group}.dlq") for c in dead)


def per_group_dead_letters(case: Case, expected: bool) -> None:
    groups = [g.name for g in case.plan.consumer_groups]
    assert all(_dead_letter_for(case, g) for g in groups) == expected, groups
    if case.broker == "kafka":
        retries = [c.key for c in case.plan.channels if c.role == "retry"]
        assert all(any(f"@{g}.retry." in k for k in retries) for g in groups), retries


def buffer_fits_deadline(case: Case, expected: bool) -> None:
    assert case.job_ms, "the property needs a processing time"
    waits = math.ceil(case.held() / case.slots) * case.job_ms * case.margin
    assert (waits <= case.deadline_ms()) == expected, (case.held(), case.deadline_ms())


def heartbeat(case: Case, expected: bool) -> None:
    key = {"sqs": "heartbeat", "redis_streams": "heartbeat", "nats_jetstream": "in_progress"}[case.broker]
    assert (key in case.consumer) == expected


def nak_carries_delay(case: Case, expected: bool) -> None:
    delays = [d / 1000 for d in case.plan.retry_policy.backoff.delays_ms]
    ok = all(c["backoff_ns"] == [] for c in case.nats_consumers()) and case.consumer["nak_delay_s"] == delays
    assert ok == expected


def durability_demanded(case: Case, expected: bool) -> None:
    warned = any(w.severity == "high" and "WAIT" in w.action for w in case.plan.warnings)
    assert ("durability" in case.plan.client_settings.producer and warned) == expected


def non_retryable_explicit(case: Case, expected: bool) -> None:
    step = case.plan.retry.steps[0]
    ok = "SendMessage" in case.consumer["on_non_retryable_error"] and "consumer sends it" in step
    assert ok == expected, step


def broker_side_lag_alerts(case: Case, expected: bool) -> None:
    """Lag and stall alerts read the broker (an exporter, or CloudWatch on SQS), never the application's own gauge,
    and the stall window outlasts the acknowledgement deadline, so a long job is not paged as a stall."""
    obs = case.plan.observability
    app = {m.name for m in obs.metrics}
    deadline_min = case.plan.sizing.deadlines and case.deadline_ms() / 60_000
    if case.broker == "sqs":
        queues = {c.name for c in case.plan.channels if c.kind == "queue" and c.role != "dead_letter"}
        ok = queues <= {a.queue for a in obs.cloudwatch_alarms if a.metric == "ApproximateAgeOfOldestMessage"}
    else:
        lag = [a for a in obs.alerts if a.name in ("ConsumerLagGrowing", "ConsumerStalled")]
        ok = len(lag) == 2 and not any(re.search(rf"\b{m}\b", a.expr) for a in lag for m in app)
    assert (ok and obs.lag_window_minutes >= (deadline_min or 0)) == expected, obs.alerts


def dlq_depth_alert(case: Case, expected: bool) -> None:
    """The dead-letter backlog alert reads the dead-letter channel's depth, not a day of inflow."""
    obs = case.plan.observability
    if case.broker == "sqs":
        dlqs = {c.name for c in case.plan.channels if c.role == "dead_letter"}
        ok = dlqs <= {a.queue for a in obs.cloudwatch_alarms
                      if a.metric == "ApproximateNumberOfMessagesVisible"
                      and a.threshold == case.plan.retry_policy.dlq_alert_threshold}
    else:
        backlog = next(a for a in obs.alerts if a.name == "DeadLetterBacklogHigh")
        assert obs.broker_signals is not None and obs.broker_signals.dead_letter is not None
        ok = obs.broker_signals.dead_letter.metric in backlog.expr and "increase(" not in backlog.expr
    assert ok == expected


def ordered_lanes(case: Case, expected: bool) -> None:
    """Per-key order with parallelism: each group's keys are spread over as many lanes as the sizing asks for
    instances: on NATS each lane its own subject with one durable consumer holding one message at a time, on Redis
    one stream per lane carrying every group."""
    ok = True
    for g in case.plan.consumer_groups:
        ok &= g.lanes == g.instances == case.plan.sizing.consumer_instances.value > 1
        if case.broker == "rabbitmq":  # a consistent-hash exchange over N single-active-consumer lane queues
            lanes = [c for c in case.plan.channels if c.key.startswith(f"{g.channel}@{g.name}.lane.")]
            ok &= len(lanes) == g.lanes and all(c.settings["arguments"]["x-single-active-consumer"] for c in lanes)
            ok &= any(c.settings.get("type") == "x-consistent-hash" and c.key == f"{g.channel}@{g.name}.lanes"
                      for c in case.plan.channels)
            continue
        if case.broker == "redis_streams":  # one stream per lane, each carrying the group
            lanes = [c for c in case.plan.channels if c.settings.get("lane_of") == g.channel]
            ok &= len(lanes) == g.lanes and all(g.name in c.settings["groups"] for c in lanes)
            continue
        mine = [c for c in case.nats_consumers() if c["durable_name"].startswith(naming.nats_consumer(g.name))]
        ok &= g.lanes == g.instances == case.plan.sizing.consumer_instances.value > 1 and len(mine) == g.lanes
        ok &= len({c["filter_subject"] for c in mine}) == g.lanes and all(c["max_ack_pending"] == 1 for c in mine)
    assert ok == expected, [(g.name, g.instances, g.lanes) for g in case.plan.consumer_groups]


def _carried(broker: str, files: dict[str, str]) -> list[int]:
    """Every deadline, in ms, the rendered files hand to the broker or the client, one per place it is set."""
    def found(path_re: str, value_re: str, times: int = 1, per: int = 1) -> list[int]:
        return [int(v) * times // per for path, text in files.items() if re.fullmatch(path_re, path)
                for v in re.findall(value_re, text, re.M)]

    return {
        "rabbitmq": lambda: found(r"rabbitmq/rabbitmq\.conf", r"^consumer_timeout = (\d+)$"),
        "sqs": lambda: found(r"sqs/cloudformation\.yaml", r"^\s+VisibilityTimeout: (\d+)$", 1000),
        "nats_jetstream": lambda: found(r"nats/consumers/.+\.json", r'"ack_wait": (\d+)', per=1_000_000),
        "redis_streams": lambda: found(r"redis/setup\.redis", r"XAUTOCLAIM \S+ \S+ <consumer> (\d+) 0-0"),
        "kafka": lambda: found(r"kafka/consumer-.+\.properties", r"^max\.poll\.interval\.ms=(\d+)$"),
    }[broker]()


def deadline_rendered(case: Case, expected: bool) -> None:
    """The deadline the plan computes is the one the rendered files set, in every place they set one: each consumer
    queue's VisibilityTimeout, each durable consumer's ack_wait, each group's XAUTOCLAIM idle time and
    max.poll.interval.ms, RabbitMQ's consumer_timeout in rabbitmq.conf (absent where the plan keeps the broker's
    default). A plan whose deadline lives only in its client settings leaves the broker on its default."""
    rendered = plan_topology(case.raw["context"], knowledge(), case.broker, case.options or None)
    carried = _carried(case.broker, {a.path: a.content for a in rendered.artifacts})
    kept_default = case.broker == "rabbitmq" and "consumer_timeout_ms" not in case.consumer
    places = {"sqs": sum(1 for c in case.plan.channels if c.kind == "queue" and c.role != "dead_letter"),
              "nats_jetstream": len(case.nats_consumers()) if case.broker == "nats_jetstream" else 0,
              "kafka": len(case.plan.consumer_groups)}.get(case.broker, 1)
    ok = carried == [] if kept_default else (set(carried) == {case.deadline_ms()} and len(carried) >= places)
    assert ok == expected, (carried, case.deadline_ms(), places)


def _warned(case: Case, text: str) -> bool:
    return any(text in w.message or text in w.action for w in case.plan.warnings)


PROPERTIES: dict[str, Callable[[Case, Any], None]] = {
    "in_flight": lambda c, n: _eq(c.plan.sizing.concurrency and c.plan.sizing.concurrency.value, n),
    "instances_at_least": lambda c, n: _ge(c.plan.sizing.consumer_instances.value, n),
    "deadline_covers_job": lambda c, e: _is((c.deadline_ms() >= c.margin * (c.job_ms or 0)), e),
    "buffer_fits_deadline": buffer_fits_deadline,
    "pending_covers_in_flight": lambda c, e: _is(all(
        x["max_ack_pending"] >= (c.plan.sizing.concurrency.value if c.plan.sizing.concurrency else 0)
        for x in c.nats_consumers()), e),
    "buckets_cover_job": lambda c, e: _is(any(
        m.buckets and max(m.buckets) >= (c.job_ms or 0) / 1000 for m in c.plan.observability.metrics), e),
    "heartbeat": heartbeat,
    "per_group_dead_letters": per_group_dead_letters,
    "nak_carries_delay": nak_carries_delay,
    "transactional_id_per_instance": lambda c, e: _is(
        "{instance}" in c.plan.client_settings.producer.get("transactional.id", ""), e),
    "murmur2_keys": lambda c, e: _is(c.plan.client_settings.producer.get("partitioner") == "murmur2_random", e),
    "persistence_matches_replication": lambda c, e: _is(all(
        ch.settings["persistence"]["write_quorum"] == c.plan.topology.replication_factor
        for ch in c.plan.channels if ch.kind == "topic"), e),
    "durability_demanded": durability_demanded,
    "non_retryable_explicit": non_retryable_explicit,
    "keyed_headroom": lambda c, e: _is(c.plan.topology.partitions >= 2 * c.plan.sizing.partitions.partitions, e),
    "tiered_storage_advised": lambda c, e: _is(_warned(c, "tiered storage"), e),
    "partition_warning": lambda c, e: _is(_warned(c, "partition replicas"), e),
    "retention_mapped": lambda c, e: _is(all(
        q.settings["arguments"].get("x-message-ttl") == q.retention_hours * 3_600_000
        for q in c.plan.channels if q.kind == "queue" and q.role not in ("dead_letter", "retry")), e),
    "storage_counts_subscriber_copies": lambda c, e: _is(
        c.plan.sizing.storage.inputs.get("subscriber_queues") == len(c.plan.consumer_groups), e),
    "broker_side_lag_alerts": broker_side_lag_alerts,
    "ordered_lanes": ordered_lanes,
    "dlq_depth_alert": dlq_depth_alert,
    "deadline_rendered": deadline_rendered,
    "no_redelivery_warning_for_default": lambda c, e: _is(
        c.plan.sizing.concurrency is None and c.plan.sizing.deadlines == [], e),
}


def _eq(actual: Any, expected: Any) -> None:
    assert actual == expected, (actual, expected)


def _ge(actual: float, floor: float) -> None:
    assert actual >= floor, (actual, floor)


def _is(actual: bool, expected: bool) -> None:
    assert actual is expected, (actual, expected)


def test_the_suite_is_system_level_and_large_enough() -> None:
    assert len(CASES) >= 20
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert all(c["properties"] and set(c["properties"]) <= set(PROPERTIES) for c in CASES)


@pytest.mark.parametrize("raw", CASES, ids=[c["id"] for c in CASES])
def test_plan_has_the_reviewed_properties(raw: dict[str, Any]) -> None:
    case = Case(raw)
    failures = []
    for name, expected in raw["properties"].items():
        try:
            PROPERTIES[name](case, expected)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert not failures, f"{raw['scenario']}: " + "; ".join(failures)


@pytest.mark.parametrize("raw", [c for c in CASES if c["id"].startswith("long-jobs-rendered-")], ids=lambda c: c["id"])
def test_deadline_rendered_fails_when_a_file_keeps_another_deadline(raw: dict[str, Any]) -> None:
    """The property reads the files: rendered with another deadline than the plan's, they fail it."""
    case = Case(raw)
    rendered = plan_topology(raw["context"], knowledge(), raw["broker"], case.options or None)
    files = {a.path: a.content for a in rendered.artifacts}
    deadline = int(case.deadline_ms())
    wire = {"sqs": deadline // 1000, "nats_jetstream": deadline * 1_000_000}.get(case.broker, deadline)
    assert set(_carried(case.broker, files)) == {deadline}
    halved = {p: text.replace(str(wire), str(wire // 2)) for p, text in files.items()}
    assert set(_carried(case.broker, halved)) == {deadline // 2}

"""The plan reasons from the workload: a stated processing time sizes consumers, deadlines, buffers and buckets.

The case is issue 13's work queue: 50 jobs/s of 20 minutes each. Little's law puts 60,000 jobs in flight; every broker
deadline must outlast a job with margin, no consumer may hold a job it cannot start before its deadline, and the
processing-time histogram must reach past 20 minutes.
"""

from __future__ import annotations

import pytest

from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge

JOB_MS = 20 * 60 * 1000
RATE = 50
CONTEXT = {"use_case": "work_queue", "producers": ["api"], "consumers": ["worker"],
           "requirements": {"throughput": f"{RATE} msg/s", "delivery": "at_least_once", "ordering": "none"}}


def plan(broker: str, **options: int):
    return plan_topology(CONTEXT, knowledge(), broker, {"processing_time_ms": JOB_MS, **options}, render=False)


def margin() -> float:
    return float(knowledge().patterns.sizing.processing_margin.value)


@pytest.mark.parametrize("broker", ["rabbitmq", "sqs", "nats_jetstream", "redis_streams", "kafka"])
def test_concurrency_and_deadline_follow_from_the_processing_time(broker: str) -> None:
    p = plan(broker)
    assert p.sizing.concurrency is not None and p.sizing.concurrency.value == RATE * JOB_MS / 1000 == 60_000
    assert p.sizing.consumer_instances.value == 60_000  # one job per instance by default
    deadline = next(f for f in p.sizing.deadlines if f.name == "acknowledgement deadline")
    assert deadline.value >= margin() * JOB_MS > JOB_MS
    buckets = next(m.buckets for m in p.observability.metrics if m.type == "histogram")
    assert buckets and max(buckets) > JOB_MS / 1000 and JOB_MS / 1000 in buckets


def test_rabbitmq_prefetch_fits_the_consumer_timeout_and_the_timeout_is_raised() -> None:
    p = plan("rabbitmq")
    consumer = p.client_settings.consumer
    assert consumer["prefetch_count"] == 1  # a second prefetched job would wait 20 min and pass the deadline
    assert consumer["consumer_timeout_ms"] >= margin() * JOB_MS > 1_800_000  # above the 30-minute default
    assert any("consumer_timeout" in w.action and w.severity == "high" for w in p.warnings)


def test_rabbitmq_short_jobs_keep_the_throughput_prefetch() -> None:
    p = plan_topology(CONTEXT, knowledge(), "rabbitmq", {"processing_time_ms": 20}, render=False)
    assert p.client_settings.consumer["prefetch_count"] == knowledge().patterns.sizing.rabbitmq_prefetch.value


def test_sqs_receives_only_what_it_can_finish_and_heartbeats() -> None:
    p = plan("sqs")
    consumer = p.client_settings.consumer
    queue = next(c for c in p.channels if c.kind == "queue" and c.role == "jobs")
    visibility = queue.settings["attributes"]["VisibilityTimeout"]
    assert visibility * 1000 >= margin() * JOB_MS
    assert consumer["MaxNumberOfMessages"] == 1  # not 10: buffered messages would reappear and run twice
    assert "ChangeMessageVisibility" in consumer["heartbeat"]


def test_nats_admits_the_work_in_flight_and_extends_with_in_progress() -> None:
    p = plan("nats_jetstream")
    consumer = p.client_settings.consumer
    durable = next(iter(consumer["consumers"].values()))
    assert durable["max_ack_pending"] >= 60_000  # the 1,000 default would cap the rate at 1,000 / 1,200 s
    assert durable["ack_wait_ns"] >= margin() * JOB_MS * 1_000_000
    assert "in_progress" in consumer["in_progress"]


def test_slots_per_instance_divide_the_instances_and_widen_the_buffer() -> None:
    p = plan("rabbitmq", consumer_slots_per_instance=8)
    assert p.sizing.consumer_instances.value == 60_000 / 8
    assert p.client_settings.consumer["prefetch_count"] == 8


def test_without_a_processing_time_nothing_changes() -> None:
    p = plan_topology(CONTEXT, knowledge(), "rabbitmq", None, render=False)
    assert p.sizing.concurrency is None and p.sizing.deadlines == []
    assert "consumer_timeout_ms" not in p.client_settings.consumer


ORDERED = {**CONTEXT, "requirements": {**CONTEXT["requirements"], "ordering": "partition"}}


@pytest.mark.parametrize("broker", ["rabbitmq", "nats_jetstream", "redis_streams"])
def test_ordered_lanes_for_long_jobs_are_capped_and_the_rate_they_sustain_is_said(broker: str) -> None:
    """60,000 jobs in flight with per-key order would be 60,000 lanes (one per job); the plan caps them and says the
    ceiling that follows (lanes / processing time), instead of planning an unrunnable number of queues or streams."""
    cap = int(knowledge().patterns.sizing.max_ordered_lanes.value)
    planned = plan_topology(ORDERED, knowledge(), broker, {"processing_time_ms": JOB_MS}, render=False)
    assert max(g.lanes for g in planned.consumer_groups) == cap
    [warning] = [w for w in planned.warnings if "caps ordered lanes" in w.message]
    assert f"{cap * 1000 / JOB_MS:,.2f} msg/s" in warning.message and warning.severity == "high"
    assert "options.max_lanes" in warning.action


def test_max_lanes_moves_the_cap_and_a_rate_within_it_gets_no_warning() -> None:
    wider = plan_topology(ORDERED, knowledge(), "nats_jetstream", {"processing_time_ms": JOB_MS, "max_lanes": 1000},
                          render=False)
    assert max(g.lanes for g in wider.consumer_groups) == 1000
    short = plan_topology(ORDERED, knowledge(), "nats_jetstream", {"processing_time_ms": 1000}, render=False)
    assert max(g.lanes for g in short.consumer_groups) == RATE  # 50 jobs/s of 1 s: 50 in flight, under the cap
    assert not [w for w in short.warnings if "caps ordered lanes" in w.message]

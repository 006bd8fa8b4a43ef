"""Behaviour on the real Redis, from the rendered set-up file: a poison message and a failing subscriber.

Redis has no per-entry delay and no delivery limit. The plan's retry rule: a failed entry stays unacknowledged in its
group's pending entries list, is reclaimed with XAUTOCLAIM once idle for the planned min-idle-time, and once
XPENDING shows max_deliveries deliveries the consumer XADDs it to the dead-letter stream with its group and XACKs it.
Scaled down: a 1 s processing budget, so every retry waits the 1 s idle time the plan renders.

The controls run the same failure without the rule: without the delivery-count check Redis redelivers the poison
entry past max_deliveries and the dead-letter stream stays empty; and a subscriber that retries by re-adding the entry
to the shared stream (as a retry channel common to all groups does) makes the healthy subscriber process it again.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from brokers.redis import HOST, PORT, commands, context, setup_text
from conftest import reachable, require
from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge

BUDGET_MS = 1000
STEP_S = 0.05


def make_plan(use_case: str) -> Any:
    ctx = context(use_case)
    ctx["requirements"]["ordering"] = "none"
    return plan_topology(
        ctx,
        knowledge(),
        "redis_streams",
        {
            "domain": f"t{uuid.uuid4().hex[:8]}",
            "replication_factor": 1,
            "max_attempts": 3,
            "processing_timeout_ms": BUDGET_MS,
        },
    )


def rendered(plan: Any) -> tuple[int, int, str]:
    """(min idle time ms, max deliveries, dead-letter stream) as the rendered set-up file states them."""
    text = setup_text(plan)
    idle = {int(m) for m in re.findall(r"XAUTOCLAIM \S+ \S+ <consumer> (\d+) 0-0", text)}
    limit = {int(m) for m in re.findall(r"times_delivered >= (\d+)", text)}
    dead = set(re.findall(r"XADD (\S+) \* source_id <entry-id> group", text))
    assert len(idle) == len(limit) == len(dead) == 1, (idle, limit, dead)
    return idle.pop(), limit.pop(), dead.pop()


class Subscriber:
    """One consumer group's worker following the rendered commands: XREADGROUP '>' then XAUTOCLAIM with the idle
    time; ``fail`` decides whether processing fails; ``dead_letter`` applies the plan's delivery-count rule."""

    def __init__(self, r: Any, stream: str, group: str, idle_ms: int, limit: int, dead: str):
        self.r, self.stream, self.group, self.idle, self.limit, self.dead = r, stream, group, idle_ms, limit, dead
        self.times: list[float] = []

    def poll(self, fail: bool, dead_letter: bool = True, republish: bool = False) -> None:
        got = self.r.xreadgroup(self.group, "c1", {self.stream: ">"}, count=10)
        entries = list(got[0][1]) if got else []
        entries += self.r.xautoclaim(self.stream, self.group, "c1", self.idle, "0-0", count=10)[1]
        for entry_id, fields in entries:
            self.times.append(time.monotonic())
            if not fail:
                self.r.xack(self.stream, self.group, entry_id)
            elif republish:  # a shared retry channel: the entry goes back where every group reads it
                self.r.xadd(self.stream, fields)
                self.r.xack(self.stream, self.group, entry_id)
            elif dead_letter and self._delivered(entry_id) >= self.limit:
                self.r.xadd(self.dead, {"source_id": entry_id, "group": self.group, **fields})
                self.r.xack(self.stream, self.group, entry_id)

    def _delivered(self, entry_id: str) -> int:
        return self.r.xpending_range(self.stream, self.group, entry_id, entry_id, 1)[0]["times_delivered"]

    def pending(self) -> int:
        return self.r.xpending(self.stream, self.group)["pending"]


def connect() -> Any:
    require(reachable(HOST, PORT), f"Redis not reachable on {HOST}:{PORT}")
    import redis

    return redis.Redis(host=HOST, port=PORT, decode_responses=True, socket_timeout=10)


def cleanup(r: Any, plan: Any) -> None:
    try:
        r.delete(*[c.name for c in plan.channels if c.kind == "stream"])
    finally:
        r.close()


def poison(dead_letter: bool) -> tuple[Subscriber, list[dict[str, str]], int]:
    """One poison job on the work queue, failed every time; (the worker, dead-letter entries, time between tries)."""
    plan = make_plan("work_queue")
    idle, limit, dead = rendered(plan)
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "jobs")
    r = connect()
    try:
        for cmd in commands(setup_text(plan)):
            r.execute_command(*cmd)
        r.xadd(stream.name, {"envelope": "poison"})
        worker = Subscriber(r, stream.name, stream.settings["groups"][0], idle, limit, dead)
        end = time.monotonic() + (limit + 3) * idle / 1000 + 2
        while time.monotonic() < end and len(worker.times) < limit + 2 and not r.xlen(dead):
            worker.poll(fail=True, dead_letter=dead_letter)
            time.sleep(STEP_S)
        entries = [fields for _, fields in r.xrange(dead)]
        worker.times.append(float(worker.pending()))  # last item: entries still pending
        return worker, entries, idle
    finally:
        cleanup(r, plan)


def test_a_poison_message_is_retried_after_the_planned_idle_time_then_dead_lettered_with_its_group():
    worker, dead, idle = poison(dead_letter=True)
    *times, pending = worker.times
    assert len(times) == worker.limit == 3  # delivered max_deliveries times, then moved
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(idle / 1000 <= gap < idle / 1000 + 0.5 for gap in gaps), (gaps, idle)
    assert [(e["envelope"], e["group"]) for e in dead] == [("poison", worker.group)]
    assert pending == 0


def test_without_the_delivery_count_rule_redis_redelivers_the_poison_message_past_the_limit():
    worker, dead, _ = poison(dead_letter=False)
    *times, pending = worker.times
    assert len(times) == worker.limit + 2 and dead == [] and pending == 1  # no broker-side limit


def fan_out(republish: bool) -> tuple[Subscriber, Subscriber, list[dict[str, str]]]:
    """One event on a pub_sub stream read by two groups: the first fails it every time, the second is healthy."""
    plan = make_plan("pub_sub")
    idle, limit, dead = rendered(plan)
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "events")
    failing_group, healthy_group = stream.settings["groups"]
    r = connect()
    try:
        for cmd in commands(setup_text(plan)):
            r.execute_command(*cmd)
        r.xadd(stream.name, {"envelope": "order-1"})
        failing = Subscriber(r, stream.name, failing_group, idle, limit, dead)
        healthy = Subscriber(r, stream.name, healthy_group, idle, limit, dead)
        end = time.monotonic() + (limit + 2) * idle / 1000 + 2
        while time.monotonic() < end and len(failing.times) < limit + 2:
            failing.poll(fail=True, republish=republish and len(failing.times) < limit)
            healthy.poll(fail=False)
            time.sleep(STEP_S)
        assert (failing.pending(), healthy.pending()) == (0, 0) or republish  # nothing left unacknowledged
        return failing, healthy, [fields for _, fields in r.xrange(dead)]
    finally:
        cleanup(r, plan)


def test_a_failure_in_one_group_is_dead_lettered_for_that_group_and_not_reprocessed_by_the_other():
    failing, healthy, dead = fan_out(republish=False)
    assert len(failing.times) == failing.limit
    assert [(e["envelope"], e["group"]) for e in dead] == [("order-1", failing.group)]
    assert len(healthy.times) == 1  # processed once, never again


def test_a_retry_through_the_shared_stream_is_reprocessed_by_the_healthy_group():
    _, healthy, dead = fan_out(republish=True)
    assert len(healthy.times) > 1 and dead == []

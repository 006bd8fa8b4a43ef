"""Behaviour on the real Redis, from the rendered set-up file: XAUTOCLAIM with the planned idle time, and per-key
order over the planned key-range lanes.

Scaled down: a 3 s job under a 1 s processing budget. A second worker reclaims idle entries with the plan's
min-idle-time while the first one works; when the plan knows the processing time it never steals the running job,
and when it does not, the job runs twice.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from brokers.redis import HOST, PORT, commands, context, setup_text
from conftest import reachable, require
from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge
from lanes import lane_of

BUDGET_MS = 1000
JOB_S = 3.0


def run_one_job(**options: Any) -> int:
    """Deliveries of one job while a second worker runs the plan's XAUTOCLAIM; the plan's keys are deleted after."""
    require(reachable(HOST, PORT), f"Redis not reachable on {HOST}:{PORT}")
    import redis

    plan = plan_topology(context("work_queue"), knowledge(), "redis_streams",
                         {"domain": f"t{uuid.uuid4().hex[:8]}", "replication_factor": 1, "max_attempts": 3,
                          "processing_timeout_ms": BUDGET_MS, **options})
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "jobs")
    group = stream.settings["groups"][0]
    idle = plan.retry.settings["min_idle_time_ms"]
    r = redis.Redis(host=HOST, port=PORT, decode_responses=True, socket_timeout=10)
    try:
        for cmd in commands(setup_text(plan)):
            r.execute_command(*cmd)
        entry = r.xadd(stream.name, {"envelope": "job"})
        got = r.xreadgroup(group, "worker-a", {stream.name: ">"}, count=1)
        deliveries = len(got[0][1]) if got else 0
        end = time.monotonic() + JOB_S
        while time.monotonic() < end:  # worker A is busy; worker B reclaims what it considers abandoned
            _, claimed, *_ = r.xautoclaim(stream.name, group, "worker-b", idle, "0-0", count=10)
            deliveries += len([e for e in claimed if e[0] == entry])
            time.sleep(0.25)
        r.xack(stream.name, group, entry)
        return deliveries
    finally:
        keys = [c.name for c in plan.channels if c.kind == "stream"]
        if keys:
            r.delete(*keys)
        r.close()


def test_a_job_longer_than_the_budget_is_not_stolen_when_the_plan_knows_its_time():
    assert run_one_job(processing_time_ms=int(JOB_S * 1000)) == 1


def test_without_the_processing_time_another_worker_reclaims_the_running_job():
    assert run_one_job() >= 2  # reclaimed once the 1 s idle time passes, and again each second after


def test_per_key_order_holds_over_the_planned_lanes_with_several_consumers():
    """A per-key ordered plan sized for 4 instances gets 4 lane streams: the producer XADDs each key to its lane
    (hash of the key), the rendered set-up creates the group on every lane, and 4 consumers, one per lane, work at
    the same time. Every message is processed once and each key's messages in publish order."""
    require(reachable(HOST, PORT), f"Redis not reachable on {HOST}:{PORT}")
    import redis

    plan = plan_topology(context("work_queue"), knowledge(), "redis_streams",
                         {"domain": f"t{uuid.uuid4().hex[:8]}", "replication_factor": 1, "processing_time_ms": 40})
    lanes = [c for c in plan.channels if c.kind == "stream" and c.role == "jobs"]
    assert len(lanes) == 4 and [c.settings["lane"] for c in lanes] == [0, 1, 2, 3]
    group = lanes[0].settings["groups"][0]
    sent = [(f"order-{i % 8}", i) for i in range(48)]
    assert len({lane_of(k, 4) for k, _ in sent}) > 1
    r = redis.Redis(host=HOST, port=PORT, decode_responses=True, socket_timeout=10)
    done: list[tuple[str, int]] = []
    lock = threading.Lock()

    def work(stream: str, name: str) -> None:
        conn = redis.Redis(host=HOST, port=PORT, decode_responses=True, socket_timeout=10)
        end = time.monotonic() + 15
        while time.monotonic() < end and len(done) < len(sent):
            for _, entries in conn.xreadgroup(group, name, {stream: ">"}, count=10, block=200) or []:
                for entry_id, fields in entries:
                    time.sleep(0.01)
                    key, seq = fields["envelope"].split(":")
                    with lock:
                        done.append((key, int(seq)))
                    conn.xack(stream, group, entry_id)
        conn.close()

    try:
        for cmd in commands(setup_text(plan)):
            r.execute_command(*cmd)
        for key, seq in sent:
            r.xadd(lanes[lane_of(key, 4)].name, {"envelope": f"{key}:{seq}"})
        workers = [threading.Thread(target=work, args=(c.name, f"worker-{i}")) for i, c in enumerate(lanes)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=20)
    finally:
        r.delete(*[c.name for c in plan.channels if c.kind == "stream"])
        r.close()
    assert sorted(done) == sorted(sent)  # every message once
    for key in {k for k, _ in sent}:
        assert [s for k, s in done if k == key] == [s for k, s in sent if k == key]

"""Behaviour on the real Redis, from the rendered set-up file: XAUTOCLAIM with the planned idle time.

Scaled down: a 3 s job under a 1 s processing budget. A second worker reclaims idle entries with the plan's
min-idle-time while the first one works; when the plan knows the processing time it never steals the running job,
and when it does not, the job runs twice.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from conftest import reachable, require
from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge
from test_artifacts_redis import HOST, PORT, commands, context, setup_text

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

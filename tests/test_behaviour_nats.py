"""Behaviour on the real NATS JetStream server, from the rendered stream and consumer files.

Scaled down: seconds stand in for minutes. A job that outlives the default processing budget completes once when the
plan knows its processing time (the rendered ack_wait covers it with margin), and is redelivered mid-processing when
it does not: the rule is what makes the difference, not the test.
"""

from __future__ import annotations

import asyncio
from typing import Any

from test_artifacts_nats import URL, apply, fresh_plan  # noqa: F401  (fresh_plan is a fixture)

BUDGET_MS = 1000  # the processing budget the plan would assume without a processing time
JOB_S = 3.0  # the job takes longer than the budget and than the first backoff entry without a processing time


def run_one_job(plan: Any) -> tuple[list[int], int]:
    """Publish one job, process it for JOB_S seconds, ack; return the deliveries seen and the dead-letter count."""
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "jobs")
    dead = next(c for c in plan.channels if c.kind == "stream" and c.role == "dead_letter")
    consumer = next(iter(plan.client_settings.consumer["consumers"].values()))

    async def scenario() -> tuple[list[int], int]:
        import nats
        from nats.errors import TimeoutError as NatsTimeout

        nc = await nats.connect(URL, connect_timeout=5)
        try:
            js = nc.jetstream()
            await apply(js, plan)
            await js.publish(stream.settings["subjects"][0], b"job", headers={"Nats-Msg-Id": "job-1"})
            sub = await js.pull_subscribe_bind(consumer["durable_name"], stream=stream.name)
            worker = await js.pull_subscribe_bind(consumer["durable_name"], stream=stream.name)
            first = (await sub.fetch(1, timeout=5))[0]
            seen = [first.metadata.num_delivered]
            # A second, competing worker keeps fetching while the first one works: a redelivery reaches it.
            loop = asyncio.get_running_loop()
            end = loop.time() + JOB_S
            while loop.time() < end:
                try:
                    for m in await worker.fetch(1, timeout=0.5):
                        seen.append(m.metadata.num_delivered)
                except NatsTimeout:
                    pass
            await first.ack_sync()
            return seen, (await js.stream_info(dead.name)).state.messages
        finally:
            await nc.close()

    return asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_job_longer_than_the_budget_completes_once_when_the_plan_knows_its_time(fresh_plan):  # noqa: F811
    plan = fresh_plan("work_queue", processing_timeout_ms=BUDGET_MS, processing_time_ms=int(JOB_S * 1000))
    consumer = next(iter(plan.client_settings.consumer["consumers"].values()))
    assert consumer["ack_wait_ns"] >= 2 * JOB_S * 1e9
    deliveries, dead = run_one_job(plan)
    assert deliveries == [1] and dead == 0


def test_without_the_processing_time_the_same_job_is_redelivered_mid_processing(fresh_plan):  # noqa: F811
    plan = fresh_plan("work_queue", processing_timeout_ms=BUDGET_MS)
    deliveries, _ = run_one_job(plan)
    assert deliveries[:2] == [1, 2]  # the broker gave the running job to the other worker

"""Behaviour on the real NATS JetStream server, from the rendered stream and consumer files.

Scaled down: seconds stand in for minutes. A job that outlives the default processing budget completes once when the
plan knows its processing time (the rendered ack_wait covers it with margin), and is redelivered mid-processing when
it does not: the rule is what makes the difference, not the test.
"""

from __future__ import annotations

import asyncio
from typing import Any

from brokers.nats import URL, apply, fresh_plan, nak_long_poll_s  # noqa: F401  (fresh_plan is a fixture)
from event_driven.render.nats import consumers as planned_consumers
from lanes import lane_of

BUDGET_MS = 1000  # the processing budget the plan would assume without a processing time
JOB_S = 3.0  # the job takes longer than the budget and than the first backoff entry without a processing time


async def start(plan: Any, body: bytes) -> tuple[Any, Any, Any]:
    """Connect, create the rendered streams and consumers, publish one message; (connection, jetstream, pull sub)."""
    import nats

    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "jobs")
    consumer = planned_consumers(plan)[0]
    nc = await nats.connect(URL, connect_timeout=5)
    js = nc.jetstream()
    await apply(js, plan)
    await js.publish(consumer["filter_subject"], body, headers={"Nats-Msg-Id": body.decode()})
    return nc, js, await js.pull_subscribe_bind(consumer["durable_name"], stream=stream.name)


def run_one_job(plan: Any) -> tuple[list[int], int]:
    """Publish one job, process it for JOB_S seconds, ack; return the deliveries seen and the dead-letter count."""
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "jobs")
    dead = next(c for c in plan.channels if c.kind == "stream" and c.role == "dead_letter")
    consumer = planned_consumers(plan)[0]

    async def scenario() -> tuple[list[int], int]:
        from nats.errors import TimeoutError as NatsTimeout

        nc, js, sub = await start(plan, b"job")
        try:
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
    consumer = planned_consumers(plan)[0]
    assert consumer["ack_wait_ns"] >= 2 * JOB_S * 1e9
    deliveries, dead = run_one_job(plan)
    assert deliveries == [1] and dead == 0


def test_without_the_processing_time_the_same_job_is_redelivered_mid_processing(fresh_plan):  # noqa: F811
    plan = fresh_plan("work_queue", processing_timeout_ms=BUDGET_MS)
    deliveries, _ = run_one_job(plan)
    # The broker gave the running job to the other worker (once or more, as the 1 s deadline keeps passing).
    assert len(deliveries) >= 2 and deliveries[0] == 1 and deliveries[1] >= 2


def deliveries_with_naks(plan: Any, with_delay: bool) -> tuple[list[float], list[str]]:
    """Nak a poison message every time (with the planned tier delay, or plainly); return the gaps between deliveries
    and the subjects of the dead-letter stream's advisories."""
    dead = next(c for c in plan.channels if c.kind == "stream" and c.role == "dead_letter")
    consumer = planned_consumers(plan)[0]
    delays = plan.client_settings.consumer["nak_delay_s"]

    async def scenario() -> tuple[list[float], list[str]]:
        from nats.errors import TimeoutError as NatsTimeout

        nc, js, sub = await start(plan, b"poison")
        try:
            loop = asyncio.get_running_loop()
            times: list[float] = []
            end = loop.time() + 20
            long_poll = nak_long_poll_s(delays)
            while loop.time() < end and len(times) < consumer["max_deliver"]:
                try:
                    msgs = await sub.fetch(1, timeout=long_poll)
                except NatsTimeout:
                    continue
                for m in msgs:
                    times.append(loop.time())
                    n = m.metadata.num_delivered
                    await m.nak(delay=delays[n - 1] if with_delay and n <= len(delays) else None)
            subjects: list[str] = []
            while loop.time() < end and not subjects:
                try:  # the server raises MAX_DELIVERIES when it would redeliver, i.e. for a waiting pull request
                    await sub.fetch(1, timeout=0.5)
                except NatsTimeout:
                    pass
                info = await js.stream_info(dead.name)
                if info.state.messages:
                    subjects = [(await js.get_msg(dead.name, info.state.first_seq)).subject]
                await asyncio.sleep(0.1)
            return [b - a for a, b in zip(times, times[1:], strict=False)], subjects
        finally:
            await nc.close()

    return asyncio.run(asyncio.wait_for(scenario(), 40))


def test_a_poison_message_follows_the_planned_tiers_then_is_dead_lettered_with_its_group(fresh_plan):  # noqa: F811
    plan = fresh_plan("work_queue")
    delays = plan.client_settings.consumer["nak_delay_s"]
    gaps, dead = deliveries_with_naks(plan, with_delay=True)
    assert len(gaps) == len(delays)
    for gap, delay in zip(gaps, delays, strict=True):
        assert delay * 0.9 <= gap < delay + 1.5, (gaps, delays)
    group = next(iter(plan.client_settings.consumer["consumers"]))
    assert dead and dead[0].endswith(f".{group}") and ".MAX_DELIVERIES." in dead[0]


def test_a_plain_nak_ignores_the_backoff_list(fresh_plan):  # noqa: F811
    plan = fresh_plan("work_queue")
    gaps, _ = deliveries_with_naks(plan, with_delay=False)
    assert gaps and max(gaps) < min(plan.client_settings.consumer["nak_delay_s"])  # redelivered at once


def test_per_key_order_holds_with_several_lanes_and_competing_consumers(fresh_plan):  # noqa: F811
    """A per-key ordered plan sized for 4 instances gets 4 subject lanes: the producer publishes each key to its lane
    (hash of the key), each lane has one durable consumer with max_ack_pending 1, and two competing workers pull from
    every lane consumer. All keys progress in parallel across lanes, and each key's messages are processed in
    publish order, every one once."""
    plan = fresh_plan("work_queue", processing_time_ms=40)  # 100 msg/s x 40 ms -> 4 in flight -> 4 lanes
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "jobs")
    lanes = stream.settings["lanes"]
    consumers = planned_consumers(plan)
    assert lanes == 4 and len(consumers) == lanes and all(c["max_ack_pending"] == 1 for c in consumers)
    assert stream.settings["subjects"] == [stream.settings["publish_subject"].replace("{lane}", "*")]
    sent = [(f"order-{i % 8}", i) for i in range(48)]
    assert len({lane_of(k, lanes) for k, _ in sent}) > 1  # the keys really spread over several lanes

    async def scenario() -> tuple[list[tuple[str, int]], set[str]]:
        import nats
        from nats.errors import TimeoutError as NatsTimeout

        nc = await nats.connect(URL, connect_timeout=5)
        try:
            js = nc.jetstream()
            await apply(js, plan)
            for key, seq in sent:
                subject = stream.settings["publish_subject"].replace("{lane}", str(lane_of(key, lanes)))
                await js.publish(subject, f"{key}:{seq}".encode(), headers={"Nats-Msg-Id": f"{key}-{seq}"})
            done: list[tuple[str, int]] = []
            busy: set[str] = set()

            async def work(durable: str, pause: float) -> None:
                sub = await js.pull_subscribe_bind(durable, stream=stream.name)
                loop = asyncio.get_running_loop()
                end = loop.time() + 20
                while loop.time() < end and len(done) < len(sent):
                    try:
                        msgs = await sub.fetch(1, timeout=0.3)
                    except NatsTimeout:
                        continue
                    for m in msgs:
                        busy.add(durable)
                        await asyncio.sleep(pause)
                        key, seq = m.data.decode().split(":")
                        done.append((key, int(seq)))
                        await m.ack_sync()

            await asyncio.gather(*(work(c["durable_name"], pause) for c in consumers for pause in (0.01, 0.03)))
            return done, busy
        finally:
            await nc.close()

    done, busy = asyncio.run(asyncio.wait_for(scenario(), 40))
    assert sorted(done) == sorted(sent)  # every message processed once
    assert len(busy) > 1  # several lanes worked
    for key in {k for k, _ in sent}:
        assert [s for k, s in done if k == key] == [s for k, s in sent if k == key]

"""Behaviour on the real NATS JetStream server, from the rendered files of a pub_sub plan: one subscriber's failure
stays its own.

Two subscribers, two rendered durable consumers on one stream. The failing one naks the event with the planned tier
delays until max_deliver; the server's MAX_DELIVERIES advisory, named after that consumer, lands in the dead-letter
stream. The healthy consumer receives the event once, acknowledges it and never sees it again. The control retries
the way a retry channel shared by all subscribers does (republish to the stream's subject): the healthy subscriber
then processes the event again for every retry.
"""

from __future__ import annotations

import asyncio
from typing import Any

from brokers.nats import URL, apply, fresh_plan, nak_long_poll_s  # noqa: F401  (fresh_plan is a fixture)
from event_driven.render.nats import consumers as planned_consumers


def fan_out(plan: Any, republish: bool) -> tuple[int, int, list[str]]:
    """(deliveries to the failing consumer, deliveries to the healthy one, dead-letter advisory subjects)."""
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "events")
    dead = next(c for c in plan.channels if c.kind == "stream" and c.role == "dead_letter")
    failing_cfg, healthy_cfg = planned_consumers(plan)
    assert failing_cfg["filter_subject"] == healthy_cfg["filter_subject"]  # both read every event
    delays = plan.client_settings.consumer["nak_delay_s"]
    limit = failing_cfg["max_deliver"]

    async def scenario() -> tuple[int, int, list[str]]:
        import nats
        from nats.errors import TimeoutError as NatsTimeout

        nc = await nats.connect(URL, connect_timeout=5)
        try:
            js = nc.jetstream()
            await apply(js, plan)
            subject = failing_cfg["filter_subject"]
            await js.publish(subject, b"order-1", headers={"Nats-Msg-Id": "order-1"})
            failing = await js.pull_subscribe_bind(failing_cfg["durable_name"], stream=stream.name)
            healthy = await js.pull_subscribe_bind(healthy_cfg["durable_name"], stream=stream.name)
            counts = [0, 0]
            loop = asyncio.get_running_loop()
            end = loop.time() + sum(delays) + 10

            async def pull(sub: Any, index: int) -> None:
                naks = index == 0 and not republish  # the failing consumer's retries are timed by nak(delay)
                try:
                    msgs = await sub.fetch(1, timeout=nak_long_poll_s(delays) if naks else 0.3)
                except NatsTimeout:
                    return
                for m in msgs:
                    counts[index] += 1
                    if index == 1:
                        await m.ack_sync()
                    elif republish:  # a shared retry channel: back to the subject every subscriber reads
                        await js.publish(subject, m.data, headers={"Nats-Msg-Id": f"order-1-retry-{counts[0]}"})
                        await m.ack_sync()
                    else:
                        n = m.metadata.num_delivered
                        await m.nak(delay=delays[n - 1] if n <= len(delays) else None)

            subjects: list[str] = []
            while loop.time() < end and not subjects and counts[0] <= limit:
                await asyncio.gather(pull(failing, 0), pull(healthy, 1))
                info = await js.stream_info(dead.name)
                subjects = [
                    (await js.get_msg(dead.name, info.state.first_seq + i)).subject for i in range(info.state.messages)
                ]
            for _ in range(3):  # the healthy consumer keeps pulling: nothing more arrives
                await pull(healthy, 1)
            return counts[0], counts[1], subjects
        finally:
            await nc.close()

    return asyncio.run(asyncio.wait_for(scenario(), 40))


def test_a_failure_in_one_subscriber_is_dead_lettered_for_it_and_not_reprocessed_by_the_other(fresh_plan):
    plan = fresh_plan("pub_sub")
    failing_cfg, healthy_cfg = planned_consumers(plan)
    failed, healthy, dead = fan_out(plan, republish=False)
    assert failed == failing_cfg["max_deliver"] == 3
    assert healthy == 1
    assert len(dead) == 1 and ".MAX_DELIVERIES." in dead[0] and dead[0].endswith(f".{failing_cfg['durable_name']}")


def test_a_retry_republished_to_the_shared_subject_is_reprocessed_by_the_healthy_subscriber(fresh_plan):
    plan = fresh_plan("pub_sub")
    failed, healthy, dead = fan_out(plan, republish=True)
    assert healthy == failed + 1 > 2, (failed, healthy)  # the event, then every retry of the other subscriber
    assert dead == []

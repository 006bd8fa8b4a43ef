"""inspect_broker on the local NATS JetStream (4222): a consumer stalled at max_ack_pending, found read-only."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from conftest import reachable, require
from event_driven.live.inspect import inspect_target
from live_support import diagnosis_rank, target, work_queue_plan

URL = "nats://127.0.0.1:4222"


@pytest.fixture(autouse=True)
def _nats() -> None:
    require(reachable("127.0.0.1", 4222), "NATS with JetStream on 127.0.0.1:4222")


async def _stall(stream: str, subject: str, durable: str) -> None:
    """Publish 20 messages; a worker fetches 5 (= max_ack_pending) and never acks them; the connection stays open."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig

    nc = await nats.connect(URL)
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=[f"{subject}.>"])
    await js.add_consumer(stream, ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT,
                                                 max_ack_pending=5, ack_wait=120))
    for i in range(20):
        await js.publish(f"{subject}.job", f"job {i}".encode())
    sub = await js.pull_subscribe_bind(durable, stream)
    got = await sub.fetch(5, timeout=5)
    assert len(got) == 5
    await nc.close()


async def _state(stream: str, durable: str) -> tuple[int, int, int, int]:
    import nats

    nc = await nats.connect(URL)
    try:
        jsm = nc.jsm()
        s, c = await jsm.stream_info(stream), await jsm.consumer_info(stream, durable)
        return s.state.messages, c.num_pending or 0, c.num_ack_pending or 0, c.delivered.stream_seq or 0
    finally:
        await nc.close()


async def _delete(stream: str) -> None:
    import nats

    nc = await nats.connect(URL)
    try:
        await nc.jsm().delete_stream(stream)
    finally:
        await nc.close()


def test_consumer_stalled_at_max_ack_pending() -> None:
    tag = uuid.uuid4().hex[:10]
    stream, subject, durable = f"LIVE_{tag.upper()}", f"live.{tag}", "workers"
    asyncio.run(_stall(stream, subject, durable))
    try:
        before = asyncio.run(_state(stream, durable))
        assert before == (20, 15, 5, 5)
        tgt = target("nats", URL, sampling={"window_s": 1.0, "samples": 3})
        result = inspect_target(tgt, pattern=stream)
        assert asyncio.run(_state(stream, durable)) == before, "the inspection must not fetch or ack"
    finally:
        asyncio.run(_delete(stream))
    assert result.summary.channels_matched == 1 and result.samples == 3
    consumer: Any = next(c for c in result.snapshot.consumers if c.name == durable)  # type: ignore[union-attr]
    assert (consumer.num_ack_pending, consumer.max_ack_pending, consumer.num_pending) == (5, 5, 15)
    first = result.findings[0]
    assert (first.rule_id, first.failure_mode_id) == ("ack_pending_at_limit", "nats_max_ack_pending_stall")
    assert {(q.figure, q.value) for q in first.evidence} >= {("num_ack_pending", 5), ("max_ack_pending", 5),
                                                             ("num_pending", 15), ("num_ack_pending_trend", "flat")}
    assert diagnosis_rank(result, "nats_max_ack_pending_stall") == 1


def test_unreachable_nats_is_refused_quickly() -> None:
    from conftest import free_port
    from event_driven.live.reading import BrokerReadError

    with pytest.raises(BrokerReadError) as err:
        inspect_target(target("nats", f"nats://127.0.0.1:{free_port()}", timeout_s=2, deadline_s=4))
    assert err.value.problem in ("refused", "timeout") and err.value.call == "connect"


async def _drifted(plan: Any) -> None:
    """The plan's work stream created by hand with limits retention and a consumer without max_deliver."""
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy

    main = next(c for c in plan.channels if c.role == "jobs")
    nc = await nats.connect(URL)
    try:
        js = nc.jetstream()
        await js.add_stream(name=main.name, subjects=main.settings["subjects"], retention=RetentionPolicy.LIMITS)
        await js.add_consumer(main.name, ConsumerConfig(durable_name="workers", ack_policy=AckPolicy.EXPLICIT))
    finally:
        await nc.close()


def test_drift_against_a_nats_plan() -> None:
    plan = work_queue_plan("nats_jetstream", f"d{uuid.uuid4().hex[:10]}")
    main = next(c for c in plan.channels if c.role == "jobs")
    asyncio.run(_drifted(plan))
    try:
        result = inspect_target(target("nats", URL, sampling={"samples": 1}), plan=plan, pattern=f"{main.name}*")
    finally:
        asyncio.run(_delete(main.name))
    assert result.drift is not None
    items = {(i.kind, i.channel, i.setting): i for i in result.drift.items}
    retention = items[("setting_mismatch", main.name, "retention")]
    assert (retention.planned, retention.live) == ("workqueue", "limits")
    max_deliver = items[("setting_mismatch", f"{main.name}/workers", "max_deliver")]
    assert (max_deliver.planned, max_deliver.live, max_deliver.failure_mode_id) == (5, -1, "nats_max_deliver_exhausted")
    assert ("plan_only", f"{main.name}_DLQ", None) in items

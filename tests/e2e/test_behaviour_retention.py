"""Retention expires what the plan says, on the real RabbitMQ, NATS JetStream and Redis, from the rendered files.

The planner accepts retention of 1 hour at the least, so each plan is made with ``retention: 1 hour`` and the test
first checks that the rendered file carries exactly that (RabbitMQ ``x-message-ttl``, NATS ``max_age``, Redis
``XTRIM ... MINID ~ <now_ms - age>``). To watch it expire in seconds, the durations of the rendered RabbitMQ queue
arguments and NATS stream config are divided by one factor (SCALE = 1200: 1 hour stands in as 3 s), as the only
change to what was rendered. Redis needs no scaling: a stream entry's id is its timestamp, so entries are added with
ids of the age they stand for.

Controls: the same queue without the planned TTL keeps the expired messages; an event-sourcing plan ("kept without
end") renders max_age 0 and keeps them; without the planned XTRIM nothing leaves the stream.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pika
import pytest

from brokers.nats import URL as NATS_URL
from brokers.nats import context as nats_context
from brokers.nats import delete_streams, stream_files
from brokers.rabbitmq import connect, imported  # noqa: F401  (imported is a fixture)
from brokers.redis import HOST as REDIS_HOST
from brokers.redis import PORT as REDIS_PORT
from brokers.redis import context as redis_context
from brokers.redis import setup_text
from conftest import reachable, require
from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge

SCALE = 1200  # 1 hour of planned retention stands in as 3 s (the 120 s duplicate window as 100 ms, its minimum)
HOUR_MS = 3_600_000


# --- RabbitMQ: x-message-ttl on every work queue ---------------------------------------------------------------------


def rabbitmq_retention(imported: Any, with_ttl: bool) -> tuple[list[bytes], list[tuple[bytes, str]]]:  # noqa: F811
    """Two messages older than the retention, one fresh: what the queue still holds, and the dead letters (reason)."""
    plan = imported("work_queue", requirements={"ordering": "none", "retention": "1 hour"})
    queue = next(c for c in plan.channels if c.kind == "queue" and c.role == "jobs")
    dlq = next(c for c in plan.channels if c.kind == "queue" and c.role == "dead_letter")
    args = dict(queue.settings["arguments"])
    assert args["x-message-ttl"] == HOUR_MS  # the planned retention, as imported from the rendered definitions
    if with_ttl:
        args["x-message-ttl"] //= SCALE
    else:
        del args["x-message-ttl"]
    conn = connect()
    try:
        ch = conn.channel()
        ch.queue_delete(queue.name)  # redeclared with the scaled arguments, bound as rendered
        ch.queue_declare(queue.name, durable=True, arguments=args)
        ch.queue_bind(queue.name, queue.settings["bind_to"], queue.settings["routing_key"])
        ch.confirm_delivery()

        def publish(body: bytes) -> None:
            ch.basic_publish(
                queue.settings["bind_to"],
                queue.settings["routing_key"],
                body,
                mandatory=True,
                properties=pika.BasicProperties(delivery_mode=2),
            )

        publish(b"old-1")
        publish(b"old-2")
        time.sleep(HOUR_MS / SCALE / 1000 * 1.5)
        publish(b"fresh")
        kept: list[bytes] = []
        while (got := ch.basic_get(queue.name, auto_ack=True))[0] is not None:
            kept.append(bytes(got[2] or b""))
        dead: list[tuple[bytes, str]] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(dead) < 2 and with_ttl:
            method, props, body = ch.basic_get(dlq.name, auto_ack=True)
            if method is None:
                time.sleep(0.1)
                continue
            headers: dict[str, Any] = props.headers or {}  # type: ignore[union-attr]
            dead.append((bytes(body or b""), str(headers["x-first-death-reason"])))
        return kept, dead
    finally:
        conn.close()


def test_rabbitmq_expires_messages_older_than_the_planned_retention(imported):  # noqa: F811
    kept, dead = rabbitmq_retention(imported, with_ttl=True)
    assert kept == [b"fresh"]
    assert dead == [(b"old-1", "expired"), (b"old-2", "expired")]  # kept as dead letters, as the plan says


def test_rabbitmq_without_the_ttl_keeps_them(imported):  # noqa: F811
    kept, _ = rabbitmq_retention(imported, with_ttl=False)
    assert kept == [b"old-1", b"old-2", b"fresh"]


# --- NATS JetStream: max_age on every stream -------------------------------------------------------------------------


def nats_plan(use_case: str) -> Any:
    ctx = nats_context(use_case)
    if use_case != "event_sourcing":
        ctx["requirements"]["retention"] = "1 hour"
    return plan_topology(
        ctx,
        knowledge(),
        broker="nats_jetstream",
        options={"domain": f"t{uuid.uuid4().hex[:8]}", "replication_factor": 1},
    )


def nats_retention(plan: Any, stream: Any) -> tuple[int, int]:
    """Three messages older than the retention, two fresh: (messages left in the stream, its first sequence)."""
    import nats
    from nats.js.api import StreamConfig

    cfg = dict(stream_files(plan)[f"nats/streams/{stream.name}.json"])
    for key in ("max_age", "duplicate_window"):  # the rendered durations, scaled together (window <= max_age)
        if cfg.get(key):
            cfg[key] //= SCALE

    async def scenario() -> tuple[int, int]:
        nc = await nats.connect(NATS_URL, connect_timeout=5)
        try:
            js = nc.jetstream()
            await js.add_stream(StreamConfig.from_response(cfg))
            subject = stream.settings["subjects"][0]
            for i in range(3):
                await js.publish(subject, f"old-{i}".encode())
            await asyncio.sleep(HOUR_MS / SCALE / 1000 * 1.5)
            for i in range(2):
                await js.publish(subject, f"fresh-{i}".encode())
            state = (await js.stream_info(stream.name)).state
            return state.messages, state.first_seq
        finally:
            await nc.close()

    try:
        return asyncio.run(asyncio.wait_for(scenario(), 30))
    finally:
        asyncio.run(delete_streams([c.name for c in plan.channels if c.kind == "stream"]))


def test_nats_expires_messages_older_than_the_planned_max_age():
    require(reachable("127.0.0.1", 4222), "NATS JetStream not reachable on 127.0.0.1:4222")
    plan = nats_plan("work_queue")
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "jobs")
    assert stream_files(plan)[f"nats/streams/{stream.name}.json"]["max_age"] == HOUR_MS * 1_000_000
    assert nats_retention(plan, stream) == (2, 4)  # the three old ones are gone, the two fresh ones remain


def test_nats_an_event_store_kept_without_end_keeps_them():
    require(reachable("127.0.0.1", 4222), "NATS JetStream not reachable on 127.0.0.1:4222")
    plan = nats_plan("event_sourcing")
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "events")
    assert stream_files(plan)[f"nats/streams/{stream.name}.json"]["max_age"] == 0
    assert nats_retention(plan, stream) == (5, 1)


# --- Redis Streams: XTRIM MINID ~ <now - retention> ------------------------------------------------------------------


@pytest.mark.parametrize("trim", [True, False])
def test_redis_trims_entries_older_than_the_planned_retention(trim):
    """300 entries 2 h old, 50 entries 30 min old, 10 new; then the rendered XTRIM line (or nothing, the control).
    MINID ~ trims whole radix-tree nodes only, so at most one node's worth of expired entries (stream-node-max-entries)
    may stay beside live ones; here the old entries fill whole nodes and all go."""
    require(reachable(REDIS_HOST, REDIS_PORT), f"Redis not reachable on {REDIS_HOST}:{REDIS_PORT}")
    import redis

    ctx = redis_context("work_queue")
    ctx["requirements"]["retention"] = "1 hour"
    plan = plan_topology(
        ctx, knowledge(), "redis_streams", {"domain": f"t{uuid.uuid4().hex[:8]}", "replication_factor": 1}
    )
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "jobs")
    trim_line = next(
        line.lstrip("# ").strip()
        for line in setup_text(plan).splitlines()
        if line.lstrip("# ").startswith(f"XTRIM {stream.name} ")
    )
    assert trim_line == f"XTRIM {stream.name} MINID ~ <now_ms - {HOUR_MS}>"
    r = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, decode_responses=True, socket_timeout=10)
    try:
        now = int(time.time() * 1000)
        for i in range(300):
            r.xadd(stream.name, {"envelope": f"old-{i}"}, id=f"{now - 2 * HOUR_MS}-{i + 1}")
        for i in range(50):
            r.xadd(stream.name, {"envelope": f"live-{i}"}, id=f"{now - HOUR_MS // 2}-{i + 1}")
        for i in range(10):
            r.xadd(stream.name, {"envelope": f"new-{i}"})
        if trim:  # the rendered line, with <now_ms - age> filled in
            r.execute_command(*trim_line.split(" ~ ")[0].split(), "~", int(time.time() * 1000) - HOUR_MS)
        entries: Any = r.xrange(stream.name)
        left = [str(fields["envelope"]) for _, fields in entries]
    finally:
        r.delete(*[c.name for c in plan.channels if c.kind == "stream"])
        r.close()
    live = [e for e in left if not e.startswith("old-")]
    assert live == [f"live-{i}" for i in range(50)] + [f"new-{i}" for i in range(10)]  # every live entry stays
    assert len(left) - len(live) == (0 if trim else 300)

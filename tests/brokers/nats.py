"""NATS JetStream: plans with a unique domain, their rendered stream and consumer files applied to the real server,
deleted afterwards."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from brokers.common import context
from conftest import reachable, require
from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge

HOST, PORT = "127.0.0.1", 4222
URL = f"nats://{HOST}:{PORT}"
NS = 1_000_000_000


def make_plan(use_case: str, domain: str = "orders", producers: list[str] | None = None,
              consumers: list[str] | None = None, **options: Any):
    return plan_topology(context(use_case, producers, consumers), knowledge(), broker="nats_jetstream",
                         options={"domain": domain, "replication_factor": 1, "max_attempts": 3, **options})


def files(plan) -> dict[str, dict[str, Any]]:
    return {a.path: json.loads(a.content) for a in plan.artifacts if a.path.startswith("nats/")}


def stream_files(plan) -> dict[str, dict[str, Any]]:
    return {p: c for p, c in files(plan).items() if p.startswith("nats/streams/")}


def consumer_files(plan) -> dict[str, dict[str, Any]]:
    return {p: c for p, c in files(plan).items() if p.startswith("nats/consumers/")}


async def delete_streams(names: list[str]) -> None:
    import nats
    from nats.js.errors import NotFoundError

    nc = await nats.connect(URL, connect_timeout=5)
    try:
        js = nc.jetstream()
        for name in names:
            try:
                await js.delete_stream(name)
            except NotFoundError:
                pass
    finally:
        await nc.close()


@pytest.fixture
def fresh_plan() -> Iterator[Any]:
    """A plan with a unique domain; every stream it names is deleted afterwards (consumers go with their stream)."""
    require(reachable(HOST, PORT), f"NATS JetStream not reachable on {HOST}:{PORT}")
    plans: list[Any] = []

    def _make(use_case: str, **kwargs: Any):
        plan = make_plan(use_case, domain=f"t{uuid.uuid4().hex[:8]}", **kwargs)
        plans.append(plan)
        return plan

    yield _make
    names = [c.name for p in plans for c in p.channels if c.kind == "stream"]
    if names:
        asyncio.run(delete_streams(names))


def nak_long_poll_s(delays: list[float]) -> float:
    """How long a pull waits when retries are timed by nak(delay): past the longest tier delay, so a pull request is
    open when each redelivery falls due. A pull that expires just then can hold it: on nats-server 2.9.10 a delayed nak
    that fell due as a 1 s pull expired was redelivered only at ack_wait (30 s), in 3 of 12 runs."""
    return max(delays) + 1


async def apply(js: Any, plan: Any) -> None:
    """Create every rendered stream, then every rendered consumer, straight from the JSON files."""
    from nats.js.api import ConsumerConfig, StreamConfig

    for cfg in stream_files(plan).values():
        await js.add_stream(StreamConfig.from_response(dict(cfg)))
    for path, cfg in consumer_files(plan).items():
        await js.add_consumer(path.split("/")[2], ConsumerConfig.from_response(dict(cfg)))


def seconds(ns: int) -> float:
    return ns / NS

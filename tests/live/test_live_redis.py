"""inspect_broker on the local Redis (6379): pending entries idle past the claim time with nobody claiming them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import reachable, require
from event_driven.live.inspect import inspect_target
from live_support import diagnosis_rank, target, work_queue_plan

URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def client() -> Iterator[Any]:
    require(reachable("127.0.0.1", 6379), "Redis on 127.0.0.1:6379")
    import redis

    c = redis.Redis.from_url(URL, decode_responses=True)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def key(client: Any) -> Iterator[str]:
    """A stream key unique to this test; deleted afterwards (only it)."""
    name = f"live:{uuid.uuid4().hex[:10]}:jobs"
    yield name
    client.delete(name)


def _state(c: Any, key: str, group: str) -> tuple[int, Any, str]:
    groups = {g["name"]: g for g in c.xinfo_groups(key)}
    return c.xlen(key), c.xpending(key, group)["pending"], groups[group]["last-delivered-id"]


def test_pending_entries_idle_past_claim_time_nobody_claiming(client: Any, key: str) -> None:
    group = "workers"
    client.xgroup_create(key, group, id="0", mkstream=True)
    for i in range(6):
        client.xadd(key, {"job": str(i)})
    # worker-1 reads 4 entries and dies without acking; no consumer runs XAUTOCLAIM.
    client.xreadgroup(group, "worker-1", {key: ">"}, count=4)
    time.sleep(0.6)
    before = _state(client, key, group)
    assert before[:2] == (6, 4)
    tgt = target("redis", URL, expect={"claim_idle_ms": 300}, sampling={"window_s": 1.0, "samples": 3})
    result = inspect_target(tgt, pattern=key)
    assert _state(client, key, group) == before, "the inspection must not read, claim or ack entries"
    g: Any = result.snapshot.streams[0].groups[0]  # type: ignore[union-attr]
    assert (g.pending, g.consumers, g.lag) == (4, 1, 2)
    assert g.oldest_pending_idle_ms >= 600 and [c.name for c in g.pending_consumers] == ["worker-1"]
    first = result.findings[0]
    assert (first.rule_id, first.failure_mode_id) == ("pending_idle_unclaimed", "redis_pending_entries_never_claimed")
    quoted = {q.figure: q.value for q in first.evidence}
    assert quoted["pending"] == 4 and quoted["claim_idle_ms"] == 300 and quoted["oldest_pending_idle_ms"] >= 600
    assert "worker-1 (4 pending" in first.title
    assert diagnosis_rank(result, "redis_pending_entries_never_claimed") == 1


def test_entries_younger_than_the_claim_time_are_not_flagged(client: Any, key: str) -> None:
    group = "workers"
    client.xgroup_create(key, group, id="0", mkstream=True)
    client.xadd(key, {"job": "1"})
    client.xreadgroup(group, "worker-1", {key: ">"}, count=1)
    tgt = target("redis", URL, expect={"claim_idle_ms": 60_000}, sampling={"samples": 1})
    result = inspect_target(tgt, pattern=key)
    assert "pending_idle_unclaimed" not in [f.rule_id for f in result.findings]


def test_drift_a_planned_group_is_missing(client: Any) -> None:
    domain = f"d{uuid.uuid4().hex[:10]}"
    plan = work_queue_plan("redis_streams", domain)
    main = next(c for c in plan.channels if c.role == "jobs")
    try:
        client.xadd(main.name, {"job": "1"})  # the stream exists; its consumer group was never created
        result = inspect_target(target("redis", URL, sampling={"samples": 1}), plan=plan, pattern=f"{domain}*")
    finally:
        client.delete(main.name)
    assert result.drift is not None and result.drift.compared == [main.name]
    items = {(i.kind, i.channel): i for i in result.drift.items}
    assert items[("plan_only", f"{main.name}/workers")].failure_mode_id == "redis_nogroup_error"
    assert ("plan_only", f"{main.name}:dlq") in items

"""Redis Streams artifact: setup.redis rendered from the plan, then run line by line on the real server.

Every non-comment line is executed with redis-py ``execute_command``; ``XINFO GROUPS`` is read back and compared with
the plan (group names, start position: ``$`` = last entry at creation, ``0`` = replay). Then the at-least-once path:
``XREADGROUP`` by consumer A without ``XACK`` leaves the entry pending; ``XAUTOCLAIM`` by consumer B takes it over
and its delivery count goes up.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from test_artifacts_common import ArtifactContract

from brokers.redis import HOST, PORT, commands, make_plan, setup_text
from conftest import reachable, require

USE_CASES = ["pub_sub", "work_queue", "event_sourcing", "cqrs", "saga"]


def expected_groups(plan) -> dict[tuple[str, str], str]:
    strategy = {g.name: g.strategy for g in plan.consumer_groups}
    return {(c.name, g): "0" if strategy[g] == "projection" else "$"
            for c in plan.channels if c.kind == "stream" for g in c.settings["groups"]}


# --- unit tests (no broker) -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("use_case", "options"), [*((u, {}) for u in USE_CASES), ("pub_sub", {"request_reply": True}),
                                                   ("event_sourcing", {"compaction": True})])
def test_every_use_case_renders_one_xgroup_create_per_planned_group(use_case, options):
    plan = make_plan(use_case, **options)
    cmds = commands(setup_text(plan))
    assert all(c[:2] == ["XGROUP", "CREATE"] and c[-1] == "MKSTREAM" and len(c) == 6 for c in cmds)
    assert {(c[2], c[3]): c[4] for c in cmds} == expected_groups(plan)
    assert len(cmds) == len(expected_groups(plan))


def test_comments_show_consume_reclaim_ack_dead_letter_and_trim():
    plan = make_plan("pub_sub")
    text = setup_text(plan)
    assert "XREADGROUP GROUP billing-service <consumer> COUNT 100 BLOCK 5000 STREAMS orders:events:v1 >" in text
    assert "XAUTOCLAIM orders:events:v1 billing-service <consumer> 30000 0-0 COUNT 100" in text
    assert "XACK orders:events:v1 billing-service <entry-id>" in text
    assert "XADD orders:events:v1:dlq * source_id <entry-id>" in text
    assert "XTRIM orders:events:v1 MINID ~ <now_ms - 604800000>" in text
    es = setup_text(make_plan("event_sourcing"))
    assert "kept without end; never trimmed" in es and "XTRIM orders:events:v1 " not in es


class TestContract(ArtifactContract):
    broker, folder = "redis_streams", "redis/"
    options = {"domain": "orders", "replication_factor": 1, "max_attempts": 3}
    variants = ({"request_reply": True}, {"compaction": True})


# --- oracle: the real server ----------------------------------------------------------------------------------------


@pytest.fixture
def applied() -> Iterator[Any]:
    """Run a fresh plan's set-up (unique domain) and delete every key it names afterwards."""
    require(reachable(HOST, PORT), f"Redis not reachable on {HOST}:{PORT}")
    import redis

    client = redis.Redis(host=HOST, port=PORT, decode_responses=True, socket_timeout=10)
    plans: list[Any] = []

    def _apply(use_case: str):
        plan = make_plan(use_case, domain=f"t{uuid.uuid4().hex[:8]}")
        plans.append(plan)
        for cmd in commands(setup_text(plan)):
            assert client.execute_command(*cmd) in ("OK", True), cmd
        return plan, client

    yield _apply
    try:
        keys = [c.name for p in plans for c in p.channels if c.kind == "stream"]
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.mark.parametrize("use_case", ["pub_sub", "cqrs", "saga"])
def test_xinfo_groups_reads_back_the_plan(applied, use_case):
    plan, r = applied(use_case)
    expected = expected_groups(plan)
    for stream in {s for s, _ in expected}:
        groups = {g["name"]: g for g in r.xinfo_groups(stream)}
        assert set(groups) == {g for s, g in expected if s == stream}
        for name, g in groups.items():
            assert g["last-delivered-id"] == "0-0" and g["pending"] == 0 and g["consumers"] == 0
    # a second run is refused group by group (XGROUP CREATE is not idempotent), not silently repeated
    import redis

    first = commands(setup_text(plan))[0]
    with pytest.raises(redis.ResponseError, match="BUSYGROUP"):
        r.execute_command(*first)


def test_start_positions_new_entries_versus_replay(applied):
    plan, r = applied("cqrs")  # events: projections start at 0; commands: the handler group starts at $
    events = next(c for c in plan.channels if c.key == "events")
    commands_ch = next(c for c in plan.channels if c.key == "commands")
    projection = events.settings["groups"][0]
    handler = commands_ch.settings["groups"][0]
    r.xadd(events.name, {"envelope": '{"n": 1}'})
    got = r.xreadgroup(projection, "p1", {events.name: ">"}, count=10)
    assert len(got[0][1]) == 1  # created at 0 before the entry: sees it
    # a '$' group created after entries exist skips them; emulate by re-creating the handler group after an XADD
    r.xadd(commands_ch.name, {"envelope": '{"cmd": 1}'})
    r.xgroup_destroy(commands_ch.name, handler)
    cmd = next(c for c in commands(setup_text(plan)) if c[2] == commands_ch.name and c[3] == handler)
    assert cmd[4] == "$"
    r.execute_command(*cmd)
    assert r.xreadgroup(handler, "h1", {commands_ch.name: ">"}, count=10) == []


def test_unacked_entry_is_reclaimed_by_another_consumer(applied):
    plan, r = applied("work_queue")
    jobs = next(c for c in plan.channels if c.key == "jobs")
    group = jobs.settings["groups"][0]
    entry_id = r.xadd(jobs.name, {"envelope": '{"job": 1}'})
    got = r.xreadgroup(group, "worker-a", {jobs.name: ">"}, count=10)  # no XACK: worker A "crashes"
    assert [e[0] for e in got[0][1]] == [entry_id]
    pending = r.xpending_range(jobs.name, group, "-", "+", 10)
    assert [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pending] == [(entry_id, "worker-a", 1)]
    time.sleep(0.05)
    next_start, claimed, *_ = r.xautoclaim(jobs.name, group, "worker-b", min_idle_time=10, start_id="0-0", count=10)
    assert [e[0] for e in claimed] == [entry_id] and next_start == "0-0"
    pending = r.xpending_range(jobs.name, group, "-", "+", 10)
    assert [(p["message_id"], p["consumer"], p["times_delivered"]) for p in pending] == [(entry_id, "worker-b", 2)]
    # after processing, B acknowledges: nothing is pending any more
    assert r.xack(jobs.name, group, entry_id) == 1
    assert r.xpending(jobs.name, group)["pending"] == 0

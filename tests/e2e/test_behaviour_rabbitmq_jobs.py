"""Behaviour on the real RabbitMQ: a job longer than the default acknowledgement deadline, from the rendered files.

The plan for 45-minute jobs renders ``rabbitmq/rabbitmq.conf`` with ``consumer_timeout`` = margin x job and gives the
consumer a prefetch that fits inside it (core/topology/designers/rabbitmq.py). The definitions are imported, the
conf line is applied to the node, and three jobs run on one consumer channel: each completes once, nothing is
redelivered, nothing is dead-lettered. The controls run the same jobs with what a plan that does not know the
processing time gives (the node default deadline, prefetch 100): the broker closes the channel mid-job, requeues every
unacknowledged delivery, and after the delivery limit dead-letters healthy jobs; with the planned deadline but the
default prefetch, the last prefetched job waits too long and is redelivered.

Scaled down: 1 s here stands for 15 minutes (SCALE = 900), so the 45-minute job takes 3 s, the node's default
30-minute consumer_timeout is 2 s and the planned 90 minutes are 6 s. RabbitMQ 3.10.8 has no per-queue consumer
timeout: the value is node-wide and each channel reads it when it opens. It is changed at runtime with
``application:set_env`` (standing in for the rabbitmq.conf line plus a restart) and the broker itself restores it after
1.5 s (``timer:apply_after``), long enough to open this test's channels; the test restores it again in ``finally``.
The channel checks the oldest unacknowledged delivery on every tick (``channel_tick_interval``, 60 s by default,
read again at every tick): the tick is set to 100 ms for the test so a seconds-scale deadline is enforced on time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pika

from brokers.rabbitmq import connect, ctl, imported  # noqa: F401  (imported is a fixture)

SCALE = 900  # 1 s of test time stands for 15 minutes
JOB_MS = 45 * 60_000  # longer than RabbitMQ's default 30-minute acknowledgement timeout
JOB_S = JOB_MS / 1000 / SCALE
TICK_MS = 100
RESTORE_AFTER_MS = 1500  # the broker puts consumer_timeout back by itself this long after the change


def node_settings() -> tuple[int | None, int | None]:
    """The node's consumer_timeout and channel_tick_interval (None: unset)."""
    out = ctl(
        "eval", "{application:get_env(rabbit, consumer_timeout), application:get_env(rabbit, channel_tick_interval)}."
    )
    found = re.fullmatch(r"\{(\{ok,(\d+)\}|undefined),(\{ok,(\d+)\}|undefined)\}", out.strip())
    assert found, out
    return (int(found[2]) if found[2] else None), (int(found[4]) if found[4] else None)


def _set(key: str, value: int | None) -> str:
    return f"application:unset_env(rabbit, {key})" if value is None else f"application:set_env(rabbit, {key}, {value})"


def _restore_later(key: str, value: int | None) -> str:
    args = f"[rabbit, {key}]" if value is None else f"[rabbit, {key}, {value}]"
    return f"timer:apply_after({RESTORE_AFTER_MS}, application, {'unset_env' if value is None else 'set_env'}, {args})"


@contextmanager
def channels_with_deadline(timeout_ms: int, count: int) -> Iterator[list[Any]]:
    """``count`` channels opened while the node's consumer_timeout is ``timeout_ms`` (they keep it); the node's own
    values are restored at once by the broker and again when the block ends."""
    original_timeout, original_tick = node_settings()
    conn = None
    try:
        ctl(
            "eval",
            f"{_set('channel_tick_interval', TICK_MS)}, {_set('consumer_timeout', timeout_ms)}, "
            f"{_restore_later('consumer_timeout', original_timeout)}.",
        )
        conn = connect()
        yield [conn.channel() for _ in range(count)]
    finally:
        ctl("eval", f"{_set('consumer_timeout', original_timeout)}, {_set('channel_tick_interval', original_tick)}.")
        assert node_settings() == (original_timeout, original_tick)
        if conn is not None and conn.is_open:
            conn.close()


def conf_timeout(plan: Any) -> int:
    """consumer_timeout from the rendered rabbitmq/rabbitmq.conf."""
    content = next(a.content for a in plan.artifacts if a.path == "rabbitmq/rabbitmq.conf")
    return int(re.search(r"^consumer_timeout = (\d+)$", content, re.M)[1])  # type: ignore[index]


class Run:
    """What the broker did to the jobs: deliveries (job, redelivered), completions, channels closed, dead letters."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, bool]] = []
        self.completed: list[str] = []
        self.closed = 0
        self.dead: list[tuple[str, str]] = []


def work(ch: Any, queue: str, prefetch: int, run: Run, jobs: int) -> None:
    """Consume with ``prefetch`` and process one job at a time for JOB_S; stop when the broker closes the channel."""
    buffered: list[tuple[int, str]] = []
    ch.basic_qos(prefetch_count=prefetch)

    def on_message(_ch: Any, method: Any, _props: Any, body: bytes) -> None:
        run.deliveries.append((body.decode(), method.redelivered))
        buffered.append((method.delivery_tag, body.decode()))

    ch.basic_consume(queue, on_message)
    deadline = time.monotonic() + jobs * JOB_S + 10
    busy_until: float | None = None
    while len(run.completed) < jobs and time.monotonic() < deadline:
        ch.connection.process_data_events(time_limit=0.05)
        if ch.is_closed:
            run.closed += 1
            return
        if buffered and busy_until is None:
            busy_until = time.monotonic() + JOB_S
        if busy_until is not None and time.monotonic() >= busy_until:
            tag, job = buffered.pop(0)
            ch.basic_ack(tag)
            run.completed.append(job)
            busy_until = None
    ch.close()


def publish_jobs(plan: Any, jobs: int) -> tuple[str, str]:
    work_q = next(c for c in plan.channels if c.kind == "queue" and c.role == "jobs")
    dlq = next(c for c in plan.channels if c.kind == "queue" and c.role == "dead_letter")
    conn = connect()
    try:
        ch = conn.channel()
        ch.confirm_delivery()
        for i in range(jobs):
            ch.basic_publish(
                work_q.settings["bind_to"],
                work_q.settings["routing_key"],
                f"job-{i}".encode(),
                mandatory=True,
                properties=pika.BasicProperties(delivery_mode=2),
            )
    finally:
        conn.close()
    return work_q.name, dlq.name


def drain(run: Run, queue: str, dlq: str) -> None:
    """After the run: what is left in the work queue (redelivered?) and what was dead-lettered, and why."""
    conn = connect()
    try:
        ch = conn.channel()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            method, props, body = ch.basic_get(dlq, auto_ack=True)
            if method is not None:
                headers: dict[str, Any] = props.headers or {}  # type: ignore[union-attr]
                run.dead.append((bytes(body or b"").decode(), str(headers["x-first-death-reason"])))
                continue
            method, _props, body = ch.basic_get(queue, auto_ack=True)
            if method is None:
                time.sleep(0.2)  # a dead-lettering in flight has a moment to land
                continue
            run.deliveries.append((bytes(body or b"").decode(), method.redelivered))
    finally:
        conn.close()


def test_a_job_longer_than_the_default_deadline_completes_once_when_the_plan_knows_its_time(imported):  # noqa: F811
    plan = imported("work_queue", requirements={"ordering": "none"}, processing_time_ms=JOB_MS)
    prefetch = plan.client_settings.consumer["prefetch_count"]
    timeout = conf_timeout(plan)
    assert timeout >= 2 * JOB_MS and prefetch * JOB_MS * 2 <= timeout  # margin 2, and the buffer fits in it
    queue, dlq = publish_jobs(plan, 3)
    run = Run()
    with channels_with_deadline(timeout // SCALE, 1) as (ch,):
        work(ch, queue, prefetch, run, 3)
    drain(run, queue, dlq)
    assert run.completed == ["job-0", "job-1", "job-2"]  # each job once, in order
    assert run.deliveries == [(j, False) for j in run.completed] and run.closed == 0  # no redelivery
    assert run.dead == []  # nothing dead-lettered


def test_without_the_processing_time_the_channel_is_closed_and_healthy_jobs_reach_the_dead_letters(imported):  # noqa: F811
    plan = imported("work_queue", requirements={"ordering": "none"})
    assert not any(a.path == "rabbitmq/rabbitmq.conf" for a in plan.artifacts)
    prefetch = plan.client_settings.consumer["prefetch_count"]
    limit = next(c for c in plan.channels if c.role == "jobs" and c.kind == "queue").settings["arguments"][
        "x-delivery-limit"
    ]
    queue, dlq = publish_jobs(plan, 3)
    run = Run()
    default_timeout, _ = node_settings()
    assert default_timeout is not None
    with channels_with_deadline(default_timeout // SCALE, limit + 1) as channels:
        for ch in channels:  # the consumer reconnects after each closure, as a supervisor would restart it
            work(ch, queue, prefetch, run, 3)
    drain(run, queue, dlq)
    assert run.completed == [] and run.closed == limit + 1  # every channel closed mid-job
    assert [d for d in run.deliveries if d[1]]  # the running jobs were redelivered
    assert sorted(run.dead) == [(f"job-{i}", "delivery_limit") for i in range(3)]  # healthy jobs dead-lettered


def test_with_the_planned_deadline_but_the_default_prefetch_the_last_buffered_job_is_redelivered(imported):  # noqa: F811
    plan = imported("work_queue", requirements={"ordering": "none"}, processing_time_ms=JOB_MS)
    default_prefetch = imported("work_queue", requirements={"ordering": "none"}).client_settings.consumer[
        "prefetch_count"
    ]
    queue, dlq = publish_jobs(plan, 3)
    run = Run()
    with channels_with_deadline(conf_timeout(plan) // SCALE, 1) as (ch,):
        work(ch, queue, default_prefetch, run, 3)
    drain(run, queue, dlq)
    assert run.closed == 1 and "job-2" not in run.completed  # the third job waited behind two others: too long
    assert ("job-2", True) in run.deliveries  # and was redelivered

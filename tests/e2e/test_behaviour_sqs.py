"""Behaviour on a local SQS-compatible server (moto's server, started by tests/test_live_sqs.py's fixture), from the
rendered ``sqs/cloudformation.yaml``.

moto does not run CloudFormation templates fully, so the test parses the rendered template and creates what it
declares with boto3: every ``AWS::SQS::Queue`` with its properties as queue attributes (VisibilityTimeout,
MessageRetentionPeriod, ReceiveMessageWaitTimeSeconds, FifoQueue, ContentBasedDeduplication) and its RedrivePolicy,
whose ``!GetAtt <dead-letter queue>.Arn`` is resolved to the created queue's ARN. Tags, RedriveAllowPolicy and the
CloudWatch alarms are not applied (they do not change delivery). The consumer follows the plan's client settings
(MaxNumberOfMessages, the heartbeat, the retryable and non-retryable error calls).

Scaled down: 1 s here stands for 10 s (SCALE = 10) for the timed attributes, so a 45-second job takes 4.5 s, the
planned 90 s visibility timeout is 9 s and the default 30 s is 3 s. The retry delays (1 s, 2 s) are not scaled.
"""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from typing import Any

from brokers.moto import endpoint, sqs  # noqa: F401  (fixtures: moto's server, a boto3 client for it)
from brokers.sqs_queues import SCALE, create_queues, delete_queues, receive_until_dead
from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge

JOB_MS = 45_000
JOB_S = JOB_MS / 1000 / SCALE


def make_plan(ordering: str = "none", **options: Any) -> Any:
    ctx = {
        "use_case": "work_queue",
        "producers": ["order-service"],
        "consumers": ["billing-service"],
        "requirements": {
            "throughput": "100 msg/s",
            "ordering": ordering,
            "delivery": "at_least_once",
            "retention": "4 days",
        },
    }
    return plan_topology(
        ctx, knowledge(), broker="sqs", options={"domain": f"t{uuid.uuid4().hex[:8]}", "max_attempts": 3, **options}
    )


def heartbeat(plan: Any) -> tuple[int, float] | None:
    """(VisibilityTimeout, interval in s), scaled, of the heartbeat the plan names."""
    text = plan.client_settings.consumer.get("heartbeat")
    if text is None:
        return None
    found = re.search(r"VisibilityTimeout=(\d+)\) every (\d+) s", text)
    assert found, text
    return math.ceil(int(found[1]) / SCALE), int(found[2]) / SCALE


def run_long_job(sqs: Any, plan: Any, job_s: float = JOB_S, beats: bool = True) -> tuple[int, int]:  # noqa: F811
    """One job, processed for ``job_s`` by worker A (with the plan's heartbeat, if it names one and ``beats``) while
    worker B keeps receiving; (times the job was received, messages in the dead-letter queue)."""
    urls = create_queues(sqs, plan)
    consumer = plan.client_settings.consumer
    try:
        sqs.send_message(QueueUrl=urls["jobs"], MessageBody="job")
        got = sqs.receive_message(
            QueueUrl=urls["jobs"], MaxNumberOfMessages=consumer["MaxNumberOfMessages"], WaitTimeSeconds=2
        )["Messages"]
        receipt, received = got[0]["ReceiptHandle"], len(got)
        beat = heartbeat(plan) if beats else None
        started = last_beat = time.monotonic()
        while time.monotonic() - started < job_s:
            if beat and time.monotonic() - last_beat >= beat[1]:
                sqs.change_message_visibility(QueueUrl=urls["jobs"], ReceiptHandle=receipt, VisibilityTimeout=beat[0])
                last_beat = time.monotonic()
            other = sqs.receive_message(QueueUrl=urls["jobs"], MaxNumberOfMessages=10, WaitTimeSeconds=0)
            received += len(other.get("Messages", []))
            time.sleep(0.2)
        sqs.delete_message(QueueUrl=urls["jobs"], ReceiptHandle=receipt)
        dead = sqs.get_queue_attributes(QueueUrl=urls["dead_letter"], AttributeNames=["ApproximateNumberOfMessages"])
        return received, int(dead["Attributes"]["ApproximateNumberOfMessages"])
    finally:
        delete_queues(sqs, urls)


def test_a_long_job_completes_once_with_the_planned_visibility_timeout(sqs):  # noqa: F811
    plan = make_plan(processing_time_ms=JOB_MS)
    assert plan.client_settings.consumer["VisibilityTimeout"] * 1000 >= 2 * JOB_MS
    assert plan.client_settings.consumer["MaxNumberOfMessages"] == 1 and heartbeat(plan) is not None
    assert run_long_job(sqs, plan) == (1, 0)


def test_with_the_default_visibility_timeout_the_same_job_runs_twice(sqs):  # noqa: F811
    plan = make_plan()  # no processing time: the 30 s default, shorter than the 45 s job
    assert plan.client_settings.consumer["VisibilityTimeout"] * 1000 < JOB_MS
    received, _ = run_long_job(sqs, plan)
    assert received >= 2  # worker B got the running job once it became visible again


def test_a_job_that_outlives_its_visibility_timeout_is_kept_by_the_planned_heartbeat(sqs):  # noqa: F811
    """A slow run, 2.5 x the planned job time (11.25 s against the planned 9 s visibility): the plan's heartbeat
    (ChangeMessageVisibility every half visibility) keeps it invisible and it is received once; the control, the
    same run without the heartbeat, is received again by the other worker."""
    plan = make_plan(processing_time_ms=JOB_MS)
    slow = 2.5 * JOB_S
    assert slow > plan.client_settings.consumer["VisibilityTimeout"] / SCALE
    assert run_long_job(sqs, plan, job_s=slow) == (1, 0)
    assert run_long_job(sqs, plan, job_s=slow, beats=False)[0] >= 2


def run_buffered_jobs(sqs: Any, plan: Any, per_receive: int, jobs: int = 3) -> dict[str, int]:  # noqa: F811
    """Two workers each receive up to ``per_receive`` jobs at a time and process them one after another (JOB_S each,
    then DeleteMessage); the second starts once the first has received. How many times each job was received."""
    urls = create_queues(sqs, plan)
    received: dict[str, int] = {}
    deleted: set[str] = set()
    lock, first_received = threading.Lock(), threading.Event()

    def work(first: bool) -> None:
        if not first:
            first_received.wait(10)
        deadline = time.monotonic() + jobs * JOB_S + 10
        while len(deleted) < jobs and time.monotonic() < deadline:
            batch = sqs.receive_message(QueueUrl=urls["jobs"], MaxNumberOfMessages=per_receive, WaitTimeSeconds=1).get(
                "Messages", []
            )
            first_received.set()
            for m in batch:
                with lock:
                    received[m["Body"]] = received.get(m["Body"], 0) + 1
            for m in batch:
                time.sleep(JOB_S)
                sqs.delete_message(QueueUrl=urls["jobs"], ReceiptHandle=m["ReceiptHandle"])
                with lock:
                    deleted.add(m["Body"])

    try:
        for i in range(jobs):
            sqs.send_message(QueueUrl=urls["jobs"], MessageBody=f"job-{i}")
        workers = [threading.Thread(target=work, args=(first,)) for first in (True, False)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=jobs * JOB_S + 20)
        return received
    finally:
        delete_queues(sqs, urls)


def test_buffered_jobs_run_once_when_the_receive_batch_fits_the_visibility_timeout(sqs):  # noqa: F811
    """Three 45 s jobs under the planned 90 s visibility, two workers: with the planned MaxNumberOfMessages (1) each
    job is received once; the control receives 10 at a time, so one worker holds all three, the third waits 90 s
    behind two others and reappears to the other worker."""
    plan = make_plan(processing_time_ms=JOB_MS)
    assert run_buffered_jobs(sqs, plan, plan.client_settings.consumer["MaxNumberOfMessages"]) == {
        "job-0": 1,
        "job-1": 1,
        "job-2": 1,
    }
    assert run_buffered_jobs(sqs, plan, 10)["job-2"] >= 2


def test_a_poison_message_is_retried_after_the_planned_delays_then_redriven_after_max_receive_count(sqs):  # noqa: F811
    plan = make_plan()
    delays = [math.ceil(d / 1000) for d in plan.retry.settings["delays_ms"]]
    max_receives = plan.retry.settings["maxReceiveCount"]
    urls = create_queues(sqs, plan)
    try:
        sqs.send_message(QueueUrl=urls["jobs"], MessageBody="poison")

        def retry_later(message: Any, attempt: int) -> None:  # the plan's retryable-error call
            delay = delays[attempt - 1] if attempt <= len(delays) else 0
            sqs.change_message_visibility(
                QueueUrl=urls["jobs"], ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=delay
            )

        times, dead = receive_until_dead(sqs, urls, retry_later, max_receives)
    finally:
        delete_queues(sqs, urls)
    assert len(times) == max_receives  # received maxReceiveCount times, then moved by the redrive policy
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    for gap, delay in zip(gaps, delays, strict=False):  # each retry waited its planned delay
        assert delay * 0.9 <= gap < delay + 2, (gaps, delays)
    assert [m["Body"] for m in dead] == ["poison"]
    assert int(dead[0]["Attributes"]["ApproximateReceiveCount"]) >= max_receives


def fail_non_retryable(sqs: Any, urls: dict[str, str], explicit: bool) -> tuple[int, list[Any]]:  # noqa: F811
    """A VALIDATION_ERROR message: dead-lettered by the consumer (the plan) or left to the redrive policy."""
    sqs.send_message(QueueUrl=urls["jobs"], MessageBody="invalid")

    def on_failure(message: Any, _attempt: int) -> None:
        if explicit:  # the plan: SendMessage to the -dlq with the error class, then DeleteMessage
            sqs.send_message(
                QueueUrl=urls["dead_letter"],
                MessageBody=message["Body"],
                MessageAttributes={"error_class": {"DataType": "String", "StringValue": "VALIDATION_ERROR"}},
            )
            sqs.delete_message(QueueUrl=urls["jobs"], ReceiptHandle=message["ReceiptHandle"])
        else:  # give up on the message at once and hope the redrive policy takes it
            sqs.change_message_visibility(
                QueueUrl=urls["jobs"], ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )

    times, dead = receive_until_dead(sqs, urls, on_failure, 10)
    return len(times), dead


def test_a_non_retryable_error_is_dead_lettered_at_once_by_the_consumer(sqs):  # noqa: F811
    plan = make_plan()
    assert plan.client_settings.consumer["on_non_retryable_error"].startswith("SendMessage to the -dlq")
    urls = create_queues(sqs, plan)
    try:
        processed, dead = fail_non_retryable(sqs, urls, explicit=True)
    finally:
        delete_queues(sqs, urls)
    assert processed == 1
    assert [(m["Body"], m["MessageAttributes"]["error_class"]["StringValue"]) for m in dead] == [
        ("invalid", "VALIDATION_ERROR")
    ]


def test_the_redrive_policy_alone_processes_a_non_retryable_message_max_receive_count_times(sqs):  # noqa: F811
    plan = make_plan()
    urls = create_queues(sqs, plan)
    try:
        processed, dead = fail_non_retryable(sqs, urls, explicit=False)
    finally:
        delete_queues(sqs, urls)
    assert processed == plan.retry.settings["maxReceiveCount"] > 1  # the invalid message ran every time
    assert [m["Body"] for m in dead] == ["invalid"]


def test_fifo_per_group_order_holds_with_competing_consumers(sqs):  # noqa: F811
    """Per-key ordered work queue: the plan gives a FIFO queue and MessageGroupId = the ordering key. Three competing
    consumers receive with the plan's MaxNumberOfMessages; every message is processed once and each group's messages
    in send order, while several groups progress. moto's server does not make ReceiveMessage atomic (two concurrent
    calls can both take messages of one group, which SQS never does), so the consumers take turns to call it; their
    processing and deletes still overlap."""
    plan = make_plan(ordering="partition")
    assert plan.broker.variant == "fifo" and plan.client_settings.producer["MessageGroupId"] == "aggregate_id"
    urls = create_queues(sqs, plan)
    sent = [(f"order-{i % 4}", i) for i in range(24)]
    done: list[tuple[str, int, str]] = []
    lock, receiving = threading.Lock(), threading.Lock()

    def work(name: str) -> None:
        deadline = time.monotonic() + 20
        while len(done) < len(sent) and time.monotonic() < deadline:
            with receiving:  # moto's ReceiveMessage is not atomic: two at once can both take one group's messages
                got = sqs.receive_message(
                    QueueUrl=urls["jobs"],
                    WaitTimeSeconds=0,
                    MaxNumberOfMessages=plan.client_settings.consumer["MaxNumberOfMessages"],
                )
            if not got.get("Messages"):
                time.sleep(0.05)
            for m in got.get("Messages", []):
                time.sleep(0.02)
                key, seq = m["Body"].split(":")
                with lock:
                    done.append((key, int(seq), name))
                sqs.delete_message(QueueUrl=urls["jobs"], ReceiptHandle=m["ReceiptHandle"])

    try:
        for key, seq in sent:
            sqs.send_message(
                QueueUrl=urls["jobs"],
                MessageBody=f"{key}:{seq}",
                MessageGroupId=key,
                MessageDeduplicationId=f"{key}-{seq}",
            )
        workers = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(3)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=30)
    finally:
        delete_queues(sqs, urls)
    assert sorted((k, s) for k, s, _ in done) == sorted(sent)  # every message once
    assert len({w for _, _, w in done}) > 1  # the consumers really competed
    for key in {k for k, _ in sent}:
        assert [s for k, s, _ in done if k == key] == [s for k, s in sent if k == key]

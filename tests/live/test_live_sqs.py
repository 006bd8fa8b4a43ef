"""inspect_broker on SQS, against moto's server started on a free loopback port: a visibility timeout shorter than
the processing time, with the redelivered message ending in the dead-letter queue."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import pytest

from brokers.moto import SECRET, endpoint, sqs  # noqa: F401  (pytest fixtures)
from conftest import free_port
from event_driven.live.inspect import inspect_target
from event_driven.live.reading import BrokerReadError
from live_support import diagnosis_rank, target, unique, work_queue_plan


def _depths(sqs: Any, *urls: str) -> list[tuple[str, str]]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    return [tuple(sqs.get_queue_attributes(QueueUrl=u, AttributeNames=names)["Attributes"].get(n, "0")
                  for n in names) for u in urls]


def _slow_worker(sqs: Any, url: str, processing_s: float, rounds: int) -> int:
    """Receive, 'process' longer than the visibility timeout, never delete: returns the receive count seen."""
    seen = 0
    for _ in range(rounds):
        got = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"], WaitTimeSeconds=1)
        for m in got.get("Messages", []):
            seen = max(seen, int(m["Attributes"]["ApproximateReceiveCount"]))
        time.sleep(processing_s)
    return seen


def test_visibility_timeout_shorter_than_processing(sqs: Any, endpoint: str, caplog: pytest.LogCaptureFixture) -> None:
    name = unique()
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "1", "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    })["QueueUrl"]
    try:
        sqs.send_message(QueueUrl=url, MessageBody='{"order": 1}')
        sqs.send_message(QueueUrl=url, MessageBody='{"order": 2}')
        # Each message takes 1.5 s to process against a 1 s visibility timeout: it is received again while still
        # being worked on, and after maxReceiveCount receives SQS moves it to the dead-letter queue.
        assert _slow_worker(sqs, url, processing_s=1.3, rounds=3) >= 2
        before = _depths(sqs, url, dlq)
        tgt = target("sqs", endpoint, username_env="LIVE_SQS_KEY", password_env="LIVE_SQS_SECRET",
                     expect={"processing_time_ms": 1500}, sampling={"window_s": 0.5, "samples": 2})
        caplog.set_level(logging.DEBUG)  # botocore logs requests and signing at DEBUG
        result = inspect_target(tgt, pattern=f"{name}*")
        assert _depths(sqs, url, dlq) == before, "the inspection must not receive messages"
        assert SECRET not in caplog.text
    finally:
        sqs.delete_queue(QueueUrl=url)
        sqs.delete_queue(QueueUrl=dlq)
    assert SECRET not in result.model_dump_json()
    queue: Any = next(q for q in result.snapshot.queues if q.name == name)  # type: ignore[union-attr]
    assert (queue.visibility_timeout_s, queue.max_receive_count, queue.dead_letter_queue) == (1, 2, f"{name}-dlq")
    assert queue.dead_letter_visible >= 1
    first = result.findings[0]
    assert (first.rule_id, first.failure_mode_id) == ("visibility_below_processing", "sqs_visibility_timeout_too_short")
    quoted = {q.figure: q.value for q in first.evidence}
    assert quoted["VisibilityTimeout"] == 1 and quoted["processing_time_ms"] == 1500
    assert "dead_letters_waiting" in [f.rule_id for f in result.findings]
    assert diagnosis_rank(result, "sqs_visibility_timeout_too_short") == 1


def test_missing_queue_prefix_reads_nothing_and_bad_endpoint_is_refused(sqs: Any, endpoint: str) -> None:
    creds = {"username_env": "LIVE_SQS_KEY", "password_env": "LIVE_SQS_SECRET"}
    empty = inspect_target(target("sqs", endpoint, sampling={"samples": 1}, **creds), pattern=f"{unique()}*")
    assert empty.summary.channels_matched == 0 and empty.findings == []
    with pytest.raises(BrokerReadError) as err:
        inspect_target(target("sqs", f"http://127.0.0.1:{free_port()}", timeout_s=2, deadline_s=4, **creds))
    assert err.value.problem == "refused" and err.value.call == "ListQueues"


def test_drift_against_an_sqs_plan(sqs: Any, endpoint: str) -> None:
    domain = f"d{uuid.uuid4().hex[:10]}"
    plan = work_queue_plan("sqs", domain)
    main = next(c for c in plan.channels if c.role == "jobs")
    dlq = next(c for c in plan.channels if c.role == "dead_letter")
    # The incident: the queue was created by hand, with a short visibility timeout and no redrive policy.
    urls = [sqs.create_queue(QueueName=main.name, Attributes={"VisibilityTimeout": "5"})["QueueUrl"]]
    try:
        tgt = target("sqs", endpoint, username_env="LIVE_SQS_KEY", password_env="LIVE_SQS_SECRET",
                     sampling={"samples": 1})
        result = inspect_target(tgt, plan=plan, pattern=f"{domain}*")
    finally:
        for u in urls:
            sqs.delete_queue(QueueUrl=u)
    assert result.drift is not None
    items = {(i.kind, i.channel, i.setting): i for i in result.drift.items}
    vt = items[("setting_mismatch", main.name, "VisibilityTimeout")]
    assert (vt.planned, vt.live, vt.failure_mode_id) == (30, 5, "sqs_visibility_timeout_too_short")
    redrive = items[("setting_mismatch", main.name, "RedrivePolicy.maxReceiveCount")]
    assert (redrive.planned, redrive.live, redrive.severity) == (5, None, "high")
    assert ("plan_only", dlq.name, None) in items

"""SQS queues created from the rendered ``sqs/cloudformation.yaml`` on moto's server, and a consumer loop that fails
one message until it leaves its queue (tests/e2e/test_behaviour_sqs*.py).

moto does not run CloudFormation templates fully, so the template is parsed and what it declares is created with
boto3: every ``AWS::SQS::Queue`` with its properties as queue attributes and its RedrivePolicy, whose ``!GetAtt <dead-
letter queue>.Arn`` is resolved to the created queue's ARN. Timed attributes are scaled: 1 s stands for SCALE s.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from brokers.sqs import load, template

SCALE = 10
TIMED = ("VisibilityTimeout", "ReceiveMessageWaitTimeSeconds")


def _attribute(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def create_queues(sqs: Any, plan: Any) -> dict[str, str]:
    """Create every queue the rendered template declares (dead-letter targets first); {role: queue URL}."""
    resources = load(template(plan))["Resources"]
    queues = {rid: r["Properties"] for rid, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    order = sorted(queues, key=lambda rid: "RedrivePolicy" in queues[rid])
    urls: dict[str, str] = {}
    roles: dict[str, str] = {}
    for rid in order:
        props = queues[rid]
        attrs = {
            k: _attribute(math.ceil(v / SCALE) if k in TIMED else v)
            for k, v in props.items()
            if k not in ("QueueName", "Tags", "RedrivePolicy", "RedriveAllowPolicy")
        }
        if "RedrivePolicy" in props:
            target = props["RedrivePolicy"]["deadLetterTargetArn"]["!GetAtt"].removesuffix(".Arn")
            arn = sqs.get_queue_attributes(QueueUrl=urls[target], AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attrs["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": arn, "maxReceiveCount": props["RedrivePolicy"]["maxReceiveCount"]}
            )
        urls[rid] = sqs.create_queue(QueueName=props["QueueName"], Attributes=attrs)["QueueUrl"]
        role = next(t["Value"] for t in props["Tags"] if t["Key"] == "event-driven:role")
        roles[role] = urls[rid]
    return roles


def delete_queues(sqs: Any, urls: dict[str, str]) -> None:
    for url in urls.values():
        sqs.delete_queue(QueueUrl=url)


def receive_until_dead(sqs: Any, urls: dict[str, str], on_failure: Any, limit: int) -> tuple[list[float], list[Any]]:
    """Receive one message and fail it with ``on_failure(message, attempt)`` until it is gone from the queue; the
    receive times and the dead-letter queue's messages."""
    times: list[float] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(times) <= limit + 1:
        got = sqs.receive_message(
            QueueUrl=urls["jobs"], WaitTimeSeconds=1, AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            attrs = sqs.get_queue_attributes(QueueUrl=urls["jobs"], AttributeNames=["All"])["Attributes"]
            if times and attrs["ApproximateNumberOfMessages"] == attrs["ApproximateNumberOfMessagesNotVisible"] == "0":
                break  # moved out of the queue
            continue
        times.append(time.monotonic())
        on_failure(got[0], len(times))
    dead = sqs.receive_message(
        QueueUrl=urls["dead_letter"], WaitTimeSeconds=2, AttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", [])
    return times, dead

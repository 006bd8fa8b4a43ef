"""Behaviour on a local SQS-compatible server (moto's server), from the rendered ``sqs/cloudformation.yaml`` of a
pub_sub plan: an SNS topic fanning out to one queue per subscriber, each with its own redrive policy and dead-letter
queue. One subscriber's failure stays its own.

The queues are created as tests/brokers/sqs_queues.py creates them (scaled timed attributes); the SNS topic and
its subscriptions (protocol sqs, raw message delivery) are created with boto3 as the template declares them. The queue
policies are not applied (moto does not enforce them). The failing subscriber follows the plan's retryable-error call
(ChangeMessageVisibility to the tier delay) until the redrive policy moves the event to its own dead-letter queue;
the healthy subscriber receives it once and deletes it. The control retries through the topic, as a retry channel
shared by all subscribers does: the healthy subscriber processes every retry again.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from brokers.moto import KEY_ID, SECRET, endpoint, sqs  # noqa: F401  (fixtures: moto's server, a boto3 client)
from brokers.sqs import load, template
from brokers.sqs_queues import create_queues, delete_queues, receive_until_dead
from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge


def make_plan() -> Any:
    ctx = {
        "use_case": "pub_sub",
        "producers": ["order-service"],
        "consumers": ["billing-service", "mailer-service"],
        "requirements": {
            "throughput": "100 msg/s",
            "ordering": "none",
            "delivery": "at_least_once",
            "retention": "4 days",
        },
    }
    return plan_topology(
        ctx, knowledge(), broker="sqs", options={"domain": f"t{uuid.uuid4().hex[:8]}", "max_attempts": 3}
    )


class FanOut:
    """The rendered template applied: queues (by name), the topic ARN and the subscriptions."""

    def __init__(self, sqs: Any, endpoint: str, plan: Any):
        import boto3

        self.sqs, self.plan = sqs, plan
        self.sns = boto3.client(
            "sns",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )
        resources = load(template(plan))["Resources"]
        create_queues(sqs, plan)
        names = {rid: r["Properties"]["QueueName"] for rid, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
        self.urls = {name: sqs.get_queue_url(QueueName=name)["QueueUrl"] for name in names.values()}
        topics = {
            rid: self.sns.create_topic(Name=r["Properties"]["TopicName"])["TopicArn"]
            for rid, r in resources.items()
            if r["Type"] == "AWS::SNS::Topic"
        }
        assert len(topics) == 1, topics
        self.topic = next(iter(topics.values()))
        subscriptions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::SNS::Subscription"]
        for s in subscriptions:
            queue = self.urls[names[s["Endpoint"]["!GetAtt"].removesuffix(".Arn")]]
            arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            self.sns.subscribe(
                TopicArn=topics[s["TopicArn"]["!Ref"]],
                Protocol=s["Protocol"],
                Endpoint=arn,
                Attributes={"RawMessageDelivery": str(s["RawMessageDelivery"]).lower()},
            )
        assert len(subscriptions) == len(plan.consumer_groups) == 2

    def queues_of(self, group: str) -> dict[str, str]:
        """The group's own queue and dead-letter queue, as the roles receive_until_dead reads."""
        own = next(c for c in self.plan.channels if c.key.endswith(f"@{group}"))
        dead = next(c for c in self.plan.channels if c.key == f"{own.key}.dlq")
        return {"jobs": self.urls[own.name], "dead_letter": self.urls[dead.name]}

    def close(self) -> None:
        try:
            self.sns.delete_topic(TopicArn=self.topic)
        finally:
            delete_queues(self.sqs, self.urls)


def drain(sqs: Any, url: str, rounds: int = 2) -> list[str]:
    """Receive and delete whatever arrives in ``rounds`` long polls: the bodies processed."""
    bodies: list[str] = []
    for _ in range(rounds):
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return bodies


def run(sqs: Any, endpoint: str, shared_retry: bool) -> tuple[int, list[str], list[Any], list[str]]:
    """(receives by the failing subscriber, bodies the healthy one processed, failing and healthy dead letters)."""
    plan = make_plan()
    failing_group, healthy_group = (g.name for g in plan.consumer_groups)
    delays = [math.ceil(d / 1000) for d in plan.retry.settings["delays_ms"]]
    limit = plan.retry.settings["maxReceiveCount"]
    fan = FanOut(sqs, endpoint, plan)
    try:
        failing, healthy = fan.queues_of(failing_group), fan.queues_of(healthy_group)
        fan.sns.publish(TopicArn=fan.topic, Message="order-1")
        processed = drain(sqs, healthy["jobs"], rounds=1)

        def fail(message: Any, attempt: int) -> None:
            if shared_retry:  # republish to the topic every subscriber reads, and drop this copy
                fan.sns.publish(TopicArn=fan.topic, Message=message["Body"])
                sqs.delete_message(QueueUrl=failing["jobs"], ReceiptHandle=message["ReceiptHandle"])
                return
            sqs.change_message_visibility(
                QueueUrl=failing["jobs"],
                ReceiptHandle=message["ReceiptHandle"],
                VisibilityTimeout=delays[attempt - 1] if attempt <= len(delays) else 0,
            )

        times, failing_dead = receive_until_dead(sqs, failing, fail, limit - 1 if shared_retry else limit)
        processed += drain(sqs, healthy["jobs"])
        healthy_dead = drain(sqs, healthy["dead_letter"], rounds=1)
        return len(times), processed, failing_dead, healthy_dead
    finally:
        fan.close()


def test_a_failure_in_one_subscriber_reaches_only_its_dead_letter_queue_and_not_the_other(sqs, endpoint):
    receives, processed, failing_dead, healthy_dead = run(sqs, endpoint, shared_retry=False)
    assert receives == 3  # maxReceiveCount receives, the planned delays apart, then redriven
    assert [m["Body"] for m in failing_dead] == ["order-1"]
    assert processed == ["order-1"] and healthy_dead == []  # the healthy subscriber processed it exactly once


def test_a_retry_through_the_shared_topic_is_reprocessed_by_the_healthy_subscriber(sqs, endpoint):
    receives, processed, failing_dead, _ = run(sqs, endpoint, shared_retry=True)
    assert processed == ["order-1"] * (receives + 1) and receives >= 2
    assert failing_dead == []

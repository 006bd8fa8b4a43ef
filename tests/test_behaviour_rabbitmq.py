"""Behaviour on the real RabbitMQ, from the imported definitions: one subscriber's failure stays its own.

pub_sub with two subscribers: each has its own queue, dead-letter queue and retry tiers. A message one subscriber
rejects as non-retryable reaches that subscriber's dead-letter queue, marked with its queue; the other subscriber
receives the message once, acknowledges it, and never sees it again.
"""

from __future__ import annotations

import time

import pika

from test_artifacts_rabbitmq import connect, imported  # noqa: F401  (imported is a fixture)


def test_a_failure_in_one_subscriber_is_not_reprocessed_by_another(imported):  # noqa: F811
    plan = imported("pub_sub", requirements={"ordering": "none"})
    queues = {c.key: c for c in plan.channels if c.kind == "queue"}
    groups = [g.name for g in plan.consumer_groups]
    failing, healthy = (queues[f"events@{g}"] for g in groups)
    failing_dlq, healthy_dlq = (queues[f"events@{g}.dlq"] for g in groups)
    conn = connect()
    try:
        ch = conn.channel()
        ch.confirm_delivery()
        ch.basic_publish(failing.settings["bind_to"], "order.placed", b'{"order": 1}', mandatory=True,
                         properties=pika.BasicProperties(delivery_mode=2, message_id="m-1"))
        method = _get(ch, failing.name)
        ch.basic_reject(method.delivery_tag, requeue=False)  # non-retryable in this subscriber
        method = _get(ch, healthy.name)
        ch.basic_ack(method.delivery_tag)
        dead = _get(ch, failing_dlq.name, ack=True)
        assert dead.props.headers["x-first-death-queue"] == failing.name  # marked with the failing group's queue
        time.sleep(0.5)
        assert ch.basic_get(healthy.name, auto_ack=True)[0] is None  # the healthy subscriber never sees it again
        assert ch.basic_get(healthy_dlq.name, auto_ack=True)[0] is None
        assert ch.basic_get(failing.name, auto_ack=True)[0] is None
    finally:
        conn.close()


class _Got:
    def __init__(self, method, props):
        self.delivery_tag, self.props = method.delivery_tag, props


def _get(ch, queue: str, ack: bool = False) -> _Got:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        method, props, _body = ch.basic_get(queue, auto_ack=ack)
        if method is not None:
            return _Got(method, props)
        time.sleep(0.05)
    raise AssertionError(f"nothing arrived in {queue}")

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


def test_per_key_order_holds_over_consistent_hash_lanes_with_competing_consumers(imported):  # noqa: F811
    """A per-key ordered pub_sub plan sized for 3 instances gives each subscriber a consistent-hash exchange over 3
    lane queues with a single active consumer each (imported from the rendered definitions; the plugin
    rabbitmq_consistent_hash_exchange is enabled). The producer sets x-ordering-key; two competing consumers attach to
    every lane queue. Each key stays on one lane, the keys spread over several lanes, every message arrives once and
    each key's messages in publish order."""
    import threading

    plan = imported("pub_sub", processing_time_ms=30)  # 100 msg/s x 30 ms -> 3 in flight -> 3 lanes
    group = plan.consumer_groups[0].name
    lanes = [c for c in plan.channels if c.kind == "queue" and c.key.startswith(f"events@{group}.lane.")]
    assert len(lanes) == 3 and all(c.settings["arguments"]["x-single-active-consumer"] for c in lanes)
    header = next(iter(plan.client_settings.producer["headers"]))
    exchange = next(c.name for c in plan.channels if c.key == "events")
    sent = [(f"order-{i % 8}", i) for i in range(48)]
    done: list[tuple[str, int, str]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def consume(queue: str) -> None:
        conn = connect()
        ch = conn.channel()
        ch.basic_qos(prefetch_count=1)

        def on_message(channel, method, _props, body) -> None:
            time.sleep(0.005)
            key, seq = body.decode().split(":")
            with lock:
                done.append((key, int(seq), queue))
            channel.basic_ack(method.delivery_tag)

        ch.basic_consume(queue, on_message)
        while not stop.is_set():
            conn.process_data_events(time_limit=0.1)
        conn.close()

    workers = [threading.Thread(target=consume, args=(q.name,)) for q in lanes for _ in range(2)]
    for w in workers:
        w.start()
    conn = connect()
    try:
        ch = conn.channel()
        ch.confirm_delivery()
        for key, seq in sent:
            ch.basic_publish(exchange, "order.placed", f"{key}:{seq}".encode(), mandatory=True,
                             properties=pika.BasicProperties(delivery_mode=2, headers={header: key}))
        deadline = time.monotonic() + 20
        while len(done) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=5)
        conn.close()
    assert sorted((k, s) for k, s, _ in done) == sorted(sent)  # every message once
    lane_of_key = {k: {q for kk, _, q in done if kk == k} for k, _ in sent}
    assert all(len(qs) == 1 for qs in lane_of_key.values())  # a key stays on its lane
    assert len({q for qs in lane_of_key.values() for q in qs}) > 1  # the keys spread over several lanes
    for key in lane_of_key:
        assert [s for k, s, _ in done if k == key] == [s for k, s in sent if k == key]

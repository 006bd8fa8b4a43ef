"""Behaviour on the real RabbitMQ, from the imported definitions: one subscriber's failure stays its own.

pub_sub with two subscribers: each has its own queue, dead-letter queue and retry tiers. A message one subscriber
rejects as non-retryable reaches that subscriber's dead-letter queue, marked with its queue; the other subscriber
receives the message once, acknowledges it, and never sees it again.
"""

from __future__ import annotations

import time

import pika

from brokers.rabbitmq import connect, imported  # noqa: F401  (imported is a fixture)


def test_a_failure_in_one_subscriber_is_not_reprocessed_by_another(imported):  # noqa: F811
    plan = imported("pub_sub", requirements={"ordering": "none"})
    queues = {c.key: c for c in plan.channels if c.kind == "queue"}
    groups = [g.name for g in plan.consumer_groups]
    failing, healthy = (queues[f"events@{g}"] for g in groups)
    failing_dlq, healthy_dlq = (queues[f"events@{g}.dlq"] for g in groups)
    conn = connect()
    try:
        ch = _publish(conn, failing, b'{"order": 1}', "m-1")
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


def _publish(conn, queue, body: bytes, message_id: str):
    """A confirmed, persistent order.placed event to the exchange the subscriber's queue is bound to."""
    ch = conn.channel()
    ch.confirm_delivery()
    ch.basic_publish(queue.settings["bind_to"], "order.placed", body, mandatory=True,
                     properties=pika.BasicProperties(delivery_mode=2, message_id=message_id))
    return ch


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


def test_a_poison_message_follows_the_planned_tiers_then_reaches_its_groups_dead_letters(imported):  # noqa: F811
    """pub_sub with two subscribers and 4 attempts: the failing subscriber's consumer does what the plan says for a
    retryable error (republish to <queue>.retry.<n> through the retry exchange with the message's headers, then ack)
    and rejects after the last attempt. The broker holds the message in each tier for that tier's TTL and dead-letters
    it back to the failing subscriber's queue only; the gaps between deliveries follow the planned delays in order,
    the message ends in that subscriber's .dlq with x-death naming its queue and every tier it passed, and the other
    subscriber receives it once."""
    plan = imported("pub_sub", requirements={"ordering": "none"}, max_attempts=4)
    delays = plan.retry_policy.backoff.delays_ms
    assert len(delays) == 3 and delays == sorted(delays)
    queues = {c.key: c for c in plan.channels if c.kind == "queue"}
    failing, healthy = (queues[f"events@{g.name}"] for g in plan.consumer_groups)
    tiers = [queues[f"events@{plan.consumer_groups[0].name}.retry.{i}"] for i in range(1, len(delays) + 1)]
    assert [t.settings["arguments"]["x-message-ttl"] for t in tiers] == delays
    retry_x = plan.retry.settings["retry_exchange"]
    conn = connect()
    try:
        ch = _publish(conn, failing, b'{"order": 7}', "poison-7")
        arrivals: list[float] = []
        healthy_seen = 0
        deadline = time.monotonic() + sum(delays) / 1000 + 15
        while len(arrivals) < len(delays) + 1 and time.monotonic() < deadline:
            method, props, body = ch.basic_get(failing.name, auto_ack=False)
            got, _, _ = ch.basic_get(healthy.name, auto_ack=True)
            healthy_seen += got is not None
            if method is None:
                time.sleep(0.02)
                continue
            arrivals.append(time.monotonic())
            attempt = len(arrivals)
            if attempt <= len(delays):  # retryable: into tier <attempt>, headers (x-death) carried along
                ch.basic_publish(retry_x, tiers[attempt - 1].settings["routing_key"], body or b"", mandatory=True,
                                 properties=props)
                ch.basic_ack(method.delivery_tag)
            else:  # the last attempt failed: reject, the dead-letter exchange routes it to the group's .dlq
                ch.basic_reject(method.delivery_tag, requeue=False)
        dead = _get(ch, queues[f"events@{plan.consumer_groups[0].name}.dlq"].name, ack=True)
        time.sleep(0.5)
        healthy_seen += ch.basic_get(healthy.name, auto_ack=True)[0] is not None
    finally:
        conn.close()
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(gaps) == len(delays), gaps
    for gap, delay in zip(gaps, delays, strict=True):  # each tier waited its own delay, in the planned order
        assert delay / 1000 * 0.9 <= gap < delay / 1000 + 1.5, (gaps, delays)
    deaths = dead.props.headers["x-death"]
    assert (deaths[0]["queue"], deaths[0]["reason"]) == (failing.name, "rejected")  # marked with the failing group
    assert {(d["queue"], d["reason"], d["count"]) for d in deaths[1:]} == {(t.name, "expired", 1) for t in tiers}
    assert dead.props.message_id == "poison-7"
    assert healthy_seen == 1  # the other subscriber got it once and none of the retries


def test_a_plain_requeue_skips_the_planned_delays(imported):  # noqa: F811
    """The control: the same poison message requeued (basic.reject requeue=true) instead of republished to a tier
    comes back at once, every time, until the delivery limit dead-letters it: the delays come from the tiers."""
    plan = imported("pub_sub", requirements={"ordering": "none"}, max_attempts=4)
    queues = {c.key: c for c in plan.channels if c.kind == "queue"}
    group = plan.consumer_groups[0].name
    failing, dlq = queues[f"events@{group}"], queues[f"events@{group}.dlq"]
    conn = connect()
    try:
        ch = _publish(conn, failing, b"poison", "poison-8")
        arrivals: list[float] = []
        deadline = time.monotonic() + 10
        while len(arrivals) < 4 and time.monotonic() < deadline:
            method, _props, _body = ch.basic_get(failing.name, auto_ack=False)
            if method is None:
                time.sleep(0.02)
                continue
            arrivals.append(time.monotonic())
            ch.basic_reject(method.delivery_tag, requeue=True)
        dead = _get(ch, dlq.name, ack=True)
    finally:
        conn.close()
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert len(gaps) == 3 and max(gaps) < min(plan.retry_policy.backoff.delays_ms) / 1000  # no wait at all
    assert dead.props.headers["x-first-death-reason"] == "delivery_limit"


def test_a_retried_message_returns_to_its_keys_lane(imported):  # noqa: F811
    """Per-key ordered lanes with retries: the group's retry tiers dead-letter back through its consistent-hash
    exchange, not to a lane queue by name, so a message retried through tier 1 (headers carried along) comes back to
    the lane of its x-ordering-key; the other subscriber's lanes receive each message once."""
    plan = imported("pub_sub", processing_time_ms=30)  # 3 lanes per subscriber
    billing, mailer = (g.name for g in plan.consumer_groups)
    lanes = {c.name: c for c in plan.channels if c.kind == "queue" and c.key.startswith(f"events@{billing}.lane.")}
    other_lanes = [c.name for c in plan.channels if c.kind == "queue" and c.key.startswith(f"events@{mailer}.lane.")]
    tier = next(c for c in plan.channels if c.key == f"events@{billing}.retry.1")
    header = next(iter(plan.client_settings.producer["headers"]))
    exchange = next(c.name for c in plan.channels if c.key == "events")
    keys = [f"order-{i}" for i in range(8)]
    seen: list[tuple[str, str, bool]] = []  # (key, lane, retried)
    conn = connect()
    try:
        ch = conn.channel()
        ch.confirm_delivery()

        def on_message(channel, method, props, body, lane: str) -> None:
            retried = bool((props.headers or {}).get("x-death"))
            seen.append((body.decode(), lane, retried))
            if not retried:  # a retryable failure: into tier 1 through the retry exchange, headers carried along
                channel.basic_publish(plan.retry.settings["retry_exchange"], tier.settings["routing_key"], body,
                                      properties=props)
            channel.basic_ack(method.delivery_tag)

        for name in lanes:
            ch.basic_consume(name, lambda c, m, p, b, lane=name: on_message(c, m, p, b, lane))
        for key in keys:
            ch.basic_publish(exchange, "order.placed", key.encode(), mandatory=True,
                             properties=pika.BasicProperties(delivery_mode=2, headers={header: key}))
        deadline = time.monotonic() + 15
        while len(seen) < 2 * len(keys) and time.monotonic() < deadline:
            conn.process_data_events(time_limit=0.1)
        other = sum(ch.queue_declare(q, passive=True).method.message_count for q in other_lanes)
    finally:
        conn.close()
    assert sorted((k, r) for k, _, r in seen) == sorted((k, r) for k in keys for r in (False, True))
    lane_of_key = {k: {lane for kk, lane, _ in seen if kk == k} for k in keys}
    assert all(len(ls) == 1 for ls in lane_of_key.values()), lane_of_key  # the retry came back to the key's lane
    assert len({next(iter(ls)) for ls in lane_of_key.values()}) > 1  # and the keys use several lanes
    assert other == len(keys)  # the other subscriber holds each message once, no retry copies

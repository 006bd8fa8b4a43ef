"""RabbitMQ artifact: definitions.json rendered from the plan, then proved on the real broker.

Unit tests need no broker. The oracle tests import the rendered file with ``rabbitmqctl import_definitions`` (rc 0 is
not proof: the node silently skips some objects), read queues, exchanges and bindings back with ``--formatter json``
and compare them with the plan, then drive a poison message through the delivery limit into the ``.dlq`` queue and a
message through a retry tier back into its work queue.
"""

from __future__ import annotations

import time

import pytest
from test_artifacts_common import ArtifactContract

from brokers.rabbitmq import (
    args_dict,
    connect,
    definitions,
    imported,  # noqa: F401  (pytest fixtures)
    listing,
    make_plan,
)
from event_driven.render import environment
from event_driven.render.rabbitmq import render

USE_CASES = ["pub_sub", "work_queue", "event_sourcing", "cqrs", "saga"]


# --- unit tests (no broker) -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("use_case", "options"), [*((u, {}) for u in USE_CASES), ("pub_sub", {"request_reply": True}),
                                                   ("event_sourcing", {"compaction": True})])
def test_every_use_case_renders_valid_json_matching_the_plan(use_case, options):
    plan = make_plan(use_case, **options)
    defs = definitions(plan)
    assert set(defs) == {"exchanges", "queues", "bindings"}  # no users, permissions, vhosts or policies
    exchanges = {x["name"]: x for x in defs["exchanges"]}
    queues = {q["name"]: q for q in defs["queues"]}
    assert len(exchanges) == len(defs["exchanges"]) and len(queues) == len(defs["queues"])  # one object per name
    assert set(exchanges) == {c.name for c in plan.channels if c.kind == "exchange"}
    assert set(queues) == {c.name for c in plan.channels if c.kind == "queue"}
    for ch in plan.channels:
        if ch.kind == "exchange":
            assert exchanges[ch.name]["type"] == ch.settings["type"] and exchanges[ch.name]["durable"] is True
        else:
            assert queues[ch.name]["arguments"] == ch.settings["arguments"]
            if "bind_to" not in ch.settings:  # a stream's .dlq is written by consumers via the default exchange
                assert ch.role == "dead_letter" and ch.settings["arguments"]["x-queue-type"] == "stream"
                continue
            assert {"source": ch.settings["bind_to"], "destination": ch.name,
                    "routing_key": ch.settings["routing_key"]} in [
                {k: b[k] for k in ("source", "destination", "routing_key")} for b in defs["bindings"]]
    for obj in [*defs["exchanges"], *defs["queues"], *defs["bindings"]]:
        assert obj["vhost"] == "/"
    for b in defs["bindings"]:  # every binding joins objects declared in the same file
        assert b["source"] in exchanges and b["destination"] in queues and b["destination_type"] == "queue"


def test_quorum_work_queue_has_delivery_limit_dlx_and_retry_tiers():
    plan = make_plan("work_queue")
    queues = {q["name"]: q["arguments"] for q in definitions(plan)["queues"]}
    work = queues["orders.jobs.v1"]
    assert work["x-queue-type"] == "quorum" and work["x-delivery-limit"] == 2  # max_attempts 3 = limit 2 + 1
    assert work["x-dead-letter-exchange"] == "orders.dlx" and work["x-dead-letter-routing-key"] == "orders.jobs.v1"
    assert queues["orders.jobs.v1.dlq"]["x-queue-type"] == "quorum"
    for i, delay in enumerate(plan.retry_policy.backoff.delays_ms, start=1):
        tier = queues[f"orders.jobs.v1.retry.{i}"]
        assert tier == {"x-queue-type": "classic", "x-message-ttl": delay, "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": "orders.jobs.v1"}


def test_event_sourcing_uses_streams_without_dead_lettering():
    plan = make_plan("event_sourcing")
    defs = definitions(plan)
    assert plan.broker.variant == "stream"
    assert {q["arguments"]["x-queue-type"] for q in defs["queues"]} == {"stream"}
    assert not any("x-dead-letter-exchange" in q["arguments"] for q in defs["queues"])


def test_readme_names_every_queue():
    plan = make_plan("cqrs")
    readme = next(a for a in render(plan, environment(), "orders") if a.path == "rabbitmq/README.md").content
    for q in definitions(plan)["queues"]:
        assert f"`{q['name']}`" in readme


class TestContract(ArtifactContract):
    broker, folder = "rabbitmq", "rabbitmq/"
    options = {"domain": "orders", "replication_factor": 1, "max_attempts": 3}
    variants = ({"request_reply": True}, {"compaction": True})


# --- oracle: the real broker ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("use_case", "options"), [("saga", {}), ("pub_sub", {"request_reply": True}),
                                                   ("event_sourcing", {})])
def test_import_reads_back_exactly_the_plan(imported, use_case, options):
    plan = imported(use_case, **options)
    domain = plan.channels[0].name.split(".")[0]
    queues = {q["name"]: q for q in listing("list_queues", "name", "type", "durable", "arguments")
              if q["name"].startswith(domain + ".")}
    planned_queues = {c.name: c for c in plan.channels if c.kind == "queue"}
    assert set(queues) == set(planned_queues)
    for name, ch in planned_queues.items():
        got = args_dict(queues[name]["arguments"])
        assert got == ch.settings["arguments"], name  # x-queue-type, x-delivery-limit, x-dead-letter-exchange, TTLs
        assert queues[name]["type"] == ch.settings["arguments"]["x-queue-type"] and queues[name]["durable"] is True
    exchanges = {x["name"]: x for x in listing("list_exchanges", "name", "type", "durable")
                 if x["name"].startswith(domain + ".")}
    assert {n: (x["type"], x["durable"]) for n, x in exchanges.items()} == {
        c.name: (c.settings["type"], True) for c in plan.channels if c.kind == "exchange"}
    bindings = {(b["source_name"], b["destination_name"], b["routing_key"])
                for b in listing("list_bindings", "source_name", "destination_name", "routing_key")
                if b["source_name"].startswith(domain + ".")}
    assert bindings == {(c.settings["bind_to"], c.name, c.settings["routing_key"]) for c in planned_queues.values()
                        if "bind_to" in c.settings}


def test_poison_message_is_dead_lettered_after_the_delivery_limit(imported):
    import pika

    plan = imported("work_queue", requirements={"ordering": "none"})  # competing consumers: basic.get is allowed
    work = next(c for c in plan.channels if c.kind == "queue" and c.role == "jobs")
    dlq = next(c for c in plan.channels if c.kind == "queue" and c.role == "dead_letter")
    exchange = work.settings["bind_to"]
    limit = work.settings["arguments"]["x-delivery-limit"]
    conn = connect()
    try:
        ch = conn.channel()
        ch.confirm_delivery()
        ch.basic_publish(exchange, work.settings["routing_key"], b'{"poison": true}', mandatory=True,
                         properties=pika.BasicProperties(delivery_mode=2, message_id="poison-1"))
        deliveries = 0
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and deliveries < limit + 5:
            method, _props, _body = ch.basic_get(work.name, auto_ack=False)
            if method is None:
                if deliveries > limit:
                    break  # dead-lettered
                time.sleep(0.05)
                continue
            deliveries += 1
            ch.basic_reject(method.delivery_tag, requeue=True)
        # RabbitMQ 3.10 quorum queues: x-delivery-limit counts redeliveries, so the message is delivered limit + 1
        # times before it is dead-lettered (observed; the planner sets x-delivery-limit = max_attempts - 1).
        assert deliveries == limit + 1
        method = None
        deadline = time.monotonic() + 10
        while method is None and time.monotonic() < deadline:
            method, props, body = ch.basic_get(dlq.name, auto_ack=True)
            time.sleep(0.05)
        assert method is not None, f"nothing in {dlq.name}"
        assert body == b'{"poison": true}' and props.message_id == "poison-1"
        assert props.headers["x-first-death-reason"] == "delivery_limit"
        assert props.headers["x-first-death-queue"] == work.name
        death = props.headers["x-death"][0]
        assert death["reason"] == "delivery_limit" and death["queue"] == work.name
        assert ch.queue_declare(work.name, passive=True).method.message_count == 0
    finally:
        conn.close()


def test_retry_tier_ttl_dead_letters_back_to_the_work_queue(imported):
    import pika

    plan = imported("work_queue", requirements={"ordering": "none"})
    work = next(c for c in plan.channels if c.kind == "queue" and c.role == "jobs")
    tier = next(c for c in plan.channels if c.kind == "queue" and c.role == "retry" and c.name.endswith(".retry.1"))
    delay_ms = tier.settings["arguments"]["x-message-ttl"]
    conn = connect()
    try:
        ch = conn.channel()
        ch.confirm_delivery()
        started = time.monotonic()
        ch.basic_publish(tier.settings["bind_to"], tier.settings["routing_key"], b"retry-me", mandatory=True,
                         properties=pika.BasicProperties(delivery_mode=2))
        method = None
        while method is None and time.monotonic() - started < delay_ms / 1000 + 10:
            method, props, body = ch.basic_get(work.name, auto_ack=True)
            if method is None:
                time.sleep(0.05)
        elapsed = time.monotonic() - started
        assert method is not None and body == b"retry-me"
        assert elapsed >= delay_ms / 1000 * 0.9  # waited for the tier's TTL
        assert props.headers["x-first-death-reason"] == "expired"
        assert props.headers["x-first-death-queue"] == tier.name
    finally:
        conn.close()


def test_stream_queue_replays_from_first_offset(imported):
    import pika

    plan = imported("event_sourcing")
    exchange = next(c for c in plan.channels if c.kind == "exchange")
    streams = [c for c in plan.channels if c.kind == "queue" and c.role != "dead_letter"]
    conn = connect()
    try:
        ch = conn.channel()
        ch.confirm_delivery()
        for i in range(3):
            ch.basic_publish(exchange.name, "order.created", f"e{i}".encode(), mandatory=True,
                             properties=pika.BasicProperties(delivery_mode=2))
        for stream in streams:  # every projection's stream holds every event and replays it from the start
            ch.basic_qos(prefetch_count=10)
            got: list[bytes] = []

            def on_message(channel, method, _props, body, got=got):
                got.append(body)
                channel.basic_ack(method.delivery_tag)

            tag = ch.basic_consume(stream.name, on_message, arguments={"x-stream-offset": "first"})
            deadline = time.monotonic() + 10
            while len(got) < 3 and time.monotonic() < deadline:
                conn.process_data_events(time_limit=0.2)
            ch.basic_cancel(tag)
            assert got == [b"e0", b"e1", b"e2"]
    finally:
        conn.close()


def test_per_key_ordering_uses_a_single_active_consumer():
    plan = make_plan("work_queue")  # ordering: partition on a broker without partitions
    work = next(c for c in plan.channels if c.kind == "queue" and c.role == "jobs")
    assert work.settings["arguments"]["x-single-active-consumer"] is True
    assert [(g.strategy, g.instances) for g in plan.consumer_groups] == [("single_active", 1)]
    assert any("one active consumer" in w.message for w in plan.warnings)

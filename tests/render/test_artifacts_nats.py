"""NATS JetStream artifacts: stream and consumer configs rendered from the plan, then proved on the real server.

The server on this machine is nats-server 2.9.10, which silently drops fields it does not know, so every oracle test
reads ``stream_info`` / ``consumer_info`` back and compares it with the rendered file.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from test_artifacts_common import ArtifactContract

from brokers.nats import (
    NS,
    URL,
    apply,
    consumer_files,
    fresh_plan,  # noqa: F401  (pytest fixtures)
    make_plan,
    seconds,
    stream_files,
)
from event_driven.render.nats import consumers as consumers_of

USE_CASES = ["pub_sub", "work_queue", "event_sourcing", "cqrs", "saga"]


# --- unit tests (no broker) -----------------------------------------------------------------------------------------

CASES = [*((u, {}) for u in USE_CASES), ("event_sourcing", {"compaction": True})]


@pytest.mark.parametrize(("use_case", "options"), CASES)
def test_every_use_case_renders_json_matching_the_plan(use_case, options):
    plan = make_plan(use_case, **options)
    streams = stream_files(plan)
    planned = {c.name: c for c in plan.channels if c.kind == "stream"}
    assert set(streams) == {f"nats/streams/{n}.json" for n in planned}
    for name, ch in planned.items():
        cfg = streams[f"nats/streams/{name}.json"]
        assert cfg["name"] == name and cfg["subjects"] == ch.settings["subjects"]
        assert (cfg["retention"], cfg["storage"], cfg["num_replicas"]) == (
            ch.settings["retention"], ch.settings["storage"], ch.settings["num_replicas"])
        assert cfg["max_age"] == ch.settings["max_age_ns"]
        assert cfg.get("duplicate_window") == ch.settings.get("duplicate_window_ns")
        assert set(cfg) <= {"name", "subjects", "retention", "storage", "num_replicas", "max_age", "duplicate_window",
                            "discard"}
    consumers = consumer_files(plan)
    planned_consumers = {c["durable_name"]: c for c in consumers_of(plan)}
    assert set(consumers) == {f"nats/consumers/{c['stream']}/{c['durable_name']}.json" for c in planned_consumers.values()}
    for c in planned_consumers.values():
        cfg = consumers[f"nats/consumers/{c['stream']}/{c['durable_name']}.json"]
        assert cfg["durable_name"] == c["durable_name"] and cfg["filter_subject"] == c["filter_subject"]
        assert (cfg["ack_wait"], cfg["max_deliver"], cfg.get("backoff", [])) == (c["ack_wait_ns"], c["max_deliver"],
                                                                                 c["backoff_ns"])
        subjects = planned[c["stream"]].settings["subjects"]
        assert cfg["filter_subject"] in subjects or any(
            s.endswith(".*") and cfg["filter_subject"].rsplit(".", 1)[0] == s[:-2] for s in subjects)


def test_request_reply_renders_with_short_names():
    plan = make_plan("pub_sub", domain="rr", producers=["web"], consumers=["api"], request_reply=True)
    assert "nats/streams/RR_REPLIES_WEB_V1.json" in stream_files(plan)
    assert "nats/consumers/RR_REQUESTS_V1/api-requests.json" in consumer_files(plan)


def test_durations_are_nanoseconds():
    plan = make_plan("pub_sub")
    cfg = stream_files(plan)["nats/streams/ORDERS_EVENTS_V1.json"]
    assert cfg["max_age"] == 7 * 24 * 3600 * NS and cfg["duplicate_window"] == 120 * NS
    consumer = consumer_files(plan)["nats/consumers/ORDERS_EVENTS_V1/billing-service.json"]
    assert consumer["ack_wait"] == 30 * NS  # the default processing budget
    assert "backoff" not in consumer  # retries are timed by nak(delay), see tests/e2e/test_behaviour_nats.py


class TestContract(ArtifactContract):
    broker, folder = "nats_jetstream", "nats/"
    options = {"domain": "orders", "replication_factor": 1, "max_attempts": 3}
    variants = ({"compaction": True},)


# --- oracle: the real server ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("use_case", ["pub_sub", "work_queue", "event_sourcing", "cqrs"])
def test_streams_and_consumers_read_back_as_rendered(fresh_plan, use_case):
    plan = fresh_plan(use_case)

    async def scenario() -> None:
        import nats

        nc = await nats.connect(URL, connect_timeout=5)
        try:
            js = nc.jetstream()
            await apply(js, plan)
            for cfg in stream_files(plan).values():
                got = (await js.stream_info(cfg["name"])).config
                assert got.name == cfg["name"] and got.subjects == cfg["subjects"]
                assert (str(got.retention), str(got.storage), got.num_replicas) == (
                    cfg["retention"], cfg["storage"], cfg["num_replicas"])
                assert (got.max_age or 0) == pytest.approx(seconds(cfg["max_age"]))
                if "duplicate_window" in cfg:
                    assert got.duplicate_window == pytest.approx(seconds(cfg["duplicate_window"]))
                if "discard" in cfg:
                    assert str(got.discard) == cfg["discard"]
            for path, cfg in consumer_files(plan).items():
                got = (await js.consumer_info(path.split("/")[2], cfg["durable_name"])).config
                assert got.durable_name == cfg["durable_name"] and got.filter_subject == cfg["filter_subject"]
                assert (str(got.ack_policy), str(got.deliver_policy)) == (cfg["ack_policy"], cfg["deliver_policy"])
                assert (got.max_deliver, got.max_ack_pending) == (cfg["max_deliver"], cfg["max_ack_pending"])
                assert not got.backoff and "backoff" not in cfg  # retries are timed by nak(delay)
                assert got.ack_wait == pytest.approx(seconds(cfg["ack_wait"]))
        finally:
            await nc.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_duplicate_message_id_is_dropped(fresh_plan):
    plan = fresh_plan("pub_sub")
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "events")

    async def scenario() -> None:
        import nats

        nc = await nats.connect(URL, connect_timeout=5)
        try:
            js = nc.jetstream()
            await apply(js, plan)
            subject = stream.settings["subjects"][0]
            first = await js.publish(subject, b'{"id": 1}', headers={"Nats-Msg-Id": "evt-1"})
            second = await js.publish(subject, b'{"id": 1}', headers={"Nats-Msg-Id": "evt-1"})
            third = await js.publish(subject, b'{"id": 2}', headers={"Nats-Msg-Id": "evt-2"})
            assert not first.duplicate and second.duplicate and second.seq == first.seq
            assert third.seq == first.seq + 1 and not third.duplicate
            assert (await js.stream_info(stream.name)).state.messages == 2
        finally:
            await nc.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_exhausted_and_terminated_messages_are_captured_by_the_dead_letter_stream(fresh_plan):
    plan = fresh_plan("work_queue")
    stream = next(c for c in plan.channels if c.kind == "stream" and c.role == "jobs")
    dead = next(c for c in plan.channels if c.kind == "stream" and c.role == "dead_letter")
    consumer = consumers_of(plan)[0]

    async def scenario() -> None:
        import nats
        from nats.errors import TimeoutError as NatsTimeout

        nc = await nats.connect(URL, connect_timeout=5)
        try:
            js = nc.jetstream()
            await apply(js, plan)
            subject = stream.settings["subjects"][0]
            poison = await js.publish(subject, b"poison", headers={"Nats-Msg-Id": "poison-1"})
            sub = await js.pull_subscribe_bind(consumer["durable_name"], stream=stream.name)
            deliveries = []
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            while loop.time() < deadline and len(deliveries) <= consumer["max_deliver"]:
                try:
                    msgs = await sub.fetch(1, timeout=1)
                except NatsTimeout:
                    if len(deliveries) == consumer["max_deliver"]:
                        break  # the server stopped redelivering
                    continue
                for m in msgs:
                    deliveries.append(m.metadata.num_delivered)
                    await m.nak()
            assert deliveries == list(range(1, consumer["max_deliver"] + 1))
            # The MAX_DELIVERIES advisory (2.9.10 supports it) lands in the dead-letter stream and names the original.
            info = None
            while loop.time() < deadline:
                info = await js.stream_info(dead.name)
                if info.state.messages >= 1:
                    break
                await asyncio.sleep(0.1)
            assert info is not None and info.state.messages == 1
            advisory = await js.get_msg(dead.name, info.state.first_seq)
            assert advisory.subject == (f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream.name}."
                                        f"{consumer['durable_name']}")
            body = json.loads(advisory.data)
            assert body["type"] == "io.nats.jetstream.advisory.v1.max_deliver"
            assert (body["stream"], body["consumer"], body["stream_seq"], body["deliveries"]) == (
                stream.name, consumer["durable_name"], poison.seq, consumer["max_deliver"])
            original = await js.get_msg(stream.name, body["stream_seq"])  # the advisory is enough to fetch it
            assert original.data == b"poison"
            # A non-retryable error: term() raises MSG_TERMINATED, captured too.
            bad = await js.publish(subject, b"bad", headers={"Nats-Msg-Id": "bad-1"})
            msgs = await sub.fetch(1, timeout=5)
            await msgs[0].term()
            while loop.time() < deadline and (await js.stream_info(dead.name)).state.messages < 2:
                await asyncio.sleep(0.1)
            terminated = await js.get_msg(dead.name, info.state.first_seq + 1)
            assert terminated.subject.startswith("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.")
            assert json.loads(terminated.data)["stream_seq"] == bad.seq
        finally:
            await nc.close()

    asyncio.run(asyncio.wait_for(scenario(), 45))


def test_saga_plan_applies_cleanly(fresh_plan):
    plan = fresh_plan("saga")

    async def scenario() -> None:
        import nats

        nc = await nats.connect(URL, connect_timeout=5)
        try:
            await apply(nc.jetstream(), plan)
        finally:
            await nc.close()

    asyncio.run(asyncio.wait_for(scenario(), 30))

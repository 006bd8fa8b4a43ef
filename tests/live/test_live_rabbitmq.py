"""inspect_broker on the local RabbitMQ (management API on 15672): real incidents, read-only, secrets kept out.

Each test makes its incident with pika under unique names, inspects it, checks that diagnose_issue ranks the true
cause first on the live evidence, checks that the inspection consumed nothing, and deletes what it made.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pika
import pytest

from conftest import reachable, require
from event_driven.live.inspect import inspect_target
from event_driven.live.reading import BrokerReadError
from live_support import diagnosis_rank, inspect_until, rule_ids, target, unique, wait_until, work_queue_plan

MGMT = "http://127.0.0.1:15672"
ADMIN = ("guest", "guest")


@pytest.fixture(autouse=True)
def _management() -> None:
    require(reachable("127.0.0.1", 5672), "RabbitMQ on 127.0.0.1:5672")
    require(reachable("127.0.0.1", 15672), "the RabbitMQ management plugin on 15672 "
            "(rabbitmq-plugins enable rabbitmq_management; .ci/run does it)")


@pytest.fixture
def channel() -> Iterator[Any]:
    conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", credentials=pika.PlainCredentials(*ADMIN)))
    ch = conn.channel()
    try:
        yield ch
    finally:
        conn.close()


@pytest.fixture
def queues(channel: Any) -> Iterator[list[str]]:
    """Queue names the test declares; each is deleted afterwards (only those)."""
    made: list[str] = []
    yield made
    for name in made:
        channel.queue_delete(name)


@pytest.fixture
def rabbit(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LIVE_RABBIT_USER", ADMIN[0])
    monkeypatch.setenv("LIVE_RABBIT_PASS", ADMIN[1])
    return target("rabbitmq", MGMT, username_env="LIVE_RABBIT_USER", password_env="LIVE_RABBIT_PASS",
                  sampling={"window_s": 1.0, "samples": 3})


def counts(channel: Any, name: str) -> tuple[int, int]:
    """(messages, consumers) by a passive declare: reads without delivering."""
    ok = channel.queue_declare(name, passive=True).method
    return ok.message_count, ok.consumer_count


def stats(name: str) -> dict[str, Any]:
    body = httpx.get(f"{MGMT}/api/queues/%2F/{name}", auth=ADMIN, timeout=5).json()
    return {k: (body.get("message_stats") or {}).get(k, 0) for k in ("publish", "deliver_get", "redeliver", "ack")}


def test_backlog_without_consumers(channel: Any, queues: list[str], rabbit: Any) -> None:
    name = f"{unique()}.jobs"
    channel.queue_declare(name, durable=True)
    queues.append(name)
    for i in range(7):
        channel.basic_publish("", name, f"job {i}".encode())
    result = inspect_until(rabbit, name, lambda r: bool(r.snapshot.queues)
                           and r.snapshot.queues[0].messages_ready == 7)
    assert result.samples == 3 and result.window_s >= 0.9
    first = result.findings[0]
    assert first.rule_id == "backlog_without_consumers"
    assert first.failure_mode_id == "consumers_disconnected_backlog"
    assert {(q.figure, q.value) for q in first.evidence} >= {("depth", 7), ("consumers", 0)}
    assert diagnosis_rank(result, "consumers_disconnected_backlog") == 1
    assert counts(channel, name) == (7, 0), "the inspection must not consume"


def _poison_until_dropped(channel: Any, name: str) -> int:
    """A consumer that rejects the poison message with requeue until the queue drops it: deliveries seen."""
    deliveries = 0
    for method, _props, _body in channel.consume(name, inactivity_timeout=3):
        if method is None:
            break
        deliveries += 1
        channel.basic_nack(method.delivery_tag, requeue=True)
    channel.cancel()
    return deliveries


def test_poison_message_at_delivery_limit_without_dead_letter(channel: Any, queues: list[str], rabbit: Any) -> None:
    name = f"{unique()}.orders"
    channel.queue_declare(name, durable=True, arguments={"x-queue-type": "quorum", "x-delivery-limit": 2})
    queues.append(name)
    channel.basic_publish("", name, b'{"poison": true}')
    deliveries = _poison_until_dropped(channel, name)
    assert deliveries == 3  # x-delivery-limit counts redeliveries: 2 allows 3 deliveries, then the message is gone
    assert counts(channel, name) == (0, 0)
    result = inspect_until(rabbit, name, lambda r: bool(r.snapshot.queues)
                           and r.snapshot.queues[0].redelivered >= 2 and r.snapshot.queues[0].published == 1)
    before = stats(name)
    first = result.findings[0]
    assert (first.rule_id, first.severity) == ("delivery_limit_without_dead_letter", "critical")
    assert first.failure_mode_id == "rabbitmq_quorum_delivery_limit_drop"
    quoted = {q.figure: q.value for q in first.evidence}
    assert quoted["x-delivery-limit"] == 2 and quoted["x-dead-letter-exchange"] == "(none)"
    assert quoted["redeliver"] >= 2 and "1 published message(s) neither acked nor queued" in first.title
    assert diagnosis_rank(result, "rabbitmq_quorum_delivery_limit_drop") == 1
    inspect_target(rabbit, pattern=name)
    assert stats(name) == before and counts(channel, name) == (0, 0), "the inspection must not deliver anything"


def test_drift_queue_lost_its_dead_letter_exchange(channel: Any, queues: list[str], rabbit: Any) -> None:
    domain = f"d{uuid.uuid4().hex[:10]}"
    plan = work_queue_plan("rabbitmq", domain)
    planned = [c for c in plan.channels if c.kind == "queue"]
    main = next(c for c in planned if c.role == "jobs")
    skipped = next(c for c in planned if c.role == "retry")
    for ch in planned:
        if ch is skipped:
            continue
        args = dict(ch.settings.get("arguments") or {})
        if ch is main:  # the incident: the queue was re-created without its dead-letter settings
            args = {k: v for k, v in args.items() if not k.startswith("x-dead-letter")}
        channel.queue_declare(ch.name, durable=True, arguments=args)
        queues.append(ch.name)
    extra = f"{domain}.jobs.v1.manual-copy"
    channel.queue_declare(extra, durable=True)
    queues.append(extra)
    result = inspect_until(rabbit, f"{domain}*", lambda r: len(r.snapshot.queues) == len(planned), plan=plan)
    assert result.drift is not None
    items = {(i.kind, i.channel, i.setting) for i in result.drift.items}
    assert ("setting_mismatch", main.name, "x-dead-letter-exchange") in items
    assert ("plan_only", skipped.name, None) in items
    assert ("broker_only", extra, None) in items
    lost = next(i for i in result.drift.items if i.setting == "x-dead-letter-exchange")
    assert lost.severity == "high" and lost.live is None and lost.planned == f"{domain}.dlx"
    assert lost.failure_mode_id == "rabbitmq_quorum_delivery_limit_drop"
    # The live settings alone also say it: a quorum queue with a delivery limit and no dead-letter exchange.
    assert "delivery_limit_without_dead_letter" in rule_ids(result)
    assert not [i for i in result.drift.items if i.channel not in (main.name, skipped.name, extra)]


@pytest.fixture
def monitoring_user() -> Iterator[tuple[str, str]]:
    """A user made for this test with the monitoring tag and a random password; deleted afterwards."""
    user, password = unique("live-user"), f"pw-{uuid.uuid4().hex}"
    httpx.put(f"{MGMT}/api/users/{user}", auth=ADMIN, json={"password": password, "tags": "monitoring"},
              timeout=5).raise_for_status()
    httpx.put(f"{MGMT}/api/permissions/%2F/{user}", auth=ADMIN, json={"configure": "", "write": "", "read": ".*"},
              timeout=5).raise_for_status()
    try:
        yield user, password
    finally:
        httpx.delete(f"{MGMT}/api/users/{user}", auth=ADMIN, timeout=5)


def test_secrets_never_in_results_errors_or_logs(channel: Any, queues: list[str], monitoring_user: tuple[str, str],
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    user, password = monitoring_user
    name = f"{unique()}.jobs"
    channel.queue_declare(name, durable=True)
    queues.append(name)
    monkeypatch.setenv("LIVE_MON_USER", user)
    monkeypatch.setenv("LIVE_MON_PASS", password)
    caplog.set_level(logging.DEBUG)
    good = target("rabbitmq", MGMT, username_env="LIVE_MON_USER", password_env="LIVE_MON_PASS",
                  sampling={"samples": 1})
    result = wait_until(lambda: inspect_target(good, pattern=name), lambda r: bool(r.snapshot.queues))
    assert password not in result.model_dump_json() and password not in repr(good)
    # Credentials in the URL itself: redacted in the result, in the error and in the target's repr.
    in_url = target("rabbitmq", f"http://{user}:{password}@127.0.0.1:15672", sampling={"samples": 1})
    assert inspect_target(in_url, pattern=name).url == "http://***@127.0.0.1:15672"
    assert password not in repr(in_url)
    monkeypatch.setenv("LIVE_MON_PASS", password + "-wrong")
    with pytest.raises(BrokerReadError) as refused:
        inspect_target(good, pattern=name)
    assert refused.value.problem == "unauthorised" and refused.value.call == "GET /api/overview"
    assert "username_env" in str(refused.value) and refused.value.target == good.name
    wrong_in_url = target("rabbitmq", f"http://{user}:{password}x@127.0.0.1:15672")
    with pytest.raises(BrokerReadError) as refused_url:
        inspect_target(wrong_in_url)
    for text in (str(refused.value), str(refused_url.value), caplog.text):
        assert password not in text
    assert "GET /api/overview" in caplog.text  # the log names the call, not the secret


def test_refused_port_fails_fast_with_what_to_check(rabbit: Any) -> None:
    from conftest import free_port

    dead = target("rabbitmq", f"http://127.0.0.1:{free_port()}", timeout_s=2, deadline_s=4)
    with pytest.raises(BrokerReadError) as err:
        inspect_target(dead)
    assert err.value.problem == "refused" and "url (host and port)" in err.value.check


def test_large_broker_is_summarised_and_filtered(channel: Any, queues: list[str], rabbit: Any) -> None:
    prefix = unique()
    for i in range(12):
        channel.queue_declare(f"{prefix}.q{i:02d}", durable=True)
        queues.append(f"{prefix}.q{i:02d}")
    limited = rabbit.model_copy(update={"limit": 5, "sampling": rabbit.sampling.model_copy(update={"samples": 1})})
    result = wait_until(lambda: inspect_target(limited, pattern=f"{prefix}.*"),
                        lambda r: r.summary.channels_matched == 12)
    assert result.summary.channels_shown == 5 and result.summary.truncated
    assert [q.name for q in result.snapshot.queues] == [f"{prefix}.q{i:02d}" for i in range(5)]
    assert result.summary.channels_total >= 12


def test_consumer_without_prefetch_limit(channel: Any, queues: list[str], rabbit: Any) -> None:
    name = f"{unique()}.jobs"
    channel.queue_declare(name, durable=True)
    queues.append(name)
    for i in range(4):
        channel.basic_publish("", name, f"job {i}".encode())
    # A consumer with manual acks and no basic.qos: the broker pushes everything to it (prefetch 0 = unlimited).
    channel.basic_consume(name, on_message_callback=lambda *_: None, auto_ack=False)
    channel.connection.process_data_events(time_limit=1)
    result = inspect_until(rabbit, name, lambda r: bool(r.snapshot.queues)
                           and r.snapshot.queues[0].messages_unacked == 4)
    finding = next(f for f in result.findings if f.rule_id == "unlimited_prefetch")
    assert finding.failure_mode_id == "rabbitmq_prefetch_unlimited"
    assert {(q.figure, q.value) for q in finding.evidence} >= {("prefetch_count", 0), ("messages_unacknowledged", 4)}

"""RabbitMQ: plans with a unique domain, their rendered definitions imported into the real broker (rabbitmqctl),
deleted afterwards."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conftest import reachable, require
from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge

HOST, PORT = "127.0.0.1", 5672


def context(use_case: str, producers: list[str] | None = None, **requirements: Any) -> dict[str, Any]:
    req: dict[str, Any] = {"throughput": "100 msg/s", "delivery": "at_least_once", "ordering": "partition",
                           "retention": "7 days"}
    if use_case == "event_sourcing":
        req.pop("retention")
        req["replay"] = "full"
    req.update(requirements)
    return {"use_case": use_case, "requirements": req, "producers": producers or ["order-service"],
            "consumers": ["billing-service", "mailer-service"]}


def make_plan(use_case: str, domain: str = "orders", broker: str = "rabbitmq",
              requirements: dict[str, Any] | None = None, **options: Any):
    return plan_topology(context(use_case, **(requirements or {})), knowledge(), broker=broker,
                         options={"domain": domain, "replication_factor": 1, "max_attempts": 3, **options})


def definitions(plan) -> dict[str, Any]:
    artifact = next(a for a in plan.artifacts if a.path == "rabbitmq/definitions.json")
    return json.loads(artifact.content)


def broker_reachable() -> bool:
    return reachable(HOST, PORT) and shutil.which("rabbitmqctl") is not None and os.geteuid() == 0


def ctl(*args: str, stdin: str | None = None) -> str:
    result = subprocess.run(["rabbitmqctl", *args], input=stdin, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"rabbitmqctl {args[0]} failed ({result.returncode}): {result.stderr}{result.stdout}"
    return result.stdout


def listing(what: str, *columns: str) -> list[dict[str, Any]]:
    return json.loads(ctl(what, "-q", *columns, "--formatter", "json") or "[]")


def args_dict(raw: Any) -> dict[str, Any]:
    """list_queues prints arguments as [[key, type, value], ...] on 3.10 (a map on newer versions)."""
    if isinstance(raw, dict):
        return raw
    return {item[0]: item[-1] for item in raw}


@pytest.fixture
def imported() -> Iterator[Any]:
    """Import a fresh plan's definitions (unique domain) and delete everything it created afterwards."""
    require(broker_reachable(), f"RabbitMQ not reachable on {HOST}:{PORT} (or rabbitmqctl/root missing)")
    import pika

    created: list[Any] = []

    def _import(use_case: str, **options: Any):
        plan = make_plan(use_case, domain=f"t{uuid.uuid4().hex[:8]}", **options)
        created.append(plan)
        content = next(a for a in plan.artifacts if a.path == "rabbitmq/definitions.json").content
        ctl("import_definitions", "--format", "json", stdin=content)  # rc 0 proves nothing: read it back below
        expected = {c.name for c in plan.channels if c.kind == "queue"}
        deadline = time.monotonic() + 20  # the import is asynchronous
        while not expected <= {q["name"] for q in listing("list_queues", "name")} and time.monotonic() < deadline:
            time.sleep(0.2)
        return plan

    yield _import
    conn = pika.BlockingConnection(
        pika.ConnectionParameters(HOST, PORT, credentials=pika.PlainCredentials("guest", "guest")))
    try:
        for plan in created:
            for ch in plan.channels:
                channel = conn.channel()
                try:
                    if ch.kind == "queue":
                        channel.queue_delete(ch.name)
                    else:
                        channel.exchange_delete(ch.name)
                    channel.close()
                except pika.exceptions.ChannelClosedByBroker:
                    pass
    finally:
        conn.close()


def connect():
    import pika

    return pika.BlockingConnection(
        pika.ConnectionParameters(HOST, PORT, credentials=pika.PlainCredentials("guest", "guest")))

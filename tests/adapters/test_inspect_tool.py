"""inspect_broker through the real MCP client and the CLI: offered only when the operator names targets, a real
incident on the local RabbitMQ found and diagnosed (diagnose_issue with target), nothing consumed, no secret shown."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pika
import pytest
from mcp import Client

from conftest import CLI_CMD, reachable, require, server_env
from event_driven.adapters.mcp_server import build_server
from event_driven.app.targets import set_targets, use_targets
from live_support import unique, wait_until

pytestmark = pytest.mark.anyio
SECRET = "guest"  # the local broker's password: it must never appear in an answer
TARGETS = """targets:
  - {name: local-rabbit, broker: rabbitmq, url: "http://127.0.0.1:15672", username_env: T_RABBIT_USER,
     password_env: T_RABBIT_PASS, sampling: {window_s: 1, samples: 2}}
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def targets_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    require(reachable("127.0.0.1", 15672), "the RabbitMQ management plugin on 15672 (.ci/run enables it)")
    monkeypatch.setenv("T_RABBIT_USER", "guest")
    monkeypatch.setenv("T_RABBIT_PASS", SECRET)
    path = tmp_path / "targets.yaml"
    path.write_text(TARGETS)
    use_targets(str(path))
    yield path
    set_targets(None)


@pytest.fixture
def backlog() -> Iterator[str]:
    """A queue with 5 messages and no consumer, under a unique name; deleted afterwards."""
    conn = pika.BlockingConnection(
        pika.ConnectionParameters("127.0.0.1", credentials=pika.PlainCredentials("guest", "guest"))
    )
    ch = conn.channel()
    name = f"{unique('tool')}.jobs"
    ch.queue_declare(name, durable=True)
    for i in range(5):
        ch.basic_publish("", name, f"job {i}".encode())
    try:
        yield name
        assert ch.queue_declare(name, passive=True).method.message_count == 5, "the inspection consumed nothing"
    finally:
        ch.queue_delete(name)
        conn.close()


async def test_not_offered_without_targets() -> None:
    set_targets(None)
    async with Client(build_server()) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "inspect_broker" not in names
        r = await client.call_tool("diagnose_issue", {"symptoms": "lag", "target": "local-rabbit"})
        assert r.is_error and "--targets FILE" in r.content[0].text


async def test_finds_and_diagnoses_a_backlog_without_consumers(targets_file: Path, backlog: str) -> None:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["inspect_broker"].annotations.read_only_hint is True
        assert tools["inspect_broker"].annotations.open_world_hint is True

        async def inspect() -> Any:
            return await client.call_tool("inspect_broker", {"target": "local-rabbit", "pattern": backlog})

        def found(result: Any) -> bool:
            return not result.is_error and any(f["rule_id"] == "backlog_without_consumers"
                                               for f in result.structured_content["findings"])

        r = await inspect()
        for _ in range(40):  # the management API refreshes its figures every few seconds
            if found(r):
                break
            r = await inspect()
        assert found(r), r.content[0].text
        text = r.content[0].text
        assert "problem(s) on `local-rabbit`**" in text.splitlines()[0] and backlog in text
        assert "consumers_disconnected_backlog" in text and SECRET not in text.replace("`guest`", "")
        diagnosed = await client.call_tool(
            "diagnose_issue", {"target": "local-rabbit", "symptoms": "jobs are not being processed"}
        )
        assert diagnosed.structured_content["hypotheses"][0]["failure_mode_id"] == "consumers_disconnected_backlog"
        unknown = await client.call_tool("inspect_broker", {"target": "http://127.0.0.1:15672"})
        assert unknown.is_error and "$.target (unknown_target)" in unknown.content[0].text


def test_cli_inspect(targets_file: Path, backlog: str) -> None:
    env = server_env(T_RABBIT_USER="guest", T_RABBIT_PASS=SECRET)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*CLI_CMD, "inspect", "local-rabbit", "--targets", str(targets_file), "--pattern", backlog],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    found = wait_until(run, lambda r: r.returncode == 1)
    assert "consumers_disconnected_backlog" in found.stdout
    bare = {k: v for k, v in server_env().items() if not k.startswith("T_RABBIT_")}
    refused = subprocess.run(
        [*CLI_CMD, "inspect", "local-rabbit", "--targets", str(targets_file)],
        capture_output=True,
        text=True,
        timeout=120,
        env=bare,
    )
    assert refused.returncode == 2 and "T_RABBIT_USER" in refused.stderr

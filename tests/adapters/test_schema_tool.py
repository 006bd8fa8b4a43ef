"""check_schema_change end to end: the MCP tool with a real client, and the CLI's exit codes for CI pipelines."""

from __future__ import annotations

import json
import subprocess

import pytest
from mcp import Client

from conftest import CLI_CMD
from event_driven.adapters.mcp_server import build_server

pytestmark = pytest.mark.anyio
V1 = {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}
V2_NO_DEFAULT = {"type": "record", "name": "Order",
                 "fields": [{"name": "id", "type": "string"}, {"name": "total", "type": "double"}]}
V2 = {"type": "record", "name": "Order",
      "fields": [{"name": "id", "type": "string"}, {"name": "total", "type": "double", "default": 0}]}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_tool_names_the_break_and_the_fix() -> None:
    async with Client(build_server()) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["check_schema_change"].annotations.read_only_hint is True
        r = await client.call_tool("check_schema_change", {"old_schema": V1, "new_schema": V2_NO_DEFAULT})
        assert not r.is_error
        text = r.content[0].text
        assert text.startswith("**Incompatible**") and "`Order.total`" in text and "default" in text
        assert r.structured_content["rollout"]["upgrade_first"] == "consumers"
        ok = await client.call_tool("check_schema_change", {"old_schema": V1, "new_schema": V2})
        assert ok.structured_content["compatible"] is True and ok.content[0].text.startswith("**Compatible**")


async def test_a_plan_lends_its_mode_and_bad_input_names_the_field() -> None:
    plan = {"message_schema": {"compatibility": "FORWARD"}}
    async with Client(build_server()) as client:
        r = await client.call_tool("check_schema_change", {"old_schema": V1, "new_schema": V2_NO_DEFAULT,
                                                           "plan": plan})
        assert r.structured_content["mode"] == "FORWARD" and r.structured_content["compatible"] is True
        bad = await client.call_tool("check_schema_change", {"old_schema": V1, "new_schema": V2, "mode": "UP"})
        assert bad.is_error and "$.mode (not_allowed)" in bad.content[0].text and "FULL_TRANSITIVE" in bad.content[0].text
        proto = await client.call_tool("check_schema_change", {"old_schema": 'syntax = "proto3"; message A { int32 x = 1; }',
                                                               "new_schema": 'syntax = "proto3"; message A { int32 x = 1 }'})
        assert proto.is_error and "line 1, column" in proto.content[0].text


def test_cli_exit_codes(tmp_path) -> None:
    for name, schema in (("v1.avsc", V1), ("v2.avsc", V2), ("v2bad.avsc", V2_NO_DEFAULT)):
        (tmp_path / name).write_text(json.dumps(schema))
    (tmp_path / "broken.avsc").write_text("{not json")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI_CMD, "schema-check", *args], capture_output=True, text=True, timeout=60)

    assert run(str(tmp_path / "v1.avsc"), str(tmp_path / "v2.avsc")).returncode == 0
    failed = run(str(tmp_path / "v1.avsc"), str(tmp_path / "v2bad.avsc"))
    assert failed.returncode == 1 and "Order.total" in failed.stdout
    assert run(str(tmp_path / "v1.avsc"), str(tmp_path / "v2bad.avsc"), "--mode", "FORWARD").returncode == 0
    broken = run(str(tmp_path / "v1.avsc"), str(tmp_path / "broken.avsc"))
    assert broken.returncode == 2 and "line 1, column" in broken.stderr
    history = tmp_path / "history"
    history.mkdir()
    (history / "0001.avsc").write_text(json.dumps(V1))
    transitive = run(str(tmp_path / "v2.avsc"), str(tmp_path / "v2.avsc"), "--history", str(history),
                     "--mode", "FULL_TRANSITIVE", "--json")
    assert transitive.returncode == 0 and json.loads(transitive.stdout)["versions_checked"] == [1, 2]

"""skills/event-driven/SKILL.md has valid Agent Skill frontmatter and names only tools the server serves."""

from __future__ import annotations

import re

import pytest
import yaml
from mcp import Client

from conftest import ROOT
from event_driven.adapters.mcp_server import build_server

SKILL = ROOT / "skills" / "event-driven" / "SKILL.md"


def frontmatter_and_body() -> tuple[dict, str]:
    text = SKILL.read_text()
    match = re.match(r"^---\n(.*?)\n---\n(.*)$", text, re.S)
    assert match, "SKILL.md must start with YAML frontmatter between --- lines"
    return yaml.safe_load(match.group(1)), match.group(2)


def test_frontmatter_follows_the_agent_skills_spec():
    meta, body = frontmatter_and_body()
    assert meta["name"] == "event-driven"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta["name"]) and len(meta["name"]) <= 64
    assert not {"anthropic", "claude"} & set(meta["name"].split("-"))
    assert 1 <= len(meta["description"]) <= 1024 and "<" not in meta["description"]
    assert "Use when" in meta["description"]
    assert set(meta) <= {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
    assert len(body.splitlines()) < 500


@pytest.mark.anyio
async def test_every_tool_named_is_served():
    meta, body = frontmatter_and_body()
    allowed = {t.removeprefix("mcp__event-driven__") for t in meta["allowed-tools"].split()}
    mentioned = set(re.findall(r"`([a-z]+_[a-z_]+)`", body)) & {
        "validate_context", "select_broker", "plan_topology", "diagnose_issue", "generate_tests", "check_schema_change"}
    async with Client(build_server()) as client:
        served = {t.name for t in (await client.list_tools()).tools}
    # inspect_broker is served only when the operator configured targets (tests/adapters/test_inspect_tool.py covers it).
    assert allowed and allowed - {"inspect_broker"} <= served
    assert mentioned <= served, f"SKILL.md names tools the server does not serve: {mentioned - served}"


def test_skill_install_writes_a_valid_skill(tmp_path):
    import subprocess

    from conftest import CLI_CMD, VENV_BIN

    r = subprocess.run([*CLI_CMD, "skill", "install", "--dest", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    installed = tmp_path / "event-driven" / "SKILL.md"
    assert installed.read_text() == SKILL.read_text()
    checked = subprocess.run([str(VENV_BIN / "agentskills"), "validate", str(installed.parent)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    again = subprocess.run([*CLI_CMD, "skill", "install", "--dest", str(tmp_path)], capture_output=True, text=True)
    assert again.returncode == 2 and "--force" in again.stderr

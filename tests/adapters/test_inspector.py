"""The MCP Inspector CLI (npm @modelcontextprotocol/inspector, pinned in tests/node/package.json) as a third-party client."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import INSPECTOR, SERVER_CMD, inspector_available, require

pytestmark = pytest.mark.inspector


def inspector(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    require(inspector_available(), f"MCP Inspector CLI not installed at {INSPECTOR} (run `make tools`, needs npm)")
    env = {**os.environ, "HOME": str(tmp_path), "MCP_INSPECTOR_SECRET_STORE": "memory"}
    # Inspector options first, then `--`, then the server command: otherwise it eats the server's flags.
    return subprocess.run(
        [str(INSPECTOR), "--cli", *args, "--format", "json", "--", *SERVER_CMD],
        capture_output=True, text=True, timeout=120, env=env,
    )


def test_tools_list_strict(tmp_path):
    r = inspector(tmp_path, "--method", "tools/list", "--strict")
    assert r.returncode == 0, r.stderr
    assert "Warning" not in r.stderr, r.stderr  # every schema portable: one type per branch
    tools = {t["name"]: t for t in json.loads(r.stdout)["result"]["tools"]}
    assert tools["validate_context"]["annotations"]["readOnlyHint"] is True
    assert tools["validate_context"]["outputSchema"]["title"] == "ValidationResult"


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_tools_call_validate_context(tmp_path, era):
    context = {"use_case": "work_queue", "requirements": {"throughput": "100K msg/s", "ordering": "global"},
               "producers": ["api"], "consumers": ["worker"]}
    extra = ["--protocol-era", "modern"] if era == "modern" else []
    r = inspector(tmp_path, *extra, "--method", "tools/call", "--tool-name", "validate_context",
                  "--tool-args-json", json.dumps({"event_context": context}))
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)["result"]["structuredContent"]
    assert body["valid"] is True
    assert [w["rule_id"] for w in body["warnings"]][:2] == ["global_ordering_throughput", "work_queue_global_ordering"]


def test_resources_read_checklist(tmp_path):
    r = inspector(tmp_path, "--method", "resources/read", "--uri", "event-driven://knowledge/debug_checklist")
    assert r.returncode == 0, r.stderr
    text = json.loads(r.stdout)["result"]["contents"][0]["text"]
    assert "Schema registry in use?" in text

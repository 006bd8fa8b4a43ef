"""The built wheel works on its own: fresh venv, outside the checkout, knowledge and templates included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    dist = work / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = dist.glob("event_driven_mcp-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                   check=True, capture_output=True, timeout=600)
    return wheel, venv, work


def test_wheel_carries_knowledge_and_templates(installed_wheel):
    wheel, _, _ = installed_wheel
    names = zipfile.ZipFile(wheel).namelist()
    assert "event_driven/knowledge/rules.yaml" in names
    assert "event_driven/knowledge/debug_checklist.yaml" in names
    assert any(n.startswith("event_driven/templates/") for n in names)
    assert "event_driven/skills/event-driven/SKILL.md" in names


async def test_installed_server_answers_over_stdio(installed_wheel):
    from mcp import Client, StdioServerParameters

    _, venv, work = installed_wheel
    # Run from a directory outside the checkout so nothing can come from the source tree.
    params = StdioServerParameters(command=str(venv / "bin" / "event-driven-mcp"), args=[], cwd=str(work),
                                   env={"PATH": os.environ["PATH"]})
    async with Client(params, mode="legacy") as client:
        assert client.server_info.version == "0.1.0"
        result = await client.call_tool("validate_context", {"event_context": {"use_case": "saga",
            "requirements": {"delivery": "at_most_once"}, "producers": ["orders"], "consumers": ["payments"]}})
        assert result.structured_content["valid"] is True
        assert result.structured_content["warnings"][0]["rule_id"] == "saga_at_most_once"
        # Templates ship in the wheel: a plan renders its artifacts and a scaffold its files.
        context = {"use_case": "pub_sub", "requirements": {"throughput": "1K msg/s"}, "producers": ["orders"],
                   "consumers": ["billing"]}
        plan = await client.call_tool("plan_topology", {"event_context": context, "broker": "rabbitmq",
                                                        "detail": "full"})
        paths = {a["path"] for a in plan.structured_content["artifacts"]}
        assert {"rabbitmq/definitions.json", "asyncapi.yaml", "prometheus/alerts.yaml"} <= paths
        link = next(b for b in plan.content if b.type == "resource_link" and b.name == "rabbitmq/definitions.json")
        assert json.loads((await client.read_resource(link.uri)).contents[0].text)["queues"]
        skill = await client.read_resource("skill://event-driven/SKILL.md")
        assert "name: event-driven" in skill.contents[0].text
        scaffold = await client.call_tool("generate_tests", {"plan": plan.structured_content, "detail": "full"})
        assert any(f["path"] == "requirements.txt" for f in scaffold.structured_content["files"])


def test_installed_cli(installed_wheel):
    _, venv, work = installed_wheel
    r = subprocess.run([str(venv / "bin" / "event-driven"), "validate", "-", "--format", "json"], cwd=work,
                       input='{"use_case": "cqrs", "requirements": {}, "producers": ["a"], "consumers": ["b"]}',
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["valid"] is True

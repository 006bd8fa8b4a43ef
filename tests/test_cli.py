"""`event-driven validate FILE|-`: exit 0 valid, 1 invalid, 2 usage error."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import CLI_CMD, server_env

VALID_YAML = """\
event_context:
  use_case: pub_sub
  requirements: {throughput: 10K msg/s, latency: 100ms, ordering: partition, delivery: at_least_once, retention: 7 days}
  producers: [order-service]
  consumers: [notification-service, analytics-service]
"""


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI_CMD, *args], input=stdin, capture_output=True, text=True, timeout=60, env=server_env())


def test_valid_yaml_file_exits_0(tmp_path):
    path = tmp_path / "ctx.yaml"
    path.write_text(VALID_YAML)
    r = run("validate", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("Valid event context")
    assert "throughput=10000 msg/s" in r.stdout


def test_invalid_json_from_stdin_exits_1_with_field_errors():
    r = run("validate", "-", "--format", "json", stdin=json.dumps({"use_case": "pubsub", "requirements": {}}))
    assert r.returncode == 1
    body = json.loads(r.stdout)
    assert body["valid"] is False
    assert {e["path"] for e in body["errors"]} >= {"$.use_case", "$.producers", "$.consumers"}


def test_warnings_are_printed_with_recommendations():
    r = run("validate", "-", stdin="requirements: {throughput: 100K msg/s, ordering: global}\n")
    assert r.returncode == 1
    assert "high    global_ordering_throughput" in r.stdout and "->" in r.stdout


@pytest.mark.parametrize("args", [("validate", "/no/such/file.yaml"), ("frobnicate",), ("validate",)])
def test_usage_errors_exit_2(args):
    r = run(*args)
    assert r.returncode == 2
    assert r.stderr.strip()

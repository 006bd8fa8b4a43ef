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
    assert r.stdout.startswith("**Valid** event context")
    assert "10,000 msg/s" in r.stdout


def test_invalid_json_from_stdin_exits_1_with_field_errors():
    r = run("validate", "-", "--format", "json", stdin=json.dumps({"use_case": "pubsub", "requirements": {}}))
    assert r.returncode == 1
    body = json.loads(r.stdout)
    assert body["valid"] is False
    assert {e["path"] for e in body["errors"]} >= {"$.use_case", "$.producers", "$.consumers"}


def test_warnings_are_printed_with_recommendations():
    r = run("validate", "-", stdin="requirements: {throughput: 100K msg/s, ordering: global}\n")
    assert r.returncode == 1
    assert "**high** `global_ordering_throughput`" in r.stdout and "Action:" in r.stdout


@pytest.mark.parametrize("args", [("validate", "/no/such/file.yaml"), ("frobnicate",), ("validate",)])
def test_usage_errors_exit_2(args):
    r = run(*args)
    assert r.returncode == 2
    assert r.stderr.strip()


PLAN_REQUEST = """\
event_context:
  use_case: work_queue
  requirements: {throughput: 2K msg/s, ordering: partition, delivery: at_least_once, retention: 2 days}
  producers: [order-service]
  consumers: [fulfilment]
broker: rabbitmq
options: {domain: orders}
"""


def test_select_prints_the_ranking(tmp_path):
    path = tmp_path / "ctx.yaml"
    path.write_text(PLAN_REQUEST.replace("broker: rabbitmq\noptions: {domain: orders}\n", ""))
    r = run("select", str(path), "--cloud", "aws", "--detail", "full")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("**Winner: ")
    assert "| google_pubsub | 0 | disqualified: constraints: aws required" in r.stdout


def test_plan_writes_artifacts_and_refuses_to_overwrite(tmp_path):
    req = tmp_path / "req.yaml"
    req.write_text(PLAN_REQUEST)
    out = tmp_path / "out"
    r = run("plan", str(req), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert (out / "plan.json").is_file() and (out / "diagram.mmd").read_text().startswith("flowchart LR")
    before = {p: p.read_text() for p in out.rglob("*") if p.is_file()}
    (out / "plan.json").write_text("edited by hand")
    r = run("plan", str(req), "--out", str(out))
    assert r.returncode == 2 and "refusing to overwrite" in r.stderr and "nothing was written" in r.stderr
    assert (out / "plan.json").read_text() == "edited by hand"
    r = run("plan", str(req), "--out", str(out), "--force")
    assert r.returncode == 0
    assert {p: p.read_text() for p in out.rglob("*") if p.is_file()} == before


def test_plan_invalid_input_exits_1_naming_fields(tmp_path):
    req = tmp_path / "req.yaml"
    req.write_text(PLAN_REQUEST.replace("broker: rabbitmq", "broker: rabbit"))
    r = run("plan", str(req))
    assert r.returncode == 1 and "$.broker" in r.stderr


def test_artifact_paths_cannot_escape_the_output_dir(tmp_path):
    from event_driven.adapters.cli import _targets

    with pytest.raises(ValueError, match="escape"):
        _targets(tmp_path, ["../outside.txt"])
    with pytest.raises(ValueError, match="escape"):
        _targets(tmp_path, ["/etc/passwd"])
    assert _targets(tmp_path, ["a/b.json"]) == [(tmp_path / "a" / "b.json").resolve()]


def test_tests_command_writes_a_scaffold_and_refuses_to_overwrite(tmp_path):
    req = tmp_path / "req.yaml"
    req.write_text(PLAN_REQUEST)
    out = tmp_path / "scaffold"
    r = run("tests", str(req), "--out", str(out), "--no-integration")
    assert r.returncode == 0, r.stderr
    assert (out / "requirements.txt").is_file() and list((out / "tests").glob("test_*.py"))
    assert not (out / "tests" / "integration").exists()
    r = run("tests", str(req), "--out", str(out), "--no-integration")
    assert r.returncode == 2 and "nothing was written" in r.stderr
    r = run("tests", str(req), "--out", str(tmp_path / "x"), "--suite", "nonsense")
    assert r.returncode == 1 and "$.options.suites[0]" in r.stderr


def test_diagnose_command(tmp_path):
    cfg = tmp_path / "consumer.properties"
    cfg.write_text("bootstrap.servers=kafka:9092\ngroup.id=billing\nenable.auto.commit=true\nmax.poll.interval.ms=300000\n")
    errors = tmp_path / "errors.log"
    errors.write_text("org.apache.kafka.clients.consumer.CommitFailedException: Commit cannot be completed since the "
                      "group has already rebalanced and assigned the partitions to another member.\n")
    r = run("diagnose", "--symptom", "consumers keep rebalancing and messages are processed twice",
            "--errors", str(errors), "--config", str(cfg), "--format", "json")
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["broker"]["broker"] == "kafka" and body["broker"]["how"] == "inferred"
    assert {h["failure_mode_id"] for h in body["hypotheses"][:3]} & {
        "kafka_max_poll_interval_exceeded", "kafka_commit_failed_duplicates"}
    assert len(body["checklist"]) == 7
    text = run("diagnose", "--errors", str(errors), "--top", "2")
    assert text.returncode == 0 and text.stdout.startswith("**Most likely: ") and "## Debug checklist" in text.stdout
    assert run("diagnose").returncode == 2


def test_plan_bad_request_files_are_usage_errors_not_tracebacks(tmp_path):
    cases = {
        "broken.yaml": "event_context: {use_case: [unclosed\n",
        "options.yaml": PLAN_REQUEST.replace("options: {domain: orders}", "options: abc"),
        "zero.yaml": PLAN_REQUEST.replace("2K msg/s", "0 msg/s"),
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        r = run("plan", str(path))
        assert r.returncode in (1, 2), (name, r.stderr)
        assert "Traceback" not in r.stderr and r.stderr.strip(), name
    assert "$.requirements.throughput" in run("plan", str(tmp_path / "zero.yaml")).stderr


def test_plan_out_checks_every_path_before_writing(tmp_path):
    req = tmp_path / "req.yaml"
    req.write_text(PLAN_REQUEST)
    out = tmp_path / "out"
    out.mkdir()
    (out / "prometheus").write_text("a file where a folder must go")
    r = run("plan", str(req), "--out", str(out), "--force")
    assert r.returncode == 2 and "nothing was written" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["prometheus"]
    (out / "prometheus").unlink()
    assert run("plan", str(req), "--out", str(out)).returncode == 0
    assert all(oct(p.stat().st_mode & 0o777) in ("0o644", "0o755") for p in out.rglob("*") if p.is_file())

"""Kafka artifacts, proved by third parties.

* ``kafka/*.properties``: librdkafka itself (confluent-kafka) builds a Producer/Consumer from every rendered file, for
  every delivery guarantee, with no error and no ``CONFWARN`` log line (a wrong-role or ignored key). The same check
  rejects deliberately broken configs, so it is known to bite.
* ``kafka/create-topics.sh``: ``bash -n``, then a real bash run with a stub ``kafka-topics.sh`` on PATH that records
  its argv; the recorded arguments must equal the plan's topics, partitions, replication factors and configs, and a
  hostile value must arrive as one literal argument (proves the quoting).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_artifacts_common import ArtifactContract

from conftest import require
from event_driven.app.plan import PlanInputError, plan_topology
from event_driven.core.topology.models import TopologyPlan
from event_driven.kb.loader import knowledge
from event_driven.render import environment
from event_driven.render import kafka as kafka_render

try:
    import confluent_kafka
except ImportError:  # pragma: no cover - the test extra installs it
    confluent_kafka = None  # type: ignore[assignment]

DELIVERIES = ("at_most_once", "at_least_once", "exactly_once")
USE_CASES = ("pub_sub", "work_queue", "event_sourcing", "cqrs", "saga")
BASH = shutil.which("bash")


def context(use_case: str = "pub_sub", delivery: str = "at_least_once", ordering: str = "partition",
            producers: list[str] | None = None, consumers: list[str] | None = None) -> dict[str, Any]:
    return {
        "use_case": use_case,
        "requirements": {"throughput": "5K msg/s", "ordering": ordering, "delivery": delivery, "retention": "7 days"},
        "producers": producers or ["order-service"],
        "consumers": consumers or ["notification-service", "analytics-service"],
    }


def plan(use_case: str = "pub_sub", delivery: str = "at_least_once", options: dict[str, Any] | None = None,
         **kw: Any) -> TopologyPlan:
    return plan_topology(context(use_case, delivery, **kw), knowledge(), broker="kafka", options=options)


def artifact(p: TopologyPlan, path: str) -> str:
    found = [a for a in p.artifacts if a.path == path]
    assert found, f"{path} not rendered; have {[a.path for a in p.artifacts]}"
    return found[0].content


def parse_properties(text: str) -> dict[str, str]:
    conf = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a key=value line: {line!r}"
        assert key not in conf, f"duplicate key {key}"
        conf[key.strip()] = value.strip()
    return conf


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def librdkafka_check(kind: str, conf: dict[str, str]) -> list[str]:
    """Build the client from ``conf`` (pointed at a closed port) and return the CONFWARN/CONFERR log lines.

    Construction raises KafkaException / ValueError for an invalid value or combination; ignored keys only show up
    as CONFWARN log lines, delivered through the ``logger`` on poll()."""
    capture = Capture()
    log = logging.getLogger(f"rdkafka.test.{id(capture)}")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(capture)
    conf = {**conf, "bootstrap.servers": "127.0.0.1:1", "logger": log}
    if kind == "producer":
        client = confluent_kafka.Producer(conf)
        client.poll(0.1)
        client.flush(0)
    else:
        client = confluent_kafka.Consumer(conf)
        client.poll(0.1)
        client.close()
    log.removeHandler(capture)
    return [line for line in capture.lines if "CONFWARN" in line or "CONFERR" in line]


def client_files(p: TopologyPlan) -> list[tuple[str, str, dict[str, str]]]:
    out = []
    for a in p.artifacts:
        if a.path.endswith(".properties"):
            kind = "producer" if a.path == "kafka/producer.properties" else "consumer"
            out.append((a.path, kind, parse_properties(a.content)))
    return out


# --- client configs: librdkafka is the oracle -----------------------------------------------------------------------


@pytest.mark.parametrize("use_case", ["pub_sub", "cqrs", "saga"])
@pytest.mark.parametrize("delivery", DELIVERIES)
def test_client_configs_are_accepted_by_librdkafka_without_warnings(delivery: str, use_case: str) -> None:
    require(confluent_kafka is not None, "confluent-kafka is not installed (pip install -e '.[test]')")
    p = plan(use_case, delivery)
    files = client_files(p)
    groups = {g.name for g in p.consumer_groups}
    assert {path for path, _, _ in files} == {"kafka/producer.properties", *(f"kafka/consumer-{g}.properties" for g in groups)}
    for path, kind, conf in files:
        assert conf["bootstrap.servers"] == "localhost:9092", path
        assert "# Placeholder" in artifact(p, path)
        expected = p.client_settings.producer if kind == "producer" else p.client_settings.consumer
        for key, value in expected.items():
            want = ("true" if value else "false") if isinstance(value, bool) else str(value)
            assert conf[key] == want, f"{path}: {key}={conf[key]!r}, plan says {value!r}"
        if kind == "consumer":
            assert conf["group.id"] == path.removeprefix("kafka/consumer-").removesuffix(".properties")
        assert librdkafka_check(kind, conf) == [], f"{path} triggers librdkafka warnings"
    producer = next(c for _, k, c in files if k == "producer")
    if delivery == "exactly_once":
        assert producer["enable.idempotence"] == "true" and "transactional.id" in producer
        assert all(c["isolation.level"] == "read_committed" for _, k, c in files if k == "consumer")
    if delivery == "at_most_once":
        assert producer["acks"] == "1" and producer["enable.idempotence"] == "false"
    else:
        assert producer["acks"] == "all"
        assert all(c["enable.auto.commit"] == "false" for _, k, c in files if k == "consumer")


def test_the_librdkafka_check_rejects_broken_configs() -> None:
    """Negative controls: the same check fails on a contradictory value, an unknown key and a wrong-role key."""
    require(confluent_kafka is not None, "confluent-kafka is not installed (pip install -e '.[test]')")
    p = plan("pub_sub", "at_least_once")
    producer = parse_properties(artifact(p, "kafka/producer.properties"))
    consumer = parse_properties(artifact(p, f"kafka/consumer-{p.consumer_groups[0].name}.properties"))
    assert producer["enable.idempotence"] == "true"
    with pytest.raises(confluent_kafka.KafkaException, match="acks"):
        librdkafka_check("producer", {**producer, "acks": "1"})
    with pytest.raises(confluent_kafka.KafkaException, match="No such configuration property"):
        librdkafka_check("producer", {**producer, "enable.idempotense": "true"})
    with pytest.raises(confluent_kafka.KafkaException, match="max.in.flight"):
        librdkafka_check("producer", {**producer, "max.in.flight.requests.per.connection": "6"})
    with pytest.raises(ValueError, match="group.id"):
        librdkafka_check("consumer", {k: v for k, v in consumer.items() if k != "group.id"})
    warned = librdkafka_check("consumer", {**consumer, "acks": "all"})
    assert warned and "producer property" in warned[0]
    warned = librdkafka_check("producer", {**producer, "group.id": "x"})
    assert warned and "consumer property" in warned[0]


def test_boolean_and_numeric_values_are_rendered_the_librdkafka_way() -> None:
    p = plan("pub_sub", "at_least_once")
    text = artifact(p, "kafka/consumer-notification-service.properties")
    assert "enable.auto.commit=false" in text and "False" not in text and "True" not in text
    assert kafka_render.config_value(True) == "true" and kafka_render.config_value(45000) == "45000"
    with pytest.raises(ValueError):
        kafka_render.config_value("a\nbootstrap.servers=evil:9092")


# --- create-topics.sh: bash is the oracle ---------------------------------------------------------------------------


def expected_argv(p: TopologyPlan, bootstrap: str = "localhost:9092", command_config: str | None = None) -> list[list[str]]:
    """What kafka-topics.sh must receive, computed from the plan without the renderer."""
    def text(v: Any) -> str:
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    calls = []
    for c in p.channels:
        if c.kind != "topic":
            continue
        argv = ["--bootstrap-server", bootstrap]
        if command_config:
            argv += ["--command-config", command_config]
        argv += ["--create", "--if-not-exists", "--topic", c.name, "--partitions", str(c.partitions),
                 "--replication-factor", str(c.replication_factor)]
        for k, v in c.settings.items():
            argv += ["--config", f"{k}={text(v)}"]
        calls.append(argv)
    return calls


def run_with_stub(script: str, tmp_path: Path, env: dict[str, str] | None = None) -> list[list[str]]:
    """Run ``script`` with bash and a stub kafka-topics.sh first on PATH; return each recorded argv."""
    require(BASH is not None, "bash is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stub = bin_dir / "kafka-topics.sh"
    stub.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                    "with open(os.environ['ARGV_LOG'], 'a') as f:\n    f.write(json.dumps(sys.argv[1:]) + '\\n')\n")
    stub.chmod(0o755)
    path = tmp_path / "create-topics.sh"
    path.write_text(script)
    log = tmp_path / "argv.jsonl"
    log.unlink(missing_ok=True)
    run_env = {k: v for k, v in os.environ.items() if k not in ("BOOTSTRAP", "COMMAND_CONFIG")}
    run_env.update({"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "ARGV_LOG": str(log), **(env or {})})
    done = subprocess.run([BASH, str(path)], cwd=tmp_path, env=run_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.mark.parametrize("use_case", USE_CASES)
def test_create_topics_script_passes_bash_n(use_case: str, tmp_path: Path) -> None:
    require(BASH is not None, "bash is not installed")
    script = artifact(plan(use_case), "kafka/create-topics.sh")
    assert script.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in script
    path = tmp_path / "create-topics.sh"
    path.write_text(script)
    done = subprocess.run([BASH, "-n", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("use_case", USE_CASES)
def test_create_topics_script_passes_exactly_the_planned_arguments(use_case: str, tmp_path: Path) -> None:
    p = plan(use_case, "exactly_once")
    script = artifact(p, "kafka/create-topics.sh")
    assert run_with_stub(script, tmp_path) == expected_argv(p)
    # Overrides from the environment arrive as single arguments too, even with spaces.
    odd = str(tmp_path / "my admin.properties")
    got = run_with_stub(script, tmp_path, {"BOOTSTRAP": "b1:9092,b2:9092", "COMMAND_CONFIG": odd})
    assert got == expected_argv(p, "b1:9092,b2:9092", odd)


def test_hostile_values_reach_kafka_topics_as_one_literal_argument(tmp_path: Path) -> None:
    """Names are validated before they get here; the shell quoting is a second wall. Prove it with values the
    planner would never produce, rendered straight through the template."""
    p = plan("work_queue")
    # Payloads are harmless on purpose (they only create marker files), so a quoting bug cannot do damage.
    evil = f"x $(touch {tmp_path}/pwned) `touch {tmp_path}/pwned2`; touch {tmp_path}/pwned4; echo 'q' \"d\" \\"
    first = p.channels[0].model_copy(update={"name": "jobs; touch pwned3", "settings": {"retention.ms": evil}})
    hostile = p.model_copy(update={"channels": [first]})
    script = next(a for a in kafka_render.render(hostile, environment(), "orders") if a.path == "kafka/create-topics.sh")
    got = run_with_stub(script.content, tmp_path)
    assert got == [["--bootstrap-server", "localhost:9092", "--create", "--if-not-exists", "--topic",
                    "jobs; touch pwned3", "--partitions", str(first.partitions), "--replication-factor",
                    str(first.replication_factor), "--config", f"retention.ms={evil}"]]
    assert not list(tmp_path.glob("pwned*"))


# --- every use case renders; the plan's intent is in the artifacts --------------------------------------------------


class TestContract(ArtifactContract):
    broker, folder = "kafka", "kafka/"
    variants = ({"request_reply": True}, {"compaction": True}, {"dead_letter": False}, {"saga_style": "choreography"})


@pytest.mark.parametrize("options", [None, {"request_reply": True}, {"compaction": True}, {"dead_letter": False},
                                     {"saga_style": "choreography"}])
@pytest.mark.parametrize("use_case", USE_CASES)
def test_every_use_case_renders(use_case: str, options: dict[str, Any] | None) -> None:
    p = plan(use_case, options=options)
    paths = {a.path for a in p.artifacts}
    assert {"kafka/create-topics.sh", "kafka/producer.properties"} <= paths
    assert {f"kafka/consumer-{g.name}.properties" for g in p.consumer_groups} <= paths
    script = artifact(p, "kafka/create-topics.sh")
    for c in p.channels:
        assert f"--topic {c.name} " in script
    if options == {"request_reply": True}:
        assert any(c.role == "requests" for c in p.channels) and any(c.role == "replies" for c in p.channels)
    if options == {"dead_letter": False}:
        assert ".dlq" not in script and ".retry." not in script


def test_event_sourcing_keeps_the_log_forever(tmp_path: Path) -> None:
    p = plan("event_sourcing")
    calls = run_with_stub(artifact(p, "kafka/create-topics.sh"), tmp_path)
    events = next(c for c in calls if c[c.index("--topic") + 1] == "order.events.v1")
    assert "retention.ms=-1" in events and "cleanup.policy=delete" in events
    compacted = plan("event_sourcing", options={"compaction": True})
    calls = run_with_stub(artifact(compacted, "kafka/create-topics.sh"), tmp_path)
    snapshots = next(c for c in calls if c[c.index("--topic") + 1] == "order.snapshots.v1")
    assert "cleanup.policy=compact" in snapshots


def test_injection_in_the_domain_option_is_rejected() -> None:
    with pytest.raises(PlanInputError):
        plan_topology(context(), knowledge(), broker="kafka", options={"domain": "orders;rm -rf /"})

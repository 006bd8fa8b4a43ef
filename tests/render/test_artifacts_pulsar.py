"""Apache Pulsar artifacts.

* ``pulsar/setup.sh``: ``bash -n``, then a real bash run with a stub ``pulsar-admin`` on PATH that records its argv;
  the recorded commands must equal the plan's topics (partitioned or not), one topic-level retention per topic (retry-
  and dead-letter topics included), deduplication per topic for exactly-once plans, and subscriptions, with no
  ``namespaces`` command at all (the namespace may be shared); hostile values must arrive as single literal arguments
  (proves the quoting).
* ``pulsar/*.json``: parse; when the Python ``pulsar-client`` is importable (it is not a project dependency, so this
  part skips cleanly without it), its own enums and ``ConsumerDeadLetterPolicy`` accept every value, and
  ``Client.subscribe`` / ``create_producer`` get past their argument type checks to the network (a closed port), while
  a wrongly typed value is rejected by the same call (negative control).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_artifacts_common import ArtifactContract

from conftest import require
from event_driven.app.plan import plan_topology
from event_driven.core.topology.models import TopologyPlan
from event_driven.kb.loader import knowledge
from event_driven.render import environment
from event_driven.render import pulsar as pulsar_render

USE_CASES = ("pub_sub", "work_queue", "event_sourcing", "cqrs", "saga")
BASH = shutil.which("bash")
ADMIN = "${PULSAR_ADMIN_URL:+--admin-url \"$PULSAR_ADMIN_URL\"}"


def context(use_case: str = "pub_sub", ordering: str = "partition", delivery: str = "at_least_once") -> dict[str, Any]:
    return {
        "use_case": use_case,
        "requirements": {"throughput": "5K msg/s", "ordering": ordering, "delivery": delivery, "retention": "3 days"},
        "producers": ["order-service"],
        "consumers": ["notification-service", "analytics-service"],
    }


def plan(use_case: str = "pub_sub", options: dict[str, Any] | None = None, **kw: Any) -> TopologyPlan:
    return plan_topology(context(use_case, **kw), knowledge(), broker="pulsar", options=options)


def artifact(p: TopologyPlan, path: str) -> str:
    found = [a for a in p.artifacts if a.path == path]
    assert found, f"{path} not rendered; have {[a.path for a in p.artifacts]}"
    return found[0].content


def run_with_stub(script: str, tmp_path: Path, env: dict[str, str] | None = None) -> list[list[str]]:
    require(BASH is not None, "bash is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stub = bin_dir / "pulsar-admin"
    stub.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                    "with open(os.environ['ARGV_LOG'], 'a') as f:\n    f.write(json.dumps(sys.argv[1:]) + '\\n')\n")
    stub.chmod(0o755)
    path = tmp_path / "setup.sh"
    path.write_text(script)
    log = tmp_path / "argv.jsonl"
    log.unlink(missing_ok=True)
    run_env = {k: v for k, v in os.environ.items() if k != "PULSAR_ADMIN_URL"}
    run_env.update({"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}", "ARGV_LOG": str(log), **(env or {})})
    done = subprocess.run([BASH, str(path)], cwd=tmp_path, env=run_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def expected_commands(p: TopologyPlan) -> list[list[str]]:
    """What pulsar-admin must receive, computed from the plan without the renderer."""
    def retention(c: Any) -> str:
        return "-1" if c.keep_forever or c.retention_hours is None else f"{c.retention_hours}h"

    subs = p.client_settings.consumer["subscriptions"]
    topics = [(c.name, c.partitions or 1, retention(c)) for c in p.channels if c.kind == "topic"]
    if p.retry_policy.dead_letter_enabled:
        topics += [(s["retry_letter_topic"], 1, f"{p.retry_policy.dead_letter_retention_days * 24}h") for s in subs.values()]
    rf = p.topology.replication_factor
    copies = ["-e", str(rf), "-w", str(rf), "-a", str(min(rf, 2)), "-r", "1.0"]  # replication rf, ack by 2 bookies
    calls: list[list[str]] = []
    for name, partitions, ret in topics:
        calls.append(["topics", "create-partitioned-topic", name, "-p", str(partitions)] if partitions > 1
                     else ["topics", "create", name])
        calls.append(["topics", "set-retention", name, "--time", ret, "--size", "-1"])
        calls.append(["topics", "set-persistence", name, *copies])
        if p.delivery == "exactly_once":
            calls.append(["topics", "set-deduplication", name, "--enable"])
    topic_of = {c.key: c.name for c in p.channels}
    for g in p.consumer_groups:
        calls.append(["topics", "create-subscription", topic_of[g.channel], "-s", g.name, "-m", "earliest"])
    return calls


# --- setup.sh: bash is the oracle -----------------------------------------------------------------------------------


@pytest.mark.parametrize("use_case", USE_CASES)
def test_setup_script_passes_bash_n(use_case: str, tmp_path: Path) -> None:
    require(BASH is not None, "bash is not installed")
    script = artifact(plan(use_case), "pulsar/setup.sh")
    assert script.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in script
    path = tmp_path / "setup.sh"
    path.write_text(script)
    done = subprocess.run([BASH, "-n", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


CASES = {
    **{u: dict(use_case=u) for u in USE_CASES},
    "global-order": dict(use_case="work_queue", ordering="global"),
    "unordered-exactly-once": dict(use_case="pub_sub", ordering="none", delivery="exactly_once"),
    "request-reply": dict(use_case="cqrs", options={"request_reply": True}),
    "no-dead-letter": dict(use_case="pub_sub", options={"dead_letter": False}),
    "compaction": dict(use_case="event_sourcing", options={"compaction": True}),
    "choreography": dict(use_case="saga", options={"saga_style": "choreography"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_setup_script_passes_exactly_the_planned_commands(name: str, tmp_path: Path) -> None:
    p = plan(**CASES[name])
    script = artifact(p, "pulsar/setup.sh")
    expected = expected_commands(p)
    calls = run_with_stub(script, tmp_path)
    assert calls == expected
    assert not any(c[0] == "namespaces" for c in calls)
    created = [c[2] for c in calls if c[1] in ("create", "create-partitioned-topic")]
    retained = [c[2] for c in calls if c[1] == "set-retention"]
    assert retained == created and len(set(created)) == len(created)
    url = "http://pulsar admin:8080"
    assert run_with_stub(script, tmp_path, {"PULSAR_ADMIN_URL": url}) == [["--admin-url", url, *c] for c in expected]


def test_event_sourcing_keeps_the_log_forever(tmp_path: Path) -> None:
    p = plan("event_sourcing")
    calls = run_with_stub(artifact(p, "pulsar/setup.sh"), tmp_path)
    log = next(c for c in p.channels if c.kind == "topic" and c.keep_forever)
    assert ["topics", "set-retention", log.name, "--time", "-1", "--size", "-1"] in calls
    # Only the log is kept forever, as its own topic policy: nothing touches the (shared) namespace.
    assert not any(c[0] == "namespaces" for c in calls)
    forever = {c[2] for c in calls if c[:2] == ["topics", "set-retention"] and c[4] == "-1"}
    assert forever == {c.name for c in p.channels if c.kind == "topic" and c.keep_forever}
    # Dead letters keep their own, shorter retention as a topic policy.
    assert any(c[:2] == ["topics", "set-retention"] and c[2].endswith("-DLQ") and c[4] == "168h" for c in calls)


def test_partitions_follow_the_plan(tmp_path: Path) -> None:
    partitioned = plan("pub_sub")
    assert partitioned.channels[0].partitions and partitioned.channels[0].partitions > 1
    calls = run_with_stub(artifact(partitioned, "pulsar/setup.sh"), tmp_path)
    assert ["topics", "create-partitioned-topic", partitioned.channels[0].name, "-p",
            str(partitioned.channels[0].partitions)] in calls
    single = plan("work_queue", ordering="global")
    assert single.channels[0].partitions == 1
    calls = run_with_stub(artifact(single, "pulsar/setup.sh"), tmp_path)
    assert ["topics", "create", single.channels[0].name] in calls
    assert not any(c[1] == "create-partitioned-topic" for c in calls)


def test_hostile_values_reach_pulsar_admin_as_one_literal_argument(tmp_path: Path) -> None:
    p = plan("work_queue")
    evil = "persistent://public/default/x $(touch pwned);`touch pwned2` 'q' \"d\""  # the script runs in tmp_path
    first = p.channels[0].model_copy(update={"name": evil, "partitions": 1})
    subs = {"s; touch pwned3": {"topic": evil, "subscription_type": "Shared", "dead_letter_topic": evil + "-DLQ",
                                "retry_letter_topic": evil + "-RETRY", "max_redeliver_count": 3}}
    consumer = {**p.client_settings.consumer, "subscriptions": subs}
    hostile = p.model_copy(update={"channels": [first], "consumer_groups": [],
                                   "client_settings": p.client_settings.model_copy(update={"consumer": consumer})})
    script = next(a for a in pulsar_render.render(hostile, environment(), "orders") if a.path == "pulsar/setup.sh")
    calls = run_with_stub(script.content, tmp_path)
    assert ["topics", "create", evil] in calls
    assert ["topics", "set-retention", evil, "--time", pulsar_render.retention_time(first), "--size", "-1"] in calls
    assert ["topics", "set-retention", evil + "-RETRY", "--time", pulsar_render.retention_time_for_retry(hostile),
            "--size", "-1"] in calls
    assert not any(c[0] == "namespaces" for c in calls)
    assert ["topics", "create-subscription", evil, "-s", "s; touch pwned3", "-m", "earliest"] in calls
    assert not list(tmp_path.glob("pwned*"))


# --- client configs -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CASES))
def test_client_configs_match_the_plan(name: str) -> None:
    p = plan(**CASES[name])
    subs = p.client_settings.consumer["subscriptions"]
    assert {a.path for a in p.artifacts if a.path.startswith("pulsar/consumer-")} == {
        f"pulsar/consumer-{s}.json" for s in subs}
    for sub_name, sub in subs.items():
        doc = json.loads(artifact(p, f"pulsar/consumer-{sub_name}.json"))
        kw = doc["subscribe"]
        assert kw["topic"] == sub["topic"] and kw["subscription_name"] == sub_name
        assert doc["subscription_type"] == sub["subscription_type"]
        assert kw["consumer_type"] == sub["subscription_type"].replace("_", "")
        assert kw["negative_ack_redelivery_delay_ms"] == p.client_settings.consumer["negative_ack_redelivery_delay_ms"]
        if p.retry_policy.dead_letter_enabled:
            assert kw["dead_letter_policy"] == {"max_redeliver_count": sub["max_redeliver_count"],
                                                "dead_letter_topic": sub["dead_letter_topic"]}
            assert doc["retry_letter"]["retry_letter_topic"] == sub["retry_letter_topic"]
            assert any(c.name == sub["dead_letter_topic"] for c in p.channels)
        else:
            assert "dead_letter_policy" not in kw and "retry_letter" not in doc
    producer = json.loads(artifact(p, "pulsar/producer.json"))
    assert producer["create_producer"]["send_timeout_millis"] == p.client_settings.producer["send_timeout_millis"]
    key_shared = any(s["subscription_type"] == "Key_Shared" for s in subs.values())
    assert (producer["create_producer"].get("batching_type") == "KeyBased") is key_shared
    assert ("partition_key_field" in producer) is (p.ordering != "none")


def _pulsar() -> Any:
    try:
        import pulsar
    except ImportError:
        require(False, "pulsar-client is not installed (pip install -e '.[test]' installs it)")
    return pulsar


def _consumer_kwargs(pulsar: Any, kw: dict[str, Any]) -> dict[str, Any]:
    out = dict(kw)
    out["consumer_type"] = pulsar.ConsumerType.__members__[kw["consumer_type"]]
    out["initial_position"] = pulsar.InitialPosition.__members__[kw["initial_position"]]
    if "dead_letter_policy" in kw:
        out["dead_letter_policy"] = pulsar.ConsumerDeadLetterPolicy(**kw["dead_letter_policy"])
    return out


@pytest.mark.parametrize("name", ["pub_sub", "work_queue", "unordered-exactly-once", "global-order"])
def test_pulsar_client_accepts_every_value(name: str) -> None:
    pulsar = _pulsar()
    p = plan(**CASES[name])
    client = pulsar.Client("pulsar://127.0.0.1:1", operation_timeout_seconds=1,
                           logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
    try:
        for sub_name in p.client_settings.consumer["subscriptions"]:
            kw = _consumer_kwargs(pulsar, json.loads(artifact(p, f"pulsar/consumer-{sub_name}.json"))["subscribe"])
            policy = kw.get("dead_letter_policy")
            if policy is not None:
                assert policy.max_redeliver_count == kw["dead_letter_policy"].max_redeliver_count
            # Type checks pass; the call only fails because nothing listens on port 1.
            with pytest.raises(pulsar.PulsarException):
                client.subscribe(**kw)
        producer = json.loads(artifact(p, "pulsar/producer.json"))
        pkw = dict(producer["create_producer"])
        if "batching_type" in pkw:
            pkw["batching_type"] = pulsar.BatchingType.__members__[pkw["batching_type"]]
        with pytest.raises(pulsar.PulsarException):
            client.create_producer(producer["topics"][0], **pkw)
    finally:
        client.close()


def test_pulsar_client_rejects_wrong_values() -> None:
    """Negative controls: the same calls reject a type name the client does not know and a wrongly typed value."""
    pulsar = _pulsar()
    p = plan("pub_sub")
    sub_name = next(iter(p.client_settings.consumer["subscriptions"]))
    raw = json.loads(artifact(p, f"pulsar/consumer-{sub_name}.json"))["subscribe"]
    with pytest.raises(KeyError):
        _consumer_kwargs(pulsar, {**raw, "consumer_type": "Key_Shared"})  # the Java spelling
    client = pulsar.Client("pulsar://127.0.0.1:1", operation_timeout_seconds=1)
    try:
        with pytest.raises(ValueError, match="consumer_type"):
            client.subscribe(**{**_consumer_kwargs(pulsar, raw), "consumer_type": raw["consumer_type"]})
        with pytest.raises(ValueError, match="negative_ack_redelivery_delay_ms"):
            client.subscribe(**{**_consumer_kwargs(pulsar, raw), "negative_ack_redelivery_delay_ms": "1000"})
    finally:
        client.close()


class TestContract(ArtifactContract):
    broker, folder = "pulsar", "pulsar/"
    variants = ({"request_reply": True}, {"compaction": True}, {"dead_letter": False})


@pytest.mark.parametrize("options", [None, {"request_reply": True}, {"compaction": True}, {"dead_letter": False}])
@pytest.mark.parametrize("use_case", USE_CASES)
def test_every_use_case_renders(use_case: str, options: dict[str, Any] | None) -> None:
    p = plan(use_case, options=options)
    paths = {a.path for a in p.artifacts}
    assert {"pulsar/setup.sh", "pulsar/producer.json"} <= paths

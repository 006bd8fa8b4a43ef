"""The artifacts every plan gets, proven by their official validators.

* ``asyncapi.yaml``: the official AsyncAPI 3.0.0 JSON Schema (``@asyncapi/specs``) with jsonschema's Draft7Validator
  plus a local ``$ref`` walker, and ``@asyncapi/parser`` (Spectral ruleset) from ``tests/node/asyncapi-parse.mjs``.
* ``prometheus/alerts.yaml`` + ``alerts_test.yaml``: ``promtool check rules`` and ``promtool test rules``.
* ``schemas/envelope.schema.json``: its metaschema (``check_schema``), a sample envelope, malformed ones.
* ``schemas/envelope.avsc``: fastavro, and avro's ReaderWriterCompatibilityChecker for the evolution rule.

Each oracle also gets a negative control, so a validator that accepts everything cannot make these tests pass.
"""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import subprocess
import uuid
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator, Draft202012Validator, validators
from jsonschema.exceptions import SchemaError

from conftest import ROOT, require
from event_driven.app.plan import PlanInputError, plan_topology
from event_driven.core.topology.models import PLANNABLE_BROKERS, TopologyPlan
from event_driven.kb.loader import knowledge
from event_driven.render.common import draft07
from event_driven.vocab import USE_CASES

NODE_DIR = ROOT / "tests" / "node"
ASYNCAPI_SCHEMA = NODE_DIR / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0.json"
ASYNCAPI_PARSER = NODE_DIR / "node_modules" / "@asyncapi" / "parser" / "package.json"
PARSE_SCRIPT = NODE_DIR / "asyncapi-parse.mjs"
PROMTOOL = shutil.which("promtool")
COMMON_PATHS = ("asyncapi.yaml", "prometheus/alerts.yaml", "prometheus/alerts_test.yaml",
                "schemas/envelope.schema.json", "schemas/envelope.avsc", "schemas/cloudevents-mapping.json")

# Every broker x every use case with default options, plus option variants that change the channel layout.
CASES: list[tuple[str, str, dict[str, Any]]] = [(b, u, {}) for b in PLANNABLE_BROKERS for u in USE_CASES] + [
    ("kafka", "saga", {"request_reply": True}),
    ("rabbitmq", "saga", {"request_reply": True}),
    ("sqs", "saga", {"request_reply": True}),
    ("pulsar", "saga", {"request_reply": True, "saga_style": "choreography"}),
    ("redis_streams", "saga", {"request_reply": True}),
    ("kafka", "event_sourcing", {"compaction": True, "schema_format": "avro"}),
    ("rabbitmq.classic", "work_queue", {}),
    ("rabbitmq.stream", "pub_sub", {}),
    ("sqs.standard", "pub_sub", {}),
    ("kafka", "pub_sub", {"dead_letter": False}),
]
IDS = [f"{b}-{u}" + ("-" + "-".join(f"{k}={v}" for k, v in o.items()) if o else "") for b, u, o in CASES]


def case_id(case: tuple[str, str, dict[str, Any]]) -> str:
    return IDS[CASES.index(case)]


def event_context(use_case: str, producers: list[str] | None = None,
                  consumers: list[str] | None = None) -> dict[str, Any]:
    return {
        "use_case": use_case,
        "requirements": {"throughput": "5K msg/s", "ordering": "partition", "delivery": "at_least_once",
                         "retention": "7 days"},
        "producers": producers or ["order-service"],
        "consumers": consumers or ["billing-service", "shipping-service"],
    }


@lru_cache(maxsize=None)
def _plan(broker: str, use_case: str, options: str) -> TopologyPlan:
    return plan_topology(event_context(use_case), knowledge(), broker=broker, options=json.loads(options) or None)


def plan_for(case: tuple[str, str, dict[str, Any]]) -> TopologyPlan:
    broker, use_case, options = case
    return _plan(broker, use_case, json.dumps(options, sort_keys=True))


def artifact(plan: TopologyPlan, path: str) -> str:
    found = [a for a in plan.artifacts if a.path == path]
    assert len(found) == 1, f"{path}: {len(found)} artifacts"
    return found[0].content


# --- the contract every broker's own files keep -----------------------------------------------------------------------

# Service names that must never reach a template: shell, redis-cli and properties injection, JSON breaking, NATS
# wildcards, whitespace.
HOSTILE_NAMES = ("svc;rm -rf /", "$(reboot)", "a b", 'a"b', "svc\nXFLUSHALL", "svc\r\nFLUSHALL",
                 "order-service\nbootstrap.servers=evil", 'x}, {"name": "evil', "a.>", "x*")


class ArtifactContract:
    """The contract of a broker's own files. Each ``test_artifacts_<broker>.py`` instantiates it as
    ``class TestContract(ArtifactContract)`` with the broker, the folder its files render to and the plan options
    its tests use, and adds what only that broker has: the third-party oracle that checks each file (librdkafka,
    bash, cfn-lint, the Pulsar client, the real server) and the negative controls that prove the oracle bites.

    What every broker keeps: every use case renders files under the folder, each non-empty, newline-terminated,
    described and naming its checker (JSON parses); every planned channel is named in them; rendering twice gives
    the same files; a hostile service name is rejected by the planner before any template runs."""

    broker: str
    folder: str
    options: dict[str, Any] = {}
    variants: tuple[dict[str, Any], ...] = ()  # option sets that change the channel layout, each also rendered

    def plan(self, use_case: str, variant: dict[str, Any] | None = None) -> TopologyPlan:
        return plan_for((self.broker, use_case, {**self.options, **(variant or {})}))

    def own(self, plan: TopologyPlan) -> list[Any]:
        return [a for a in plan.artifacts if a.path.startswith(self.folder)]

    @pytest.mark.parametrize("use_case", USE_CASES)
    def test_every_use_case_renders_described_checked_files_naming_every_channel(self, use_case: str) -> None:
        for variant in ({}, *self.variants):
            plan = self.plan(use_case, variant)
            own = self.own(plan)
            assert own, f"{variant}: no {self.folder} file; have {[a.path for a in plan.artifacts]}"
            for a in own:
                assert a.content.strip() and a.content.endswith("\n"), (variant, a.path)
                assert a.checked_by.strip() and a.description.strip(), (variant, a.path)
                if a.path.endswith(".json"):
                    json.loads(a.content)
            text = "\n".join(f"{a.path}\n{a.content}" for a in own)
            assert [c.name for c in plan.channels if c.name not in text] == [], variant

    @pytest.mark.parametrize("use_case", USE_CASES)
    def test_rendering_is_deterministic(self, use_case: str) -> None:
        first, second = (plan_topology(event_context(use_case), knowledge(), broker=self.broker,
                                       options=self.options or None) for _ in range(2))
        assert [a.model_dump() for a in first.artifacts] == [a.model_dump() for a in second.artifacts]

    @pytest.mark.parametrize("name", HOSTILE_NAMES)
    def test_hostile_service_names_are_rejected_before_any_template(self, name: str,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
        import event_driven.render as render

        def no_render(*_: Any, **__: Any) -> None:
            raise AssertionError("a template was rendered for an invalid request")

        monkeypatch.setattr(render, "render_plan_artifacts", no_render)
        for ctx in (event_context("pub_sub", producers=[name]), event_context("pub_sub", consumers=["billing", name])):
            with pytest.raises(PlanInputError):
                plan_topology(ctx, knowledge(), broker=self.broker, options=self.options or None)


# --- oracles ----------------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def asyncapi_validator() -> Draft7Validator:
    return Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text()))  # every $id is bundled: no network


def dangling_refs(doc: Any) -> list[tuple[str, str]]:
    """Local ``$ref``s that point nowhere (the JSON Schema cannot see them)."""

    def resolves(pointer: str) -> bool:
        node = doc
        for part in pointer[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    found: list[tuple[str, str]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/") and not resolves(ref):
                found.append((path, ref))
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")

    walk(doc, "")
    return found


def schema_errors(doc: Any) -> list[str]:
    """Every error, including those nested in oneOf/anyOf branches, as 'path: message'."""

    def flat(errors):
        for e in errors:
            yield f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            yield from flat(e.context or [])

    return list(flat(asyncapi_validator().iter_errors(doc)))


def require_schema() -> None:
    require(ASYNCAPI_SCHEMA.exists(), f"{ASYNCAPI_SCHEMA} missing: run `make tools` (npm @asyncapi/specs)")


def require_parser() -> None:
    require(shutil.which("node") is not None and ASYNCAPI_PARSER.exists(),
            "node or npm @asyncapi/parser missing: run `make tools`")


def run_parser(files: list[Path]) -> dict[str, dict[str, Any]]:
    """Run the official parser over files in two node processes; result per file path."""
    chunks = [files[i::2] for i in range(2) if files[i::2]]
    procs = [subprocess.Popen(["node", str(PARSE_SCRIPT), *map(str, chunk)], cwd=NODE_DIR,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for chunk in chunks]
    results: dict[str, dict[str, Any]] = {}
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        lines = [line for line in out.splitlines() if line.startswith("{")]
        assert lines, f"parser printed nothing (rc {proc.returncode}): {err}"
        for line in lines:
            result = json.loads(line)
            results[result["file"]] = result
    return results


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def require_promtool() -> None:
    require(PROMTOOL is not None, "promtool not installed (Debian package `prometheus`)")


# --- every plan gets the common artifacts -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_common_artifacts_present_and_honest(case):
    plan = plan_for(case)
    paths = [a.path for a in plan.artifacts]
    for path in COMMON_PATHS:
        assert paths.count(path) == 1, path
    for a in plan.artifacts:
        if a.path in COMMON_PATHS:
            assert a.content.strip() and a.checked_by.strip() and a.description.strip()
    by_path = {a.path: a for a in plan.artifacts}
    assert "@asyncapi/parser" in by_path["asyncapi.yaml"].checked_by
    assert "promtool test rules" in by_path["prometheus/alerts_test.yaml"].checked_by
    assert "no third-party oracle" in by_path["schemas/cloudevents-mapping.json"].checked_by


# --- AsyncAPI: official JSON Schema -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_asyncapi_passes_official_schema_without_dangling_refs(case):
    require_schema()
    doc = yaml.safe_load(artifact(plan_for(case), "asyncapi.yaml"))
    assert schema_errors(doc) == []
    assert dangling_refs(doc) == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_asyncapi_describes_the_whole_design(case):
    plan = plan_for(case)
    doc = yaml.safe_load(artifact(plan, "asyncapi.yaml"))
    assert doc["asyncapi"] == "3.0.0" and doc["info"]["version"] == "1.0.0"
    assert plan.shape in doc["info"]["description"]
    protocol = {"Apache Kafka": "kafka", "RabbitMQ": "amqp", "Amazon SQS": "sqs", "Apache Pulsar": "pulsar",
                "NATS JetStream": "nats", "Redis Streams": "redis"}[plan.broker.technology]
    assert protocol in {s["protocol"] for s in doc["servers"].values()}

    # Every broker entity of the plan is a channel (retry tiers may share one parameterised channel).
    covered = set()
    for ch in doc["channels"].values():
        ext = ch["x-event-driven"]
        covered.update(ext.get("keys", [ext.get("key")]))
        assert ch["messages"], ch
        if "{tier}" in (ch["address"] or ""):  # one address per tier, the tier number substituted
            tiers = ch["parameters"]["tier"]["enum"]
            assert [ch["address"].replace("{tier}", t) for t in tiers] == ext["names"]
    assert covered == {c.key for c in plan.channels}

    ops = doc["operations"]
    assert {op["action"] for op in ops.values()} <= {"send", "receive"}
    receives = [op for op in ops.values() if op["action"] == "receive"]
    sends = [op for op in ops.values() if op["action"] == "send"]
    assert len(receives) == len(plan.consumer_groups)
    producers = [(lc.key, p) for lc in plan.logical_channels if lc.role not in ("retry", "dead_letter")
                 for p in lc.producers]
    assert len(sends) == len(producers)
    for op in ops.values():
        channel_id = op["channel"]["$ref"].split("/")[-1]
        channel = doc["channels"][channel_id]
        for ref in op["messages"]:  # the operation's messages are a subset of its channel's
            assert ref["$ref"].startswith(f"#/channels/{channel_id}/messages/")
            assert ref["$ref"].rsplit("/", 1)[-1] in channel["messages"]

    # The envelope is the plan's JSON Schema, made draft-07 compatible.
    assert doc["components"]["schemas"]["EventEnvelope"] == draft07(plan.message_schema.schema_)
    assert "$schema" not in doc["components"]["schemas"]["EventEnvelope"]

    if plan.broker.technology == "Apache Kafka":
        by_key = {c["x-event-driven"].get("key"): c for c in doc["channels"].values()}
        for ch in plan.channels:
            if ch.key in by_key:
                binding = by_key[ch.key]["bindings"]["kafka"]
                assert binding["partitions"] == ch.partitions and binding["replicas"] == ch.replication_factor
                assert binding["topicConfiguration"]["cleanup.policy"] == ch.cleanup_policy.split(",")
        groups = {op["bindings"]["kafka"]["groupId"]["enum"][0] for op in receives}
        assert groups == {g.name for g in plan.consumer_groups}
    if plan.broker.technology == "RabbitMQ":
        for ch in doc["channels"].values():
            amqp = ch["bindings"]["amqp"]
            assert amqp["is"] == ("routingKey" if ch["x-event-driven"]["kind"] == "exchange" else "queue")


def test_asyncapi_payload_conversion_refuses_2020_12_only_keywords():
    with pytest.raises(ValueError, match="prefixItems"):
        draft07({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array", "prefixItems": []})
    converted = draft07({"$schema": "x", "$id": "y", "$defs": {"a": {"type": "string"}},
                         "properties": {"p": {"$ref": "#/$defs/a"}}})
    assert converted == {"definitions": {"a": {"type": "string"}}, "properties": {"p": {"$ref": "#/definitions/a"}}}


def test_asyncapi_schema_oracle_negative_controls():
    require_schema()
    doc = yaml.safe_load(artifact(plan_for(("kafka", "pub_sub", {})), "asyncapi.yaml"))
    assert schema_errors(doc) == []

    publish = copy.deepcopy(doc)
    next(iter(publish["operations"].values()))["action"] = "publish"  # AsyncAPI 2.x verb
    assert any("'publish' is not one of ['send', 'receive']" in e for e in schema_errors(publish))

    partitions = copy.deepcopy(doc)
    partitions["channels"]["events"]["bindings"]["kafka"]["partitions"] = "six"
    assert schema_errors(partitions)

    version = copy.deepcopy(doc)
    version["asyncapi"] = "3.0"
    assert schema_errors(version)

    dangling = copy.deepcopy(doc)
    next(iter(dangling["operations"].values()))["channel"] = {"$ref": "#/channels/doesNotExist"}
    assert schema_errors(dangling) == []  # the schema cannot see it ...
    assert dangling_refs(dangling) == [("/operations/order-service.send.events/channel", "#/channels/doesNotExist")]


# --- AsyncAPI: official parser ----------------------------------------------------------------------------------------


def negative_asyncapi_docs() -> dict[str, Any]:
    """A valid document and two broken copies: an AsyncAPI 2.x action, and an operation whose channel is missing."""
    doc = yaml.safe_load(artifact(plan_for(("rabbitmq", "pub_sub", {})), "asyncapi.yaml"))
    publish = copy.deepcopy(doc)
    next(iter(publish["operations"].values()))["action"] = "publish"
    dangling = copy.deepcopy(doc)
    next(iter(dangling["operations"].values()))["channel"] = {"$ref": "#/channels/doesNotExist"}
    return {"negative-good": doc, "negative-publish": publish, "negative-dangling": dangling}


@pytest.fixture(scope="module")
def parsed(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """One parser run (two node processes) over every case's document and the negative controls."""
    require_parser()
    folder = tmp_path_factory.mktemp("asyncapi")
    files = []
    for case in CASES:
        path = folder / f"{case_id(case)}.yaml"
        path.write_text(artifact(plan_for(case), "asyncapi.yaml"))
        files.append(path)
    for name, body in negative_asyncapi_docs().items():
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(body, sort_keys=False))
        files.append(path)
    results = run_parser(files)
    return {Path(k).stem: v for k, v in results.items()}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_asyncapi_official_parser_reports_no_errors(parsed, case):
    result = parsed[case_id(case)]
    errors = [d for d in result["diagnostics"] if d["severity"] == "error"]
    assert errors == [] and result["valid"], result
    assert result["version"] == "3.0.0"
    warnings = [d for d in result["diagnostics"] if d["severity"] == "warning"]
    assert warnings == [], warnings
    plan = plan_for(case)
    assert len([o for o in result["operations"] if o.endswith(":receive")]) == len(plan.consumer_groups)


def test_asyncapi_parser_negative_controls(parsed):
    assert parsed["negative-good"]["valid"]
    publish = parsed["negative-publish"]
    assert not publish["valid"]
    assert any("action" in d["message"] for d in publish["diagnostics"] if d["severity"] == "error"), publish
    dangling = parsed["negative-dangling"]
    assert not dangling["valid"]
    assert any(d["code"] == "invalid-ref" for d in dangling["diagnostics"] if d["severity"] == "error"), dangling


# --- Prometheus -------------------------------------------------------------------------------------------------------


def write_rules(plan: TopologyPlan, folder: Path) -> None:
    (folder / "alerts.yaml").write_text(artifact(plan, "prometheus/alerts.yaml"))
    (folder / "alerts_test.yaml").write_text(artifact(plan, "prometheus/alerts_test.yaml"))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_alert_has_a_firing_case_and_a_quiet_case(case):
    plan = plan_for(case)
    rules = yaml.safe_load(artifact(plan, "prometheus/alerts.yaml"))
    names = [r["alert"] for g in rules["groups"] for r in g["rules"]]
    assert names == [a.name for a in plan.observability.alerts]
    tests = yaml.safe_load(artifact(plan, "prometheus/alerts_test.yaml"))["tests"]
    checks = [c for t in tests for c in t["alert_rule_test"]]
    for alert in plan.observability.alerts:
        firing = [c for c in checks if c["alertname"] == alert.name and c["exp_alerts"]]
        assert firing, f"{alert.name}: no case makes it fire"
        assert all(e["exp_labels"]["severity"] == alert.severity and e.get("exp_annotations") for c in firing
                   for e in c["exp_alerts"])
        assert any(c["alertname"] == alert.name and c["exp_alerts"] == [] for c in checks), alert.name


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_promtool_checks_and_unit_tests_the_rules(case, tmp_path):
    require_promtool()
    plan = plan_for(case)
    write_rules(plan, tmp_path)
    check = promtool("check", "rules", "alerts.yaml", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"SUCCESS: {len(plan.observability.alerts)} rules found" in check.stdout
    test = promtool("test", "rules", "alerts_test.yaml", cwd=tmp_path)
    assert test.returncode == 0, test.stdout + test.stderr
    assert "SUCCESS" in test.stdout


def test_promtool_negative_controls(tmp_path):
    require_promtool()
    plan = plan_for(("kafka", "pub_sub", {}))
    rules = artifact(plan, "prometheus/alerts.yaml")
    unit = artifact(plan, "prometheus/alerts_test.yaml")

    broken = tmp_path / "broken"
    broken.mkdir()
    assert "sum by (topic) (" in rules
    (broken / "alerts.yaml").write_text(rules.replace("sum by (topic) (", "sum by (topic ("))
    check = promtool("check", "rules", "alerts.yaml", cwd=broken)
    assert check.returncode != 0 and "could not parse expression" in check.stdout + check.stderr

    bad_for = tmp_path / "bad_for"
    bad_for.mkdir()
    (bad_for / "alerts.yaml").write_text(rules.replace('for: "5m"', 'for: "5minutes"'))
    assert promtool("check", "rules", "alerts.yaml", cwd=bad_for).returncode != 0

    wrong = tmp_path / "wrong_severity"
    wrong.mkdir()
    (wrong / "alerts.yaml").write_text(rules)
    doc = yaml.safe_load(unit)
    case = next(t for t in doc["tests"] for c in t["alert_rule_test"] if c["alertname"] == "DeadLetterBacklogHigh"
                and c["exp_alerts"])
    check_ = next(c for c in case["alert_rule_test"] if c["alertname"] == "DeadLetterBacklogHigh")
    check_["exp_alerts"][0]["exp_labels"]["severity"] = "warning"  # the rule says critical
    (wrong / "alerts_test.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    test = promtool("test", "rules", "alerts_test.yaml", cwd=wrong)
    assert test.returncode != 0 and "FAILED" in test.stdout + test.stderr

    silent = tmp_path / "never_fires"
    silent.mkdir()
    assert "[15m]) > 0" in rules
    (silent / "alerts.yaml").write_text(rules.replace("[15m]) > 0", "[15m]) < 0"))
    (silent / "alerts_test.yaml").write_text(unit)
    assert promtool("test", "rules", "alerts_test.yaml", cwd=silent).returncode != 0

    # The old rule on the application's own lag gauge cannot see a dead consumer: its series are the broker's.
    app_side = tmp_path / "app_side_stall"
    app_side.mkdir()
    stalled = next(a for a in plan.observability.alerts if a.name == "ConsumerStalled")
    old = ("min_over_time(consumer_lag[10m]) > 0 and on (topic, consumer_group) "
           "sum by (topic, consumer_group) (rate(messages_consumed_total[10m])) == 0")
    (app_side / "alerts.yaml").write_text(rules.replace(json.dumps(stalled.expr), json.dumps(old)))
    (app_side / "alerts_test.yaml").write_text(unit)
    test = promtool("test", "rules", "alerts_test.yaml", cwd=app_side)
    assert test.returncode != 0 and "ConsumerStalled" in test.stdout + test.stderr


BROKER_SIDE = [c for c in CASES if not c[0].startswith("sqs")]


@pytest.mark.parametrize("case", BROKER_SIDE, ids=[case_id(c) for c in BROKER_SIDE])
def test_lag_and_dead_letter_alerts_read_the_broker_not_the_application(case):
    """A dead consumer stops emitting its own metrics; every alert reads an exporter's broker-side series instead,
    restricted to the plan's own consumers and dead-letter channels."""
    plan = plan_for(case)
    signals = knowledge().patterns.broker_signals[case[0].split(".")[0]]
    app_metrics = {m.name for m in plan.observability.metrics}
    for alert in plan.observability.alerts:
        assert not any(re.search(rf"\b{m}\b", alert.expr) for m in app_metrics), alert
        assert "=~" in alert.expr, alert
    names = {a.name for a in plan.observability.alerts}
    has_dlq = any(c.role == "dead_letter" for c in plan.channels)
    assert ({"DeadLetterGrowing", "DeadLetterBacklogHigh"} <= names) == has_dlq
    backlog = next((a for a in plan.observability.alerts if a.name == "DeadLetterBacklogHigh"), None)
    if backlog is not None:
        assert signals.dead_letter_depth.metric in backlog.expr and "increase(" not in backlog.expr
    sig = plan.observability.broker_signals
    assert sig is not None
    if sig.lag is None:  # only RabbitMQ streams: messages_ready is the stream's length, not a consumer's lag
        assert case[0].startswith("rabbitmq") and all(
            c.settings.get("arguments", {}).get("x-queue-type") == "stream" for c in plan.channels
            if c.kind == "queue" and c.role not in ("retry", "dead_letter"))
    else:
        stalled = next(a for a in plan.observability.alerts if a.name == "ConsumerStalled")
        assert signals.lag.metric in stalled.expr and signals.progress.metric in stalled.expr


def test_stall_window_covers_the_acknowledgement_deadline(tmp_path):
    """A 20-minute job holds its message for the whole deadline: a shorter stall window would page on healthy work."""
    ctx = {"use_case": "work_queue", "requirements": {"throughput": "50 msg/s", "delivery": "at_least_once"},
           "producers": ["api"], "consumers": ["worker"]}
    plan = plan_topology(ctx, knowledge(), broker="nats_jetstream", options={"processing_time_ms": 1_200_000})
    assert plan.observability.lag_window_minutes >= 40  # 20 min x the margin of 2
    stalled = next(a for a in plan.observability.alerts if a.name == "ConsumerStalled")
    assert f"[{plan.observability.lag_window_minutes}m]" in stalled.expr
    require_promtool()
    write_rules(plan, tmp_path)
    test = promtool("test", "rules", "alerts_test.yaml", cwd=tmp_path)
    assert test.returncode == 0, test.stdout + test.stderr


# --- JSON Schema ------------------------------------------------------------------------------------------------------


def sample_envelope() -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "OrderPlaced",
        "aggregate_id": "order-42",
        "aggregate_version": 3,
        "timestamp": "2025-01-31T12:00:00Z",
        "payload": {"amount": 12.5, "currency": "EUR"},
        "metadata": {"correlation_id": str(uuid.uuid4()), "causation_id": str(uuid.uuid4()), "user_id": None},
    }


@pytest.mark.parametrize("broker", PLANNABLE_BROKERS)
def test_envelope_json_schema_against_its_metaschema_and_samples(broker):
    plan = plan_for((broker, "pub_sub", {}))
    schema = json.loads(artifact(plan, "schemas/envelope.schema.json"))
    assert schema == plan.message_schema.schema_
    cls = validators.validator_for(schema)
    assert cls is Draft202012Validator
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    assert list(validator.iter_errors(sample_envelope())) == []

    bad = {
        "missing metadata": {k: v for k, v in sample_envelope().items() if k != "metadata"},
        "extra property": {**sample_envelope(), "surprise": 1},
        "event_type not PascalCase": {**sample_envelope(), "event_type": "order placed"},
        "aggregate_version 0": {**sample_envelope(), "aggregate_version": 0},
        "event_id not a uuid": {**sample_envelope(), "event_id": "not-a-uuid"},
        "metadata without causation_id": {**sample_envelope(), "metadata": {"correlation_id": str(uuid.uuid4())}},
    }
    for why, envelope in bad.items():
        assert list(validator.iter_errors(envelope)), why

    # The draft-07 copy inside the AsyncAPI document accepts and rejects the same envelopes (draft-07 has no
    # 'uuid' format, so there the uuid check is an annotation only).
    d7 = Draft7Validator(draft07(schema), format_checker=Draft7Validator.FORMAT_CHECKER)
    Draft7Validator.check_schema(draft07(schema))
    assert list(d7.iter_errors(sample_envelope())) == []
    for why, envelope in bad.items():
        assert bool(list(d7.iter_errors(envelope))) == (why != "event_id not a uuid"), why


def test_json_schema_metaschema_negative_control():
    schema = json.loads(artifact(plan_for(("kafka", "pub_sub", {})), "schemas/envelope.schema.json"))
    broken = copy.deepcopy(schema)
    broken["properties"]["aggregate_version"]["type"] = "integr"
    with pytest.raises(SchemaError):
        validators.validator_for(broken).check_schema(broken)


def test_cloudevents_mapping_points_at_envelope_fields():
    plan = plan_for(("kafka", "pub_sub", {}))
    mapping = json.loads(artifact(plan, "schemas/cloudevents-mapping.json"))
    assert mapping["specversion"] == "1.0"
    schema = plan.message_schema.schema_
    for attribute in ("id", "type", "subject", "time", "data", "correlationid", "causationid", "aggregateversion"):
        field = mapping["attributes"][attribute].replace(",", " ").split()[0]
        node: Any = schema
        for part in field.split("."):
            node = node["properties"][part]  # KeyError: the mapping names a field the envelope lacks
        assert node


# --- Avro -------------------------------------------------------------------------------------------------------------


def avro_backward(old: dict[str, Any], new: dict[str, Any]):
    """BACKWARD: a reader on the new schema reads data written with the old one."""
    import avro.schema
    from avro.compatibility import ReaderWriterCompatibilityChecker

    return ReaderWriterCompatibilityChecker().get_compatibility(
        reader=avro.schema.parse(json.dumps(new)), writer=avro.schema.parse(json.dumps(old)))


@pytest.mark.parametrize("schema_format", ["json", "avro"])
def test_envelope_avro_parses_round_trips_and_evolves_backward(schema_format):
    import fastavro

    plan = plan_for(("kafka", "pub_sub", {"schema_format": schema_format}))
    v1 = json.loads(artifact(plan, "schemas/envelope.avsc"))
    assert v1 == plan.message_schema.avro_schema
    parsed = fastavro.parse_schema(v1)

    record = {
        "event_id": str(uuid.uuid4()), "event_type": "OrderPlaced", "aggregate_id": "order-42",
        "aggregate_version": 3, "timestamp": datetime(2025, 1, 31, 12, 0, tzinfo=timezone.utc),
        "payload": json.dumps({"amount": 12.5}),
        "metadata": {"correlation_id": str(uuid.uuid4()), "causation_id": str(uuid.uuid4()), "user_id": None},
    }
    buf = io.BytesIO()
    fastavro.writer(buf, parsed, [record])
    buf.seek(0)
    (back,) = list(fastavro.reader(buf))
    assert back["aggregate_id"] == "order-42" and back["timestamp"] == record["timestamp"]

    assert avro_backward(v1, v1).compatibility.value == "compatible"
    optional = {**v1, "fields": [*v1["fields"], {"name": "tenant_id", "type": ["null", "string"], "default": None}]}
    required = {**v1, "fields": [*v1["fields"], {"name": "tenant_id", "type": "string"}]}
    ok = avro_backward(v1, optional)
    assert ok.compatibility.value == "compatible", ok.messages
    broken = avro_backward(v1, required)
    assert broken.compatibility.value == "incompatible"
    assert [i.value for i in broken.incompatibilities] == ["reader_field_missing_default_value"]
    assert "tenant_id" in broken.messages
    # FORWARD (swap reader and writer): old readers ignore the new required field.
    assert avro_backward(required, v1).compatibility.value == "compatible"


def test_avro_parser_negative_control():
    import fastavro

    v1 = plan_for(("kafka", "pub_sub", {})).message_schema.avro_schema
    broken = copy.deepcopy(v1)
    broken["fields"][1]["type"] = "strng"
    with pytest.raises(fastavro.schema.UnknownType):
        fastavro.parse_schema(broken)
    bad_default = copy.deepcopy(v1)
    bad_default["fields"].append({"name": "tenant_id", "type": "long", "default": "none"})
    with pytest.raises(fastavro.schema.SchemaParseException):
        fastavro.parse_schema(bad_default)

"""generate_tests: every scaffold runs green in a fresh venv with only its stated requirements, its integration
tests pass against the real brokers on this machine, and breaking its reference implementation makes it fail.

Venvs are created once per distinct requirements set per session (``--without-pip``; the packages are installed by
this interpreter's pip with ``--python``, so the venv holds exactly the stated requirements and nothing else).
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from brokers.moto import endpoint  # noqa: F401 (a fixture: moto's SQS-compatible server)
from conftest import reachable, require
from event_driven.app.plan import plan_topology
from event_driven.app.testgen import generate_tests
from event_driven.core import testgen
from event_driven.core.testgen import SUITE_IDS, GeneratedTests, TestGenInputError
from event_driven.core.topology.models import PLANNABLE_BROKERS
from event_driven.kb.loader import knowledge
from event_driven.render import scaffold

USE_CASES = ["pub_sub", "work_queue", "event_sourcing", "cqrs", "saga"]
BROKERS = list(PLANNABLE_BROKERS)
BROKER_ENV = ("RABBITMQ_URL", "REDIS_URL", "NATS_URL", "KAFKA_BOOTSTRAP_SERVERS")
LOCAL = {
    "RABBITMQ_URL": ("amqp://guest:guest@127.0.0.1:5672/%2F", 5672),
    "REDIS_URL": ("redis://127.0.0.1:6379/0", 6379),
    "NATS_URL": ("nats://127.0.0.1:4222", 4222),
}
BASE = {
    "use_case": "pub_sub",
    "requirements": {"throughput": "10K msg/s", "latency": "100ms", "ordering": "partition",
                     "delivery": "at_least_once", "retention": "7 days"},
    "producers": ["order-service"],
    "consumers": ["billing", "analytics"],
}

pytestmark = pytest.mark.slow


def ctx(use_case: str = "pub_sub", **req: str) -> dict:
    data = copy.deepcopy(BASE)
    data["use_case"] = use_case
    data["requirements"].update(req)
    return data


def generate(source, options=None) -> GeneratedTests:
    return generate_tests(source, knowledge(), options)


def write(gen: GeneratedTests, out: Path) -> Path:
    if out.exists():
        shutil.rmtree(out)
    for f in gen.files:
        path = out / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content)
    return out


def requirement_lines(files: list[Path]) -> tuple[str, ...]:
    lines: set[str] = set()
    for f in files:
        for line in f.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "-r")):
                lines.add(line)
    return tuple(sorted(lines))


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in BROKER_ENV and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(extra)
    return env


class Venvs:
    """One venv per distinct requirements set, created on first use."""

    def __init__(self, root: Path):
        self.root = root
        self.cache: dict[tuple[str, ...], Path] = {}

    def python(self, req_files: list[Path]) -> Path:
        key = requirement_lines(req_files)
        if key not in self.cache:
            path = self.root / f"venv{len(self.cache)}"
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True)
            args = [sys.executable, "-m", "pip", "--python", str(path / "bin" / "python"), "install", "-q",
                    "--disable-pip-version-check"]
            for f in req_files:
                args += ["-r", str(f)]
            proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
            require(proc.returncode == 0, f"pip could not install {', '.join(key)}: {proc.stderr[-500:]}")
            # the venv holds the stated requirements only: not this project, not its dependencies
            probe = subprocess.run([str(path / "bin" / "python"), "-c", "import event_driven"], capture_output=True,
                                   env=clean_env(), cwd=self.root)
            assert probe.returncode != 0, "the scaffold venv must not see the project's packages"
            self.cache[key] = path
        return self.cache[key] / "bin" / "python"


@pytest.fixture(scope="session")
def venvs(tmp_path_factory) -> Venvs:
    return Venvs(tmp_path_factory.mktemp("scaffold-venvs"))


def run_pytest(python: Path, cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", *args], cwd=cwd,
                          capture_output=True, text=True, env=env or clean_env(), timeout=600)


def counts(output: str) -> dict[str, int]:
    tail = output.strip().splitlines()[-1] if output.strip() else ""
    return {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|errors?)", tail)}


# --- (a) every use case x every plannable broker: green in a fresh venv -----------------------------------------------


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("scaffolds")
    cache: dict[tuple[str, str], tuple[GeneratedTests, Path]] = {}

    def get(use_case: str, broker: str) -> tuple[GeneratedTests, Path]:
        if (use_case, broker) not in cache:
            gen = generate(ctx(use_case), {"broker": broker})
            cache[(use_case, broker)] = (gen, write(gen, root / f"{use_case}-{broker}"))
        return cache[(use_case, broker)]

    return get


@pytest.mark.parametrize("broker", BROKERS)
@pytest.mark.parametrize("use_case", USE_CASES)
def test_scaffold_passes_in_a_fresh_venv(use_case, broker, rendered, venvs):
    gen, out = rendered(use_case, broker)
    assert (out / "requirements.txt").read_text().split("\n", 1)[1].split() == gen.requirements
    proc = run_pytest(venvs.python([out / "requirements.txt"]), out)
    result = counts(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert result.get("passed", 0) >= 30 and not result.get("failed")
    # integration modules skip with the reason when their broker URL is unset
    for suite in gen.suites:
        if suite.id.startswith("integration_"):
            var = {"integration_rabbitmq": "RABBITMQ_URL", "integration_redis": "REDIS_URL",
                   "integration_nats": "NATS_URL", "integration_kafka": "KAFKA_BOOTSTRAP_SERVERS",
                   "integration_sqs": "SQS_ENDPOINT_URL"}[suite.id]
            assert f"{var} is not set" in proc.stdout


# --- (b) integration variants against the brokers on this machine --------------------------------------------------


@pytest.mark.parametrize("broker", ["rabbitmq", "nats_jetstream", "redis_streams", "sqs"])
@pytest.mark.parametrize("use_case", USE_CASES)
def test_integration_variant_passes_against_real_brokers(use_case, broker, rendered, venvs, request):
    gen, out = rendered(use_case, broker)
    integration = [s.id for s in gen.suites if s.id.startswith("integration_")]
    needed = {"integration_rabbitmq": "RABBITMQ_URL", "integration_redis": "REDIS_URL", "integration_nats": "NATS_URL"}
    env = {}
    for suite in integration:
        if suite == "integration_sqs":
            env["SQS_ENDPOINT_URL"] = request.getfixturevalue("endpoint")
            continue
        var = needed[suite]
        url, port = LOCAL[var]
        require(reachable("127.0.0.1", port), f"{var}: nothing listens on 127.0.0.1:{port}")
        env[var] = url
    assert {"integration_redis", {"rabbitmq": "integration_rabbitmq", "nats_jetstream": "integration_nats",
                                  "redis_streams": "integration_redis", "sqs": "integration_sqs"}[broker]} \
        <= set(integration)
    if broker == "rabbitmq":  # .ci/run enables the management plugin: the suite imports definitions.json through it
        require(reachable("127.0.0.1", 15672), "RabbitMQ management API: nothing listens on 127.0.0.1:15672")
    python = venvs.python([out / "requirements.txt", out / "requirements-integration.txt"])
    proc = run_pytest(python, out, "tests/integration", env=clean_env(**env))
    result = counts(proc.stdout)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert result.get("passed", 0) >= 3 and not result.get("skipped"), proc.stdout[-2000:]


def test_vhosts() -> set[str]:
    """The eda-test-* vhosts on the local RabbitMQ (the generated suite imports into one per run, then deletes it)."""
    import base64
    import urllib.request

    request = urllib.request.Request("http://127.0.0.1:15672/api/vhosts",
                                     headers={"Authorization": "Basic " + base64.b64encode(b"guest:guest").decode()})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return {v["name"] for v in json.loads(response.read()) if v["name"].startswith("eda-test-")}
    except OSError:
        return set()


test_vhosts.__test__ = False  # a helper, not a test


def broker_env(*names: str) -> dict[str, str]:
    env = {}
    for var in names:
        url, port = LOCAL[var]
        require(reachable("127.0.0.1", port), f"{var}: nothing listens on 127.0.0.1:{port}")
        env[var] = url
    return env


@pytest.mark.parametrize("use_case", ["work_queue", "pub_sub"])
def test_rabbitmq_suite_declares_the_definitions_without_the_management_api(use_case, rendered, venvs):
    _, out = rendered(use_case, "rabbitmq")
    python = venvs.python([out / "requirements.txt", out / "requirements-integration.txt"])
    env = clean_env(**broker_env("RABBITMQ_URL"), RABBITMQ_MANAGEMENT_URL="none")
    proc = run_pytest(python, out, "tests/integration/test_rabbitmq.py", env=env)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert counts(proc.stdout).get("passed", 0) >= 5 and not counts(proc.stdout).get("skipped"), proc.stdout[-2000:]


@pytest.mark.parametrize("broker", BROKERS)
def test_the_scaffold_holds_the_rendered_topology(broker):
    """The integration suites load what plan_topology renders for the plan: the same files, byte for byte."""
    gen = generate(ctx("pub_sub"), {"broker": broker})
    plan = plan_topology(ctx("pub_sub"), knowledge(), broker)
    copied = {f.path.removeprefix("topology/"): f.content for f in gen.files if f.path.startswith("topology/")}
    folders = {p.split("/")[0] for p in copied}
    assert copied == {a.path: a.content for a in plan.artifacts if a.path.split("/")[0] in folders}
    assert bool(copied) == any(s.id.startswith("integration_") for s in gen.suites)
    if broker in ("rabbitmq", "nats_jetstream", "redis_streams", "kafka"):
        assert copied, f"no rendered topology for {broker}"


# --- (c) mutation check --------------------------------------------------------------------------------------------

# (name, scaffold, file, old text, new text, test module expected to fail)
MUTANTS = [
    ("dedup removed", ("saga", "kafka"), "eda_reference/idempotency.py",
     'if not self.dedup_store.set(key, "1", nx=True, ex=self.ttl_seconds):', "if False:", "test_idempotency"),
    ("failed attempt recorded as processed", ("saga", "kafka"), "eda_reference/idempotency.py",
     "self.dedup_store.delete(key)", "pass", "test_idempotency"),
    ("DLQ routing removed", ("saga", "kafka"), "eda_reference/retry.py",
     "self._dead_letter(message, code, attempt, reason)", "pass", "test_dlq"),
    ("unbounded retries", ("saga", "kafka"), "eda_reference/retry.py",
     "if kind == NON_RETRYABLE or attempt >= self.max_retries:", "if kind == NON_RETRYABLE:", "test_dlq"),
    ("non-retryable errors retried", ("saga", "kafka"), "eda_reference/retry.py",
     "if kind == NON_RETRYABLE or attempt >= self.max_retries:", "if attempt >= self.max_retries:", "test_dlq"),
    ("no jitter", ("saga", "kafka"), "eda_reference/retry.py",
     "return base * r.uniform(1 - self.jitter_factor, 1 + self.jitter_factor)", "return base", "test_backoff"),
    ("backoff without cap", ("saga", "kafka"), "eda_reference/retry.py",
     "return min(self.max_delay_ms, self.initial_delay_ms * self.multiplier ** (retry_number - 1))",
     "return self.initial_delay_ms * self.multiplier ** (retry_number - 1)", "test_backoff"),
    ("circuit breaker never opens", ("saga", "kafka"), "eda_reference/retry.py",
     "if self.failures >= self.failure_threshold:", "if False:", "test_circuit_breaker"),
    ("wrong ordering key", ("saga", "kafka"), "eda_reference/ordering.py",
     "value = message.get(self.ordering_key)", 'value = message.get("event_id")', "test_ordering"),
    ("non-backward-compatible schema change", ("saga", "kafka"), "schemas/envelope.next.avsc",
     None, {"name": "tenant_id", "type": "string"}, "test_schema"),
    ("transaction not atomic", ("saga", "kafka"), "eda_reference/transactional.py",
     "self._pending.append((topic, copy.deepcopy(message)))", "self.broker.publish(topic, message)",
     "test_transactional"),
    ("outbox written outside the state transaction", ("saga", "kafka"), "eda_reference/transactional.py",
     "            if fail_after_state:", "            self.conn.commit()\n            if fail_after_state:",
     "test_transactional"),
    ("compensation skipped", ("saga", "kafka"), "eda_reference/saga.py",
     "for step in reversed(done):", "for step in []:", "test_saga"),
    ("expected version not checked", ("event_sourcing", "kafka"), "eda_reference/eventsourcing.py",
     "if current != expected_version:", "if False:", "test_eventsourcing"),
    ("snapshot without its tail", ("event_sourcing", "kafka"), "eda_reference/eventsourcing.py",
     "for event in self.store.read(basket_id, from_version=basket.version + 1):",
     "for event in ([] if snap else self.store.read(basket_id, from_version=basket.version + 1)):",
     "test_eventsourcing"),
    ("projection not idempotent", ("cqrs", "kafka"), "eda_reference/cqrs.py",
     "if version <= last:", "if False:", "test_cqrs"),
    ("partition count not rounded to even", ("pub_sub", "kafka"), "eda_reference/context.py",
     "even = whole + whole % 2", "even = whole", "test_context"),
]


def apply_mutant(out: Path, path: str, old, new) -> None:
    target = out / path
    if old is None:  # a schema change: append a field
        schema = json.loads(target.read_text())
        schema["fields"].append(new)
        target.write_text(json.dumps(schema, indent=2))
        return
    text = target.read_text()
    assert text.count(old) == 1, f"mutant target not found once in {path}: {old!r}"
    target.write_text(text.replace(old, new))


def test_mutants_are_caught(rendered, venvs, tmp_path):
    caught, missed = [], []
    for name, (use_case, broker), path, old, new, module in MUTANTS:
        gen, original = rendered(use_case, broker)
        out = tmp_path / re.sub(r"\W+", "-", name)
        shutil.copytree(original, out)
        apply_mutant(out, path, old, new)
        proc = run_pytest(venvs.python([out / "requirements.txt"]), out)
        failed_modules = set(re.findall(r"^FAILED tests/(test_\w+)\.py", proc.stdout, re.M))
        (caught if proc.returncode == 1 and module in failed_modules else missed).append(
            f"{name} -> {sorted(failed_modules) or 'rc ' + str(proc.returncode)}")
    print(f"\nmutants caught: {len(caught)}/{len(MUTANTS)}")
    for line in caught:
        print("  caught:", line)
    assert not missed, f"caught {len(caught)}/{len(MUTANTS)}; missed: {missed}"


def edit_json(out: Path, path: str, change) -> None:
    target = out / "topology" / path
    data = json.loads(target.read_text())
    change(data)
    target.write_text(json.dumps(data, indent=2))


def refused_by_the_broker(defs: dict) -> None:
    for q in defs["queues"]:
        q["arguments"].pop("x-dead-letter-exchange", None)  # a dead-letter routing key without its exchange


def without_dead_lettering(defs: dict) -> None:
    for q in defs["queues"]:
        if "x-delivery-limit" in q["arguments"]:
            for key in ("x-dead-letter-exchange", "x-dead-letter-routing-key", "x-dead-letter-strategy"):
                q["arguments"].pop(key, None)


def lanes_as_fanout(defs: dict) -> None:
    for x in defs["exchanges"]:
        if x["type"] == "x-consistent-hash":
            x["type"], x["arguments"] = "fanout", {}


def advisories_dropped(stream: dict) -> None:
    stream["subjects"] = [s for s in stream["subjects"] if "MAX_DELIVERIES" not in s]


def first_group_dropped(out: Path) -> None:
    target = out / "topology" / "redis" / "setup.redis"
    lines = target.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("XGROUP CREATE"))
    target.write_text("\n".join(lines[:first] + lines[first + 1:]) + "\n")


def drop_redrive(out: Path) -> None:
    target = out / "topology" / "sqs" / "cloudformation.yaml"
    text = target.read_text()
    redrive = r"      RedrivePolicy:\n        deadLetterTargetArn: [^\n]+\n        maxReceiveCount: \d+\n"
    dropped = re.sub(redrive, "", text)
    assert dropped != text, "no RedrivePolicy in the template"
    target.write_text(dropped)


def replace_in(pattern: str, old: str, new: str):
    def change(out: Path) -> None:
        targets = sorted((out / "topology").glob(pattern))
        assert targets and all(old in f.read_text() for f in targets), f"{old!r} not in {pattern}"
        for target in targets:
            target.write_text(target.read_text().replace(old, new))
    return change


# (name, scaffold, change to its rendered topology, broker URLs, extra env, integration module expected to fail)
TOPOLOGY_MUTANTS = [
    ("definitions without the dead-letter exchange (imported)", ("work_queue", "rabbitmq"),
     lambda out: edit_json(out, "rabbitmq/definitions.json", without_dead_lettering), ("RABBITMQ_URL",), {},
     "test_rabbitmq"),
    ("definitions without the dead-letter exchange (declared)", ("work_queue", "rabbitmq"),
     lambda out: edit_json(out, "rabbitmq/definitions.json", without_dead_lettering), ("RABBITMQ_URL",),
     {"RABBITMQ_MANAGEMENT_URL": "none"}, "test_rabbitmq"),
    ("definitions the broker refuses", ("work_queue", "rabbitmq"),
     lambda out: edit_json(out, "rabbitmq/definitions.json", refused_by_the_broker), ("RABBITMQ_URL",), {},
     "test_rabbitmq"),
    ("consistent-hash lanes replaced by fan-out", ("pub_sub", "rabbitmq"),
     lambda out: edit_json(out, "rabbitmq/definitions.json", lanes_as_fanout), ("RABBITMQ_URL",), {},
     "test_rabbitmq"),
    ("dead-letter stream misses the MAX_DELIVERIES advisories", ("work_queue", "nats_jetstream"),
     lambda out: edit_json(out, "nats/streams/ORDER_JOBS_V1_DLQ.json", advisories_dropped), ("NATS_URL",), {},
     "test_nats"),
    ("consumer max_deliver off the plan", ("work_queue", "nats_jetstream"),
     replace_in("nats/consumers/ORDER_JOBS_V1/*.json", '"max_deliver": 5', '"max_deliver": 7'), ("NATS_URL",), {},
     "test_nats"),
    ("setup.redis misses a consumer group", ("pub_sub", "redis_streams"), first_group_dropped, ("REDIS_URL",), {},
     "test_redis"),
    ("queue without its redrive policy", ("work_queue", "sqs"), drop_redrive, ("SQS_ENDPOINT_URL",), {}, "test_sqs"),
    ("Kafka producer without idempotence", ("pub_sub", "kafka"),
     replace_in("kafka/producer.properties", "enable.idempotence=true", "enable.idempotence=false"), (), {},
     "test_kafka"),
]


def test_topology_mutants_are_caught(rendered, venvs, tmp_path, endpoint):
    """A rendered file that breaks the plan's guarantee makes the integration suite that loads it fail."""
    caught, missed = [], []
    vhosts = test_vhosts()
    for name, (use_case, broker), change, urls, extra, module in TOPOLOGY_MUTANTS:
        _, original = rendered(use_case, broker)
        out = tmp_path / re.sub(r"\W+", "-", name)
        shutil.copytree(original, out)
        change(out)
        python = venvs.python([out / "requirements.txt", out / "requirements-integration.txt"])
        env = broker_env(*(u for u in urls if u in LOCAL)) | {u: endpoint for u in urls if u == "SQS_ENDPOINT_URL"}
        proc = run_pytest(python, out, f"tests/integration/{module}.py", env=clean_env(**env, **extra))
        # FAILED: a guarantee broke; ERROR: the broker refused the file while the fixture applied it
        failed = set(re.findall(r"^(?:FAILED|ERROR) tests/integration/\w+\.py::(\w+)", proc.stdout, re.M))
        (caught if proc.returncode == 1 and failed else missed).append(f"{name} -> {sorted(failed) or proc.returncode}")
    assert test_vhosts() <= vhosts, "a failing run left its vhost behind"
    print(f"\ntopology mutants caught: {len(caught)}/{len(TOPOLOGY_MUTANTS)}")
    for line in caught:
        print("  caught:", line)
    assert not missed, f"caught {len(caught)}/{len(TOPOLOGY_MUTANTS)}; missed: {missed}"


def kafka_value(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def test_kafka_suite_skips_cleanly_and_loads_the_rendered_configs(rendered, venvs):
    _, out = rendered("pub_sub", "kafka")
    python = venvs.python([out / "requirements.txt", out / "requirements-integration.txt"])
    proc = run_pytest(python, out, "tests/integration/test_kafka.py")
    assert proc.returncode == 0 and counts(proc.stdout) == {"passed": 1, "skipped": 2}, proc.stdout[-3000:]
    assert proc.stdout.count("KAFKA_BOOTSTRAP_SERVERS is not set") == 2
    probe = ("import json, eda_topology as t; print(json.dumps({'producer': t.kafka_properties('producer'), "
             "'consumers': {g: t.kafka_properties('consumer-' + g) for g in t.kafka_consumer_groups()}, "
             "'topics': t.kafka_topics()}))")
    loaded = json.loads(subprocess.run([str(python), "-c", probe], cwd=out, capture_output=True, text=True,
                                       env=clean_env(), check=True).stdout)
    plan = plan_topology(ctx("pub_sub"), knowledge(), "kafka")
    settings = plan.client_settings
    assert loaded["producer"] == {"bootstrap.servers": "localhost:9092",
                                  **{k: kafka_value(v) for k, v in settings.producer.items()}}
    assert sorted(loaded["consumers"]) == sorted(g.name for g in plan.consumer_groups)
    for group, config in loaded["consumers"].items():
        assert config["group.id"] == group
        assert {k: config[k] for k in settings.consumer} == {k: kafka_value(v) for k, v in settings.consumer.items()}
    topics = {c.name: (c.partitions, c.replication_factor) for c in plan.channels if c.kind == "topic"}
    assert {t["name"]: (t["partitions"], t["replication_factor"]) for t in loaded["topics"]} == topics


# --- (d) options, selection and errors -----------------------------------------------------------------------------


def test_user_modules_are_imported(tmp_path, venvs):
    gen = generate(ctx("work_queue"), {"broker": "rabbitmq", "package": "myapp",
                                       "modules": {"idempotency": ".dedup"}, "include_integration": False})
    test_file = next(f for f in gen.files if f.path == "tests/test_idempotency.py")
    assert "from myapp.dedup import IdempotentConsumer" in test_file.content
    assert any("myapp.dedup" in n for n in gen.notes)
    assert any("pip install -e" in c for c in gen.commands)
    out = write(gen, tmp_path / "scaffold")
    reference = (out / "eda_reference" / "idempotency.py").read_text()
    (out / "myapp").mkdir()
    (out / "myapp" / "__init__.py").write_text("")
    (out / "myapp" / "dedup.py").write_text(reference)
    python = venvs.python([out / "requirements.txt"])
    proc = run_pytest(python, out, "tests/test_idempotency.py")
    assert proc.returncode == 0, proc.stdout[-3000:]
    # the user's module is what is tested: break it (no dedup) and the suite fails
    (out / "myapp" / "dedup.py").write_text(reference.replace(
        'if not self.dedup_store.set(key, "1", nx=True, ex=self.ttl_seconds):', "if False:"))
    proc = run_pytest(python, out, "tests/test_idempotency.py")
    assert proc.returncode == 1 and "FAILED tests/test_idempotency.py" in proc.stdout


def test_integration_suites_load_the_users_topology_and_modules(tmp_path, venvs):
    """With topology_dir and modules, the Redis suite applies the user's files and drives the user's classes."""
    options = {"broker": "redis_streams", "topology_dir": "deploy/topology", "package": "myapp",
               "modules": {"idempotency": ".dedup", "ordering": ".routing"}}
    gen = generate(ctx("work_queue"), options)
    assert not any(f.path.startswith("topology/") for f in gen.files)
    assert "TOPOLOGY_DIR = 'deploy/topology'" in next(f.content for f in gen.files if f.path == "eda_plan.py")
    suite = next(f.content for f in gen.files if f.path == "tests/integration/test_redis.py")
    assert "from myapp.dedup import IdempotentConsumer" in suite and "from myapp.routing import KeyRouter" in suite
    out = write(gen, tmp_path / "scaffold")
    python = venvs.python([out / "requirements.txt", out / "requirements-integration.txt"])
    env = clean_env(**broker_env("REDIS_URL"))
    (out / "myapp").mkdir()
    (out / "myapp" / "__init__.py").write_text("")
    dedup = (out / "eda_reference" / "idempotency.py").read_text()
    (out / "myapp" / "dedup.py").write_text(dedup)
    (out / "myapp" / "routing.py").write_text((out / "eda_reference" / "ordering.py").read_text())
    proc = run_pytest(python, out, "tests/integration/test_redis.py", env=env)
    assert proc.returncode == 1 and "deploy/topology/redis/setup.redis is missing" in proc.stdout, proc.stdout[-2000:]
    for artifact in plan_topology(ctx("work_queue"), knowledge(), "redis_streams").artifacts:
        target = out / "deploy" / "topology" / artifact.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(artifact.content)
    proc = run_pytest(python, out, "tests/integration/test_redis.py", env=env)
    assert proc.returncode == 0 and counts(proc.stdout) == {"passed": 6}, proc.stdout[-3000:]
    # the user's consumer is what runs against the broker: without dedup the reclaimed entry is processed twice
    (out / "myapp" / "dedup.py").write_text(dedup.replace(
        'if not self.dedup_store.set(key, "1", nx=True, ex=self.ttl_seconds):', "if False:"))
    proc = run_pytest(python, out, "tests/integration/test_redis.py", env=env)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert "FAILED tests/integration/test_redis.py::test_crash_and_reclaim_is_processed_once" in proc.stdout


def test_unknown_suite_names_the_field():
    with pytest.raises(TestGenInputError) as exc:
        generate(ctx(), {"suites": ["dlqq", "dlq"]})
    [err] = exc.value.errors
    assert err.path == "$.options.suites[0]" and err.code == "not_allowed"
    assert "dlq" in (err.allowed or "") and err.suggestion == "dlq"


@pytest.mark.parametrize("options, path, code", [
    ({"modules": {"dedupe": "myapp.dedup"}}, "$.options.modules.dedupe", "not_allowed"),
    ({"modules": {"idempotency": "my-app.dedup"}}, "$.options.modules.idempotency", "pattern_mismatch"),
    ({"modules": {"idempotency": "myapp.class"}}, "$.options.modules.idempotency", "pattern_mismatch"),
    ({"modules": {"idempotency": ".dedup"}}, "$.options.modules.idempotency", "missing"),
    ({"package": "my app"}, "$.options.package", "pattern_mismatch"),
    ({"kafka_bootstrap": "localhost"}, "$.options.kafka_bootstrap", "pattern_mismatch"),
    ({"kafka_bootstrap": "localhost:9092\n"}, "$.options.kafka_bootstrap", "pattern_mismatch"),
    ({"package": "myapp\n"}, "$.options.package", "pattern_mismatch"),
    ({"topology_dir": "deploy\n/topology"}, "$.options.topology_dir", "pattern_mismatch"),
    ({"bogus": 1}, "$.options.bogus", "unknown_field"),
    ({"suites": []}, "$.options.suites", "too_short"),
    ({"include_integration": False, "suites": ["integration_redis"]}, "$.options.suites[0]", "not_allowed"),
    ({"broker": "kafkaa"}, "$.options.broker", "not_allowed"),
])
def test_bad_options_name_the_field(options, path, code):
    with pytest.raises(TestGenInputError) as exc:
        generate(ctx(), options)
    assert (exc.value.errors[0].path, exc.value.errors[0].code) == (path, code), exc.value.errors


def test_bad_context_is_reported_with_its_paths():
    bad = ctx()
    bad["requirements"]["throughput"] = "lots"
    with pytest.raises(TestGenInputError) as exc:
        generate(bad)
    assert any(e.path == "$.requirements.throughput" for e in exc.value.errors)


def test_plan_sources_give_the_same_scaffold():
    plan = plan_topology(ctx("cqrs"), knowledge(), "nats_jetstream")
    from_context = generate(ctx("cqrs"), {"broker": "nats_jetstream"})
    from_model = generate(plan)
    from_dict = generate(json.loads(plan.model_dump_json(by_alias=True)))
    assert from_context.model_dump() == from_model.model_dump() == from_dict.model_dump()
    with pytest.raises(TestGenInputError) as exc:
        generate(plan, {"broker": "kafka"})
    assert exc.value.errors[0].path == "$.options.broker"
    with pytest.raises(TestGenInputError) as exc:
        generate({"broker": {"technology": "Apache Kafka"}, "topology": {}})
    assert all(e.path.startswith("$.plan.") for e in exc.value.errors)


def ids(gen: GeneratedTests) -> list[str]:
    return [s.id for s in gen.suites]


def test_suites_follow_use_case_and_guarantees():
    # At-most-once plans no retries and no dead letters, so neither the dlq nor the backoff suite applies.
    relaxed = generate(ctx("pub_sub", delivery="at_most_once", ordering="none"), {"broker": "kafka"})
    assert ids(relaxed) == ["context", "circuit_breaker", "schema", "integration_kafka"]
    eos = ids(generate(ctx("pub_sub", delivery="exactly_once"), {"broker": "kafka"}))
    assert {"idempotency", "transactional", "ordering"} <= set(eos)
    es = ids(generate(ctx("event_sourcing"), {"broker": "kafka"}))
    assert {"event_sourcing", "cqrs", "ordering"} <= set(es) and "saga" not in es
    assert "saga" in ids(generate(ctx("saga"), {"broker": "sqs"}))
    assert "transactional" in ids(generate(ctx("cqrs"), {"broker": "pulsar"}))
    for gen in (relaxed, generate(ctx("saga"), {"broker": "redis_streams"})):
        for suite in gen.suites:
            assert suite.reason and suite.guarantee and suite.files


def test_every_suite_renders_when_requested(tmp_path):
    unit = [s for s in SUITE_IDS if not s.startswith("integration_")]
    gen = generate(ctx("pub_sub", ordering="none"), {"broker": "sqs", "suites": unit + ["integration_nats"]})
    assert ids(gen) == unit + ["integration_nats"]
    assert all(s.reason.startswith("requested") for s in gen.suites)
    for f in gen.files:
        if f.path.endswith(".py"):
            compile(f.content, f.path, "exec")


def test_requested_subset_and_no_integration():
    gen = generate(ctx("work_queue"), {"broker": "rabbitmq", "suites": ["dlq"], "include_integration": False})
    paths = {f.path for f in gen.files}
    assert "tests/test_dlq.py" in paths and "eda_reference/retry.py" in paths
    assert not any(p.startswith("tests/integration") for p in paths)
    assert "requirements-integration.txt" not in paths and "schemas/envelope.v1.avsc" not in paths
    assert gen.requirements == ["pytest>=8"] and gen.integration_requirements == []
    assert gen.commands == ["python -m venv .venv", ".venv/bin/pip install -r requirements.txt", ".venv/bin/pytest -q"]


def test_values_come_from_the_plan():
    gen = generate(ctx("work_queue", ordering="partition"),
                   {"broker": "rabbitmq", "plan_options": {"max_attempts": 7, "domain": "billing"}})
    plan_py = next(f.content for f in gen.files if f.path == "eda_plan.py")
    assert "MAX_ATTEMPTS = 7" in plan_py and "DELAYS_MS = [1000, 2000, 4000, 8000, 16000, 32000]" in plan_py
    assert "DLQ_NAME = 'billing.jobs.v1.dlq'" in plan_py and "ORDERING_KEY = 'aggregate_id'" in plan_py
    assert "'x-delivery-limit': 6" in plan_py  # redeliveries: 6 + 1 = 7 deliveries
    avsc = json.loads(next(f.content for f in gen.files if f.path == "schemas/envelope.v1.avsc"))
    assert avsc["namespace"] == "events.billing.v1"


def test_env_vars_and_kafka_bootstrap():
    gen = generate(ctx("work_queue"), {"broker": "rabbitmq", "kafka_bootstrap": "kafka-1:9092,kafka-2:9092"})
    assert [e.name for e in gen.env_vars] == ["RABBITMQ_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS"]
    assert "KAFKA_BOOTSTRAP_SERVERS=kafka-1:9092,kafka-2:9092" in gen.commands[-1]
    assert gen.integration_requirements == ["pika>=1.3", "redis>=5", "confluent-kafka>=2.3"]
    readme = next(f.content for f in gen.files if f.path == "README.md")
    assert "RABBITMQ_URL" in readme and "tests/integration/test_kafka.py" in readme


def test_generation_is_deterministic():
    a = generate(ctx("saga"), {"broker": "kafka"})
    b = generate(ctx("saga"), {"broker": "kafka"})
    assert a.model_dump() == b.model_dump()


# --- (e) a supplied plan cannot inject code -------------------------------------------------------------------------

INJECTION = 'x"""\nimport os; os.system("touch /tmp/PWNED")\n"""'


def plan_dict(broker: str = "rabbitmq", use_case: str = "work_queue") -> dict:
    return json.loads(plan_topology(ctx(use_case), knowledge(), broker).model_dump_json(by_alias=True))


def system_calls(source: str) -> list[ast.Call]:
    return [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr == "system"]


def _dead_letter(plan: dict) -> int:
    return next(i for i, c in enumerate(plan["channels"]) if c["role"] == "dead_letter" and c["kind"] != "exchange")


@pytest.mark.parametrize("where, value, code", [
    (lambda p: ("channels", _dead_letter(p), "name"), INJECTION, "pattern_mismatch"),
    (lambda p: ("channels", 0, "key"), "events\n", "pattern_mismatch"),
    (lambda p: ("consumer_groups", 0, "name"), "billing'", "pattern_mismatch"),
    (lambda p: ("consumer_groups", 0, "service"), INJECTION, "pattern_mismatch"),
    (lambda p: ("consumer_groups", 0, "channel"), "jobs #", "pattern_mismatch"),
    (lambda p: ("logical_channels", 0, "key"), "", "pattern_mismatch"),
    (lambda p: ("logical_channels", 0, "producers", 0), INJECTION, "pattern_mismatch"),
    (lambda p: ("logical_channels", 0, "ordering_key"), 'aggregate_id"', "pattern_mismatch"),
    (lambda p: ("topology", "topics", 0), INJECTION, "pattern_mismatch"),
    (lambda p: ("retry_policy", "retryable", 0), "TIMEOUT)\nimport os", "pattern_mismatch"),
    (lambda p: ("retry_policy", "non_retryable", 0), INJECTION, "pattern_mismatch"),
    (lambda p: ("retry_policy", "dead_letter_suffix"), '.dlq"""', "pattern_mismatch"),
    (lambda p: ("message_schema", "compatibility"), INJECTION, "not_allowed"),
    (lambda p: ("broker", "technology"), "Apache Kafka\n", "not_allowed"),
    (lambda p: ("broker", "variant"), INJECTION, "not_allowed"),
])
def test_injected_plan_names_are_rejected_with_their_paths(where, value, code, tmp_path):
    plan = plan_dict()
    keys = where(plan)
    target = plan
    for k in keys[:-1]:
        target = target[k]
    target[keys[-1]] = value
    path = "$.plan" + "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)
    with pytest.raises(TestGenInputError) as exc:
        generate(plan)
    assert [(e.path, e.code) for e in exc.value.errors] == [(path, code)], exc.value.errors
    assert exc.value.errors[0].allowed and "allowed" in exc.value.errors[0].message
    if code == "pattern_mismatch":
        assert "A-Za-z0-9" in exc.value.errors[0].allowed


def test_the_reviewed_repro_is_rejected():
    plan = plan_dict()
    i = _dead_letter(plan)
    plan["channels"][i]["name"] = INJECTION
    with pytest.raises(TestGenInputError) as exc:
        generate(plan)
    assert exc.value.errors[0].path == f"$.plan.channels[{i}].name"
    # a TopologyPlan instance changed after validation is checked the same way
    model = plan_topology(ctx("work_queue"), knowledge(), "rabbitmq")
    model.channels[i].name = INJECTION
    with pytest.raises(TestGenInputError) as exc:
        generate(model)
    assert exc.value.errors[0].path == f"$.plan.channels[{i}].name"


@pytest.mark.parametrize("broker", BROKERS + ["rabbitmq.stream", "sqs.fifo"])
def test_supplied_plans_of_every_broker_pass_the_name_check(broker):
    plan = plan_dict(broker, "saga")
    assert generate(plan).model_dump() == generate(ctx("saga"), {"broker": broker}).model_dump()


def test_direct_render_quotes_every_plan_string():
    """Defence in depth: even values that bypass validation end up as string literals, never as code."""
    kb = knowledge()
    plan = plan_topology(ctx("work_queue"), kb, "rabbitmq")
    opts = testgen._parse_options({"suites": list(SUITE_IDS), "kafka_bootstrap": "localhost:9092"})
    values = testgen.plan_values(plan, kb, opts)
    for key, value in list(values.items()):
        if isinstance(value, str):
            values[key] = INJECTION
        elif isinstance(value, list) and value and isinstance(value[0], str):
            values[key] = [INJECTION, INJECTION]
    values["CONTEXT"]["producers"] = [INJECTION]
    assert values["DLQ_NAME"] == values["BROKER"] == values["ORDERING_KEY"] == INJECTION
    chosen = [(s, "requested") for s in SUITE_IDS]
    files = scaffold.render_scaffold(testgen.scaffold_plan(plan, opts, chosen, testgen._resolve_modules(opts), values))
    py = {f.path: f.content for f in files if f.path.endswith(".py")}
    assert "tests/test_dlq.py" in py and "tests/integration/test_rabbitmq.py" in py
    for path, content in py.items():
        compile(content, path, "exec")
        assert not system_calls(content), path
    # the injected text is data: the docstring and the constants hold it verbatim
    assert INJECTION in ast.get_docstring(ast.parse(py["tests/test_dlq.py"]))
    namespace: dict = {}
    exec(compile(py["eda_plan.py"], "eda_plan.py", "exec"), namespace)
    assert namespace["DLQ_NAME"] == INJECTION and namespace["RETRYABLE"] == [INJECTION, INJECTION]


def test_bare_text_in_python_templates_is_refused():
    import jinja2

    env = scaffold.scaffold_environment().overlay(loader=jinja2.DictLoader({
        "bad.py.j2": '"""{{ v }}"""', "good.py.j2": '"""""" {{ v|pyrepr }} ""', "doc.md.j2": "{{ v }}"}))
    with pytest.raises(ValueError, match="pyrepr"):
        env.get_template("bad.py.j2").render(v=INJECTION)
    good = env.get_template("good.py.j2").render(v=INJECTION)
    assert not system_calls(good) and ast.literal_eval(good) == INJECTION
    assert env.get_template("doc.md.j2").render(v="a b") == "a b"

"""Render a ScaffoldPlan into the files of a pytest scaffold (``templates/tests``).

Python files are the dangerous output: every plan-derived string reaches them as one checked Python literal (the
``pyrepr`` filter, or the constants table of ``eda_plan.py``), and the environment's ``finalize`` refuses any other
text that would be pasted into a ``.py`` file unquoted.
"""

from __future__ import annotations

import ast
import importlib
import pprint
import re
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

import jinja2

from event_driven.core.testgen import ENV_VARS, PATTERN_CLASSES, TOPOLOGY_FOLDER, GeneratedFile, ScaffoldPlan, SuiteSpec
from event_driven.errors import echo

TEMPLATE_ROOT = "tests"
# Reference pattern -> what its eda_reference module holds.
PATTERN_PURPOSES = {
    "context": "reference: event-context validation and the partition formula",
    "idempotency": "reference: idempotent consumer over a dedup store (SET NX EX)",
    "transactional": "reference: transactional producer, outbox table and relay (sqlite3)",
    "retry": "reference: error classification, backoff with jitter, DLQ routing, circuit breaker",
    "ordering": "reference: key router and partitioned log",
    "schema": "reference: Avro compatibility (BACKWARD/FORWARD/FULL, transitive) and a registry",
    "eventsourcing": "reference: event store with expected-version append, snapshots, projection rebuild",
    "cqrs": "reference: command handler and idempotent projection",
    "saga": "reference: saga orchestrator with compensation and a saga log",
}
# What a bare {{ expression }} may print into a .py file: words, dotted names, numbers and ', ' lists of them. Anything
# else (quotes, backslashes, newlines, '#') must come through pyrepr.
_PY_BARE = re.compile(r"[A-Za-z0-9_., ]*")


class PyLiteral(str):
    """Text that is one Python literal, checked with ast.literal_eval: safe to paste into Python source."""


def _literal(text: str, value: Any) -> PyLiteral:
    try:
        ok = ast.literal_eval(text) == value
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        ok = False
    if not ok:
        raise ValueError(f"{echo(value)} cannot be written as a Python literal")
    return PyLiteral(text)


def _py(value: Any) -> PyLiteral:
    """A Python literal for a JSON-like value (repr is exact for str/int/float/bool/None/list/dict)."""
    return _literal(pprint.pformat(value, width=110, sort_dicts=False), value)


def pyrepr(value: Any) -> PyLiteral:
    """Jinja filter: a plan-derived value as one Python literal on one line (a str becomes a quoted, escaped str)."""
    if not isinstance(value, (str, int, float, bool, type(None), list, tuple, dict)):
        raise TypeError(f"pyrepr: {type(value).__name__} is not a plain value")
    return _literal(repr(value), value)


@jinja2.pass_context
def _finalize(context: jinja2.runtime.Context, value: Any) -> Any:
    name = context.name or ""
    if not name.endswith(".py.j2") or isinstance(value, PyLiteral):
        return value
    if value is None or isinstance(value, (int, float)):  # bool is an int
        return value
    if isinstance(value, str) and _PY_BARE.fullmatch(value):
        return value
    raise ValueError(f"{name}: {echo(value)} would be pasted into Python source unquoted; use the pyrepr filter")


@lru_cache(maxsize=1)
def scaffold_environment() -> jinja2.Environment:
    """The render environment plus the pyrepr filter, and a finalize that refuses unquoted text in .py files."""
    from event_driven.render import environment

    env = environment().overlay(finalize=_finalize, cache_size=400)  # own cache: templates compile with finalize
    env.filters = dict(env.filters)  # overlay shares the parent's dict: do not add pyrepr to the artifact renderer
    env.filters["pyrepr"] = pyrepr
    return env


def _check_constant_name(name: str) -> PyLiteral:
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
        raise ValueError(f"{echo(name)} is not a constant name")
    return PyLiteral(name)


def suite_template(spec: SuiteSpec) -> str:
    """A suite's template is named after the test module it writes: tests/test_dlq.py <- unit/test_dlq.py.j2."""
    return f"{'integration' if spec.integration else 'unit'}/{PurePosixPath(spec.path).name}.j2"


def _context(scaffold: ScaffoldPlan) -> dict[str, Any]:
    specs = scaffold.specs()
    suite_ids = [s.id for s in specs]
    return {
        "values": scaffold.values,
        "constants": [(_check_constant_name(k), _py(v)) for k, v in scaffold.values.items()],
        "imports": scaffold.imports,
        "user_modules": scaffold.user_modules,
        "pattern_classes": PATTERN_CLASSES,
        "suites": suite_ids,
        "unit_specs": [s for s in specs if not s.integration],
        "integration_specs": [s for s in specs if s.integration],
        "patterns": scaffold.patterns,
        "requirements": scaffold.requirements,
        "integration_requirements": scaffold.integration_requirements,
        "package": scaffold.package,
        "kafka_bootstrap": scaffold.kafka_bootstrap,
        "env_vars": {k: v for k, v in ENV_VARS.items() if v[0] in suite_ids},
        "avro_next": scaffold.avro_next,
        "commands": scaffold.commands,
    }


def _layout(scaffold: ScaffoldPlan) -> list[tuple[str, str, str]]:
    """(path, template, purpose) of every file, in the order they are listed."""
    specs = scaffold.specs()
    unit = [s for s in specs if not s.integration]
    integ = [s for s in specs if s.integration]
    files = [("requirements.txt", "scaffold/requirements.txt.j2", "pip requirements of the unit suites")]
    if integ:
        files.append(("requirements-integration.txt", "scaffold/requirements-integration.txt.j2",
                      "extra requirements of the broker integration tests"))
    files += [
        ("pytest.ini", "scaffold/pytest.ini.j2", "pytest configuration: test paths, import path, markers"),
        ("conftest.py", "scaffold/conftest.py.j2", "shared fixtures: seeded random generator, fake clock, run ids"),
        ("eda_plan.py", "scaffold/eda_plan.py.j2", "the plan's figures the tests prove (attempts, delays, error "
                                                    "classes, thresholds, partitions, DLQ name, ordering key, "
                                                    "envelope)"),
        ("eda_topology.py", "scaffold/eda_topology.py.j2", "loads the rendered topology files the integration "
                                                            "tests apply to the broker"),
        ("eda_reference/__init__.py", "eda_reference/__init__.py.j2", "reference implementation package"),
        ("eda_reference/testing.py", "eda_reference/testing.py.j2",
         "test doubles: MockRedis (a redis-py subset), FakeClock, InMemoryBroker"),
    ]
    files += [(f"eda_reference/{p}.py", f"eda_reference/{p}.py.j2", PATTERN_PURPOSES[p]) for p in scaffold.patterns]
    if any(s.id == "schema" for s in specs):
        files += [("schemas/envelope.v1.avsc", "scaffold/envelope.v1.avsc.j2", "the plan's Avro envelope (version 1)"),
                  ("schemas/envelope.next.avsc", "scaffold/envelope.next.avsc.j2",
                   "the next envelope version: edit it when the envelope changes; test_schema checks it against v1")]
    files.append(("tests/__init__.py", "scaffold/empty.py.j2", "test package marker"))
    files += [(s.path, suite_template(s), f"{s.title}: {s.guarantee}") for s in unit]
    if integ:
        files.append(("tests/integration/__init__.py", "scaffold/empty.py.j2", "test package marker"))
        files += [(s.path, suite_template(s), f"{s.title}: {s.guarantee}") for s in integ]
    files.append(("README.md", "scaffold/README.md.j2", "what each suite proves and how to run it"))
    return files


def topology_files(scaffold: ScaffoldPlan) -> list[GeneratedFile]:
    """The broker's rendered topology (what plan_topology writes for it), copied into topology/ for the integration
    tests to load; none when the user gave their own folder, or when there is no integration test."""
    if scaffold.topology_dir is not None or not any(s.integration for s in scaffold.specs()):
        return []
    from event_driven.render import BROKER_MODULES, environment

    module = importlib.import_module(f"event_driven.render.{BROKER_MODULES[scaffold.broker]}")
    return [GeneratedFile(path=f"{TOPOLOGY_FOLDER}/{a.path}", content=a.content,
                          purpose=f"rendered topology (plan_topology): {a.description}")
            for a in module.render(scaffold.plan, environment(), scaffold.domain)]


def render_scaffold(scaffold: ScaffoldPlan) -> list[GeneratedFile]:
    env = scaffold_environment()
    ctx = _context(scaffold)
    files = [GeneratedFile(path=path, content=env.get_template(f"{TEMPLATE_ROOT}/{template}").render(**ctx),
                           purpose=purpose)
             for path, template, purpose in _layout(scaffold)]
    return files[:-1] + topology_files(scaffold) + files[-1:]  # README.md stays last

"""Render a TopologyPlan into broker-native artifacts with Jinja templates.

Templates render only from the typed plan (and values derived from it), with ``StrictUndefined`` so a missing value is
an error rather than an empty string. Every name in the plan was validated against the broker's naming rules before it
got here; the ``tojson`` and ``shell`` filters quote values for the formats that need it, so no input can inject a line
or a key.

Each broker module exposes ``render(plan, env, domain) -> list[Artifact]`` and is chosen by the broker id; the common
artifacts (AsyncAPI document, Prometheus alert rules and their promtool test, the envelope schemas) are rendered for
every plan.
"""

from __future__ import annotations

import importlib
import json
import shlex
from functools import lru_cache
from typing import Any

import jinja2

from event_driven.core.topology.models import Artifact, PlannedTopology
from event_driven.kb.loader import KnowledgeBase
from event_driven.paths import templates_dir
from event_driven.vocab import BrokerId

# Broker id -> the module under event_driven.render that writes its files.
BROKER_MODULES: dict[BrokerId, str] = {
    "kafka": "kafka",
    "rabbitmq": "rabbitmq",
    "sqs": "sqs",
    "pulsar": "pulsar",
    "nats_jetstream": "nats",
    "redis_streams": "redis",
}


def _tojson(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, indent=indent, sort_keys=False, ensure_ascii=False)


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # the templates ship with the package: no stat() of each file at every render
    )
    env.filters["tojson"] = _tojson
    env.filters["shell"] = lambda v: shlex.quote(str(v))
    return env


def render_plan_artifacts(planned: PlannedTopology, kb: KnowledgeBase) -> list[Artifact]:
    """The broker's own files, then the files every plan gets (AsyncAPI, alert rules, envelope schemas)."""
    from event_driven.render import common

    env = environment()
    module = importlib.import_module(f"event_driven.render.{BROKER_MODULES[planned.broker]}")
    return [*module.render(planned.plan, env, planned.domain), *common.render(planned, env, kb)]

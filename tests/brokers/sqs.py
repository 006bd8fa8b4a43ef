"""SQS: plans and their rendered CloudFormation template, loaded with its intrinsic tags."""

from __future__ import annotations

from typing import Any

import yaml

from event_driven.app.plan import plan_topology
from event_driven.core.topology.models import TopologyPlan
from event_driven.kb.loader import knowledge


def context(use_case: str = "pub_sub", ordering: str = "none", delivery: str = "at_least_once",
            throughput: str = "2K msg/s") -> dict[str, Any]:
    return {
        "use_case": use_case,
        "requirements": {"throughput": throughput, "ordering": ordering, "delivery": delivery, "retention": "4 days"},
        "producers": ["order-service"],
        "consumers": ["notification-service", "analytics-service"],
    }


def plan(use_case: str = "pub_sub", broker: str = "sqs", options: dict[str, Any] | None = None,
         **kw: Any) -> TopologyPlan:
    return plan_topology(context(use_case, **kw), knowledge(), broker=broker, options=options)


def template(p: TopologyPlan) -> str:
    found = [a for a in p.artifacts if a.path == "sqs/cloudformation.yaml"]
    assert len(found) == 1, [a.path for a in p.artifacts]
    return found[0].content


class CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form tags as {'!Tag': value}."""


# Registered here, beside the loader, so every test module that loads a template reads the tags whichever runs first.
for _tag in ("!Ref", "!GetAtt", "!Sub"):
    CfnLoader.add_constructor(_tag, lambda loader, node, t=_tag: {t: loader.construct_scalar(node)})


def load(text: str) -> dict[str, Any]:
    return yaml.load(text, Loader=CfnLoader)  # noqa: S506 - SafeLoader subclass

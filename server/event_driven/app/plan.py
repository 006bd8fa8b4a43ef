"""plan_topology as a use case: the core designs the topology, the renderer writes its files into the plan."""

from __future__ import annotations

from typing import Any

from event_driven.core.selection import SelectionConstraints
from event_driven.core.topology import planner
from event_driven.core.topology.models import TopologyPlan
from event_driven.kb.loader import KnowledgeBase

PlanInputError = planner.PlanInputError


def plan_topology(
    event_context: Any,
    kb: KnowledgeBase,
    broker: Any = None,
    options: Any = None,
    constraints: SelectionConstraints | None = None,
    render: bool = True,
) -> TopologyPlan:
    """The plan with its rendered artifacts (``render=False``: the plan alone, and jinja2 is never loaded)."""
    planned = planner.plan_topology(event_context, kb, broker, options, constraints)
    if not render:
        return planned.plan
    from event_driven.render import render_plan_artifacts  # jinja2 loads when a file is first rendered

    return planned.plan.model_copy(update={"artifacts": render_plan_artifacts(planned, kb)})

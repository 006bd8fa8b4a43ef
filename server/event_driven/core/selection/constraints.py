"""The team's constraints (cloud, deployment, brokers already run, complexity accepted) and the two fits they drive:
operations (how much running it costs this team) and constraints (whether it can run where it must)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.selection.models import Fit, RequirementFit, requirement_fit
from event_driven.core.validation import parse_options_model
from event_driven.kb.brokers import BrokerProfile, Complexity
from event_driven.vocab import SelectableBrokerId

COMPLEXITY_RANK: dict[Complexity, int] = {"low": 0, "medium": 1, "high": 2}
COMPLEXITY_FIT: dict[Complexity, Fit] = {"low": "good", "medium": "acceptable", "high": "poor"}


class SelectionConstraints(BaseModel):
    """Constraints users really have. All optional."""

    model_config = ConfigDict(extra="forbid")

    cloud: Literal["aws", "gcp", "azure", "on_premises", "any"] | None = Field(
        default=None, description="Where it must run: a cloud provider, on_premises, or any."
    )
    deployment: Literal["managed", "self_hosted", "any"] | None = Field(
        default=None, description="Managed service or self-hosted."
    )
    existing_brokers: list[SelectableBrokerId] = Field(
        default_factory=list, description="Broker ids the team already runs (e.g. ['rabbitmq']): a tie-breaker bonus."
    )
    max_complexity: Complexity | None = Field(
        default=None, description="The most operational complexity the team accepts."
    )


def parse_constraints(raw: object) -> SelectionConstraints:
    return parse_options_model(raw, SelectionConstraints, "$.constraints", "constraint")


def managed_offerings(profile: BrokerProfile, cloud: str | None) -> list[str]:
    return [m.name for m in profile.operations.managed_offerings
            if not cloud or cloud in ("any", "on_premises") or cloud in m.clouds or "any" in m.clouds]


def team_runs(broker_id: str, server: str, constraints: SelectionConstraints,
              running_servers: frozenset[str]) -> str | None:
    """What of this option the team already runs: "it", the server it shares with a broker the team runs (Redis
    Streams and Redis Pub/Sub are one Redis), or None."""
    if broker_id in constraints.existing_brokers:
        return "it"
    return f"the {server} server" if server in running_servers else None


def operations_fit(runs: str | None, profile: BrokerProfile, constraints: SelectionConstraints) -> RequirementFit:
    ops = profile.operations
    complexity, why = ops.complexity, ops.complexity_reason
    sources = [ops.complexity_source]
    if runs:
        # The team already pays the operational cost of running it.
        reason = f"complexity {complexity}, but the team already operates {runs}"
        return requirement_fit("operations", "good", reason, *sources)
    offers = managed_offerings(profile, constraints.cloud)
    if constraints.deployment == "managed" and "self_hosted" in ops.deployment and offers and complexity == "high":
        # A managed offering runs the cluster (upgrades, replication, storage); sizing and tuning stay with the team,
        # so it is still more work than a serverless service.
        complexity = "medium"
        why = (f"run as a managed service ({', '.join(offers[:3])}), which takes on cluster operations; "
               f"self-hosted it is {ops.complexity}")
        sources.append(ops.source)
    accepted = constraints.max_complexity
    if accepted and COMPLEXITY_RANK[complexity] > COMPLEXITY_RANK[accepted]:
        reason = f"complexity {complexity} exceeds the accepted {accepted}: {why}"
        return requirement_fit("operations", "disqualified", reason, *sources)
    return requirement_fit("operations", COMPLEXITY_FIT[complexity], f"complexity {complexity}: {why}", *sources)


def _placement_problems(profile: BrokerProfile, c: SelectionConstraints) -> list[str]:
    """Why the broker cannot run where the constraints say it must (empty: it can)."""
    ops = profile.operations
    problems: list[str] = []
    if c.cloud == "on_premises":
        if "self_hosted" not in ops.deployment:
            problems.append("on-premises required but it is only a managed cloud service")
    elif c.cloud and c.cloud != "any" and "any" not in ops.clouds and c.cloud not in ops.clouds:
        problems.append(f"{c.cloud} required but it runs on {', '.join(ops.clouds)}")
    if c.deployment == "managed" and "managed" not in ops.deployment and not managed_offerings(profile, c.cloud):
        problems.append("a managed service is required and none is listed")
    if c.deployment == "self_hosted" and "self_hosted" not in ops.deployment:
        problems.append("self-hosting is required but it is only a managed service")
    return problems


def constraints_fit(runs: str | None, profile: BrokerProfile, c: SelectionConstraints) -> RequirementFit:
    ops = profile.operations
    problems = _placement_problems(profile, c)
    if problems:
        return requirement_fit("constraints", "disqualified", "; ".join(problems), ops.source)
    if "any" not in ops.clouds and not c.cloud:
        clouds = ", ".join(ops.clouds).upper()
        lock_in = f"runs only on {clouds}, and no cloud was stated: pass constraints.cloud if the system lives there"
        return requirement_fit("constraints", "poor", lock_in, ops.source)
    offers = managed_offerings(profile, c.cloud) if c.deployment == "managed" else []
    managed = f"; managed: {', '.join(offers[:3])}" if offers else ""
    if runs:
        return requirement_fit("constraints", "good", f"the team already runs {runs}{managed}", ops.source)
    if c.existing_brokers:
        reason = f"a new broker for the team to operate{managed}"
        return requirement_fit("constraints", "acceptable", reason, ops.source)
    return requirement_fit("constraints", "good", managed.removeprefix("; ") or "no constraint excludes it", ops.source)

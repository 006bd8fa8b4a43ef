"""What select_broker returns: a fit per requirement, a ranking row per option, and the selection."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.rules import RuleWarning

Fit = Literal["good", "acceptable", "poor", "unknown", "disqualified"]
Requirement = Literal[
    "use_case", "delivery", "ordering", "throughput", "retention", "latency", "operations", "constraints",
    "message_size",
]


class RequirementFit(BaseModel):
    requirement: Requirement
    fit: Fit
    reason: str
    sources: list[str] = Field(default_factory=list)
    weight: float = Field(
        default=0.0, description="Weight in the score; 0 when the context does not state the requirement."
    )
    given: bool = Field(default=True, description="False when the context does not state this requirement.")


def requirement_fit(requirement: Requirement, fit: Fit, reason: str, *sources: str | None,
                    given: bool = True) -> RequirementFit:
    """A fit citing ``sources`` (absent ones dropped, so a figure without a source cites nothing)."""
    return RequirementFit(requirement=requirement, fit=fit, reason=reason, sources=[s for s in sources if s],
                          given=given)


def not_given(requirement: Requirement, reason: str) -> RequirementFit:
    """The context does not state this requirement: it carries no weight."""
    return requirement_fit(requirement, "unknown", reason, given=False)


class BrokerRanking(BaseModel):
    rank: int = Field(description="1 is best; options that tie share a rank.")
    broker: str = Field(description="Broker id, e.g. 'kafka'.")
    variant: str | None = Field(default=None, description="Variant id, e.g. 'quorum' for RabbitMQ quorum queues.")
    option: str = Field(description="broker or broker.variant")
    name: str
    score: float = Field(description="0-100 weighted fit; 0 when disqualified.")
    disqualified: bool
    disqualifiers: list[str]
    fits: list[RequirementFit]
    trade_offs: list[str]
    plannable: bool = Field(description="Whether plan_topology can render a design for it.")
    unknowns: int = Field(description="Stated requirements whose fit could not be verified from sourced figures.")


class Tie(BaseModel):
    """Options that score the same and that no sourced difference separates."""

    options: list[str] = Field(description="The options tied for first, in no meaningful order.")
    score: float
    question: str = Field(description="The one question whose answer breaks the tie.")
    differences: list[str] = Field(
        default_factory=list, description="Where the tied options differ on requirements the context leaves out."
    )


class BrokerSelection(BaseModel):
    """select_broker's result."""

    model_config = ConfigDict(extra="forbid")

    winner: str | None = Field(description="The best option that is not disqualified, or null when none is left.")
    runner_up: str | None
    why_winner: list[str] = Field(description="Where the winner beats the runner-up, requirement by requirement.")
    tie: Tie | None = Field(
        default=None, description="Set when the first options tie: which, and the question that breaks the tie."
    )
    rankings: list[BrokerRanking]
    considered: dict[str, str] = Field(description="What the ranking used from the context (normalised).")
    warnings: list[RuleWarning] = Field(default_factory=list, description="validate_context's consistency warnings.")
    notes: list[str]

"""Scores: each stated requirement's fit, weighted; a disqualified option scores 0."""

from __future__ import annotations

from event_driven.core.selection.models import Fit, Requirement, RequirementFit

FIT_SCORE: dict[Fit, float] = {"good": 1.0, "acceptable": 0.65, "unknown": 0.45, "poor": 0.2, "disqualified": 0.0}
WEIGHTS: dict[Requirement, float] = {
    "use_case": 2.0, "delivery": 2.0, "ordering": 2.0, "throughput": 2.0, "retention": 2.0,
    "latency": 1.0, "operations": 1.0, "constraints": 1.5, "message_size": 1.0,
}


def weigh(fits: list[RequirementFit]) -> None:
    """Give each stated requirement its weight; requirements the context leaves out weigh nothing."""
    for f in fits:
        f.weight = WEIGHTS[f.requirement] if f.given else 0.0


def disqualifiers(fits: list[RequirementFit]) -> list[str]:
    return [f"{f.requirement}: {f.reason}" for f in fits if f.fit == "disqualified"]


def score(fits: list[RequirementFit]) -> float:
    """0-100: the weighted mean of the fits; 0 when any requirement disqualifies."""
    if any(f.fit == "disqualified" for f in fits):
        return 0.0
    total = sum(f.weight for f in fits) or 1.0
    return round(100 * sum(f.weight * FIT_SCORE[f.fit] for f in fits) / total, 1)


def unknowns(fits: list[RequirementFit]) -> int:
    """Stated requirements whose fit could not be verified from sourced figures."""
    return sum(1 for f in fits if f.given and f.fit == "unknown")

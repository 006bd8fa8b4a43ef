"""Why the winner beats the runner-up, and each option's trade-offs, in words a reviewer can check."""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.models import BrokerRanking, Tie
from event_driven.core.selection.scoring import FIT_SCORE
from event_driven.kb.brokers import BrokerProfile

GAPS_SHOWN = 2


def _better(a: BrokerRanking, b: BrokerRanking) -> list[str]:
    """The stated requirements on which ``a`` fits better than ``b``."""
    theirs = {f.requirement: f for f in b.fits}
    out: list[str] = []
    for f in a.fits:
        other = theirs.get(f.requirement)
        if other and f.weight and FIT_SCORE[f.fit] > FIT_SCORE[other.fit]:
            out.append(f"{f.requirement}: {a.name} is {f.fit} ({f.reason}) where {b.name} is {other.fit} "
                       f"({other.reason})")
    return out


def why_winner(winner: BrokerRanking, runner: BrokerRanking | None, ahead: str | None, tie: Tie | None) -> list[str]:
    """Why the winner ranks first: a higher score requirement by requirement, or at an equal score the real
    difference ``ahead`` names, or the tie and the question that breaks it."""
    if runner is None:
        return [f"{winner.name} is the only option not disqualified."]
    better = _better(winner, runner)
    if winner.score != runner.score:
        return [f"{winner.name} scores {winner.score} against {runner.name}'s {runner.score}.", *better]
    same_fits = not better and not _better(runner, winner)
    equal = "fit equally on every stated requirement" if same_fits else "score the same"
    pair = f"{winner.name} and {runner.name}"
    if tie is not None:
        more = f" (and {len(tie.options) - 2} more)" if len(tie.options) > 2 else ""
        return [f"{pair}{more} {equal} (score {winner.score}) and no sourced difference separates them: a tie. "
                f"The question that breaks it: {tie.question}"]
    return [f"{pair} {equal} (score {winner.score}); {winner.name} ranks first because {ahead}.", *better]


def trade_offs(profile: BrokerProfile, ctx: NormalizedContext) -> list[str]:
    out: list[str] = []
    if ctx.delivery:
        g = profile.guarantee(ctx.delivery)
        if g.support == "supported" and g.requires:
            out.append(f"{ctx.delivery} requires: " + "; ".join(g.requires))
    dl = profile.dead_lettering
    if dl.dlq in ("application", "none"):
        where = "left to the application" if dl.dlq == "application" else "not available"
        out.append(f"dead-lettering is {where}: {dl.description}")
    if profile.operations.complexity == "high":
        out.append(f"operational complexity is high: {profile.operations.complexity_reason}")
    for gap in profile.gaps[:GAPS_SHOWN]:
        out.append(f"unconfirmed: {gap.field}: {gap.note}")
    return out

"""Why the winner beats the runner-up, and each option's trade-offs, in words a reviewer can check."""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.models import BrokerRanking
from event_driven.core.selection.scoring import FIT_SCORE
from event_driven.kb.brokers import BrokerProfile

GAPS_SHOWN = 2


def why_winner(winner: BrokerRanking, runner: BrokerRanking | None) -> list[str]:
    if runner is None:
        return [f"{winner.name} is the only option not disqualified."]
    theirs = {f.requirement: f for f in runner.fits}
    out: list[str] = []
    for f in winner.fits:
        other = theirs.get(f.requirement)
        if other and f.weight and FIT_SCORE[f.fit] > FIT_SCORE[other.fit]:
            out.append(f"{f.requirement}: {winner.name} is {f.fit} ({f.reason}) where {runner.name} is {other.fit} "
                       f"({other.reason})")
    if not out:
        tie = "fewer unverified figures" if winner.unknowns < runner.unknowns else "listing order"
        return [f"{winner.name} and {runner.name} fit equally on every stated requirement (score {winner.score} vs "
                f"{runner.score}); {winner.name} ranks first by {tie}."]
    return [f"{winner.name} scores {winner.score} against {runner.name}'s {runner.score}.", *out]


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

"""select_broker: every candidate's fits, scored and ranked, with the winner explained."""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.constraints import SelectionConstraints, constraints_fit, operations_fit, team_runs
from event_driven.core.selection.delivery import EFFECTIVELY_ONCE_NOTE, delivery_fit
from event_driven.core.selection.explanation import trade_offs, why_winner
from event_driven.core.selection.knowledge import CANDIDATES, ORDERED_CHANNEL_RULE, Basis, Candidate, candidates
from event_driven.core.selection.latency import latency_fit
from event_driven.core.selection.message_size import message_size_fit
from event_driven.core.selection.models import BrokerRanking, BrokerSelection, RequirementFit
from event_driven.core.selection.ordering import ordering_fit
from event_driven.core.selection.retention import retention_fit
from event_driven.core.selection.scoring import disqualifiers, score, unknowns, weigh
from event_driven.core.selection.throughput import throughput_fit
from event_driven.core.selection.ties import Entry, breaker_keys, tie_report, tied, why_ahead
from event_driven.core.selection.use_case import use_case_fit
from event_driven.kb.brokers import BrokerKnowledge
from event_driven.kb.common import SourcedNumber
from event_driven.kb.sources import SourceBook

CANDIDATE_ORDER = [f"{b}.{v}" if v else b for b, v in CANDIDATES]
NO_QUALIFIED_OPTION = "Every broker is disqualified: relax the requirement each disqualifier names (see rankings)."


def _fits(c: Candidate, ctx: NormalizedContext, constraints: SelectionConstraints, basis: Basis,
          runs: str | None) -> list[RequirementFit]:
    fits = [
        use_case_fit(c, ctx, basis),
        delivery_fit(c.profile, ctx, basis),
        ordering_fit(c, ctx, basis),
        throughput_fit(c, ctx, basis),
        retention_fit(c.profile, ctx, basis),
        latency_fit(c.profile, ctx),
        operations_fit(runs, c.profile, constraints),
        constraints_fit(runs, c.profile, constraints),
    ]
    size = message_size_fit(c.profile, ctx)
    if size is not None:
        fits.append(size)
    weigh(fits)
    return fits


def _ranking(c: Candidate, ctx: NormalizedContext, constraints: SelectionConstraints, basis: Basis,
             running_servers: frozenset[str]) -> BrokerRanking:
    fits = _fits(c, ctx, constraints, basis, team_runs(c.broker, c.server, constraints, running_servers))
    against = disqualifiers(fits)
    return BrokerRanking(
        rank=0, broker=c.broker, variant=c.variant, option=c.option, name=c.name, score=score(fits),
        disqualified=bool(against), disqualifiers=against, fits=fits, trade_offs=trade_offs(c.profile, ctx),
        plannable=c.plannable, unknowns=unknowns(fits),
    )


def _considered(ctx: NormalizedContext, size: int) -> dict[str, str]:
    """What the ranking used from the context, normalised; the message size says when it was assumed."""
    skip = ("producers", "consumers")
    considered = {k: str(v) for k, v in ctx.model_dump().items() if v not in (None, [], 0) and k not in skip}
    considered["message_size_bytes"] = f"{size}" + ("" if ctx.message_size_bytes else " (assumed)")
    return considered


def _rank(ctx: NormalizedContext, kb: BrokerKnowledge, constraints: SelectionConstraints,
          basis: Basis) -> list[Entry]:
    """Every option, best first: by score, then by the real differences in ``ties.BREAKERS``; options still equal
    share a rank (their order among themselves means nothing)."""
    options = candidates(kb)
    running = frozenset(c.server for c in options if c.broker in constraints.existing_brokers)
    entries = [Entry(_ranking(c, ctx, constraints, basis, running), c) for c in options]
    entries.sort(key=lambda e: (e.row.disqualified, -e.row.score, *breaker_keys(e, ctx),
                                CANDIDATE_ORDER.index(e.row.option)))
    for i, e in enumerate(entries):
        previous = entries[i - 1] if i else None
        e.row.rank = previous.row.rank if previous and tied(previous, e, ctx) else i + 1
    return entries


def _notes(rows: list[BrokerRanking], ctx: NormalizedContext, kb: BrokerKnowledge, constraints: SelectionConstraints,
           basis: Basis) -> list[str]:
    notes = [EFFECTIVELY_ONCE_NOTE] if ctx.delivery == "exactly_once" else []
    if any(not r.disqualified for r in rows):
        return notes
    notes.append(NO_QUALIFIED_OPTION)
    if ctx.ordering == "global" and ctx.throughput_msg_per_s:
        # What the global-ordering rule recommends instead: per-key order, ranked on the same requirements.
        per_key = _rank(ctx.model_copy(update={"ordering": "partition"}), kb, constraints, basis)
        best = next((e.row for e in per_key if not e.row.disqualified), None)
        if best is not None:
            notes.append(f"No option carries {ctx.throughput_msg_per_s:,} msg/s in one global order. Ordered per key "
                         f"instead (ordering: partition, as rule {ORDERED_CHANNEL_RULE} recommends), the best option "
                         f"is {best.name} ({best.option}, score {best.score}).")
    return notes


def select_broker(ctx: NormalizedContext, kb: BrokerKnowledge, constraints: SelectionConstraints | None = None, *,
                  message_size_bytes: int, ordered_channel: SourcedNumber, sources: SourceBook) -> BrokerSelection:
    """Rank every candidate. The keyword arguments come from :func:`selection_figures`: the message size assumed when
    the context gives none, the project's rule for one ordered channel (used where a broker has no per-unit figure),
    and the source book fits cite."""
    constraints = constraints or SelectionConstraints()
    size = ctx.message_size_bytes or message_size_bytes
    basis = Basis(size, ordered_channel, sources)
    entries = _rank(ctx, kb, constraints, basis)
    rows = [e.row for e in entries]
    qualified = [e for e in entries if not e.row.disqualified]
    winner = qualified[0] if qualified else None
    runner = qualified[1] if len(qualified) > 1 else None
    leaders = [e for e in qualified if winner and tied(winner, e, ctx)]
    tie = tie_report(leaders, ctx, size) if len(leaders) > 1 else None
    ahead = why_ahead(winner, runner, ctx) if winner and runner else None
    return BrokerSelection(
        winner=winner.row.option if winner else None, runner_up=runner.row.option if runner else None,
        why_winner=why_winner(winner.row, runner.row if runner else None, ahead, tie) if winner else [], tie=tie,
        rankings=rows, considered=_considered(ctx, size),
        notes=_notes(rows, ctx, kb, constraints, basis),
    )

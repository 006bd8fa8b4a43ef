"""Equal scores: broken by a real difference between the options, or reported as a tie with the question whose answer
breaks it. Listing order never decides anything a user reads.

A breaker is a sourced property the score does not weigh: how many fits rest on unverified figures, and how the
broker handles messages that keep failing (dead-lettering). When none separates the leaders, :func:`tie_report` looks
for a requirement the context leaves out on which they differ (ordering, throughput ceiling, replay, message size)
and asks about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.capacity import aggregate
from event_driven.core.selection.knowledge import Candidate
from event_driven.core.selection.models import BrokerRanking, Tie
from event_driven.kb.brokers import DeadLettering, FeatureSupport, OrderingScope

# Where dead-lettering lives, best first; a default bound on redeliveries counts half a step.
DLQ_RANK: dict[FeatureSupport, int] = {"broker_native": 3, "client_library": 2, "application": 1, "none": 0}
DLQ_WORDS: dict[FeatureSupport, str] = {
    "broker_native": "dead-letters in the broker", "client_library": "dead-letters in its client library",
    "application": "leaves dead-lettering to the application", "none": "has no dead-lettering",
}
UNIT_OF_WORK_USE_CASES: frozenset[str] = frozenset({"work_queue", "saga"})
EXISTING_BROKER_QUESTION = ("Which of them does the team already run? Name it in constraints.existing_brokers: a "
                            "broker the team already operates breaks the tie.")
# Ask about growth only when the stated rate is within this factor of the lowest sourced ceiling (editorial).
HEADROOM_WORTH_ASKING = 10
# How much order an option can keep when the context does not ask: none, within one unit, per key across many units.
ORDER_CLASS: dict[OrderingScope, int] = {
    "none": 0, "best_effort": 0, "per_queue": 1, "per_stream": 1, "per_publisher": 1, "per_channel": 1,
    "per_partition": 2, "per_key": 2, "per_message_group": 2, "per_shard": 2,
}


@dataclass(frozen=True)
class Entry:
    """A ranking row with the candidate it was computed for."""

    row: BrokerRanking
    candidate: Candidate


@dataclass(frozen=True)
class Breaker:
    """A real difference that orders equal scores: ``key`` (lower ranks first) and the sentence that says why."""

    key: Callable[[Entry, NormalizedContext], int]
    says: Callable[[Entry, Entry], str]


def _dead_letters(dl: DeadLettering) -> str:
    limit = dl.default_delivery_limit
    bound = f", bounding redeliveries at {limit.value:g} by default" if limit else ""
    names = f" ({', '.join(dl.config_names[:2])})" if dl.config_names and dl.dlq != "application" else ""
    return f"{DLQ_WORDS[dl.dlq]}{names}{bound}"


def _dead_letter_key(e: Entry, ctx: NormalizedContext) -> int:
    # Where each message is a unit of work (a job, a saga step), what happens to one that keeps failing is part of
    # the design; in fan-out and log use cases it is not what decides. At most once nothing is redelivered.
    if ctx.use_case not in UNIT_OF_WORK_USE_CASES or ctx.delivery == "at_most_once":
        return 0
    dl = e.candidate.profile.dead_lettering
    return -(2 * DLQ_RANK[dl.dlq] + (1 if dl.default_delivery_limit else 0))


def _dedupe_key(e: Entry, ctx: NormalizedContext) -> int:
    """exactly_once read as effectively once: broker-side deduplication still means fewer duplicates to absorb."""
    if ctx.delivery != "exactly_once":
        return 0
    return 0 if e.candidate.profile.guarantee("exactly_once").support == "supported" else 1


def _dedupe_says(a: Entry, b: Entry) -> str:
    return (f"{a.row.name} deduplicates inside the broker where {b.row.name} has no broker-side exactly-once, so fewer "
            "duplicates reach the idempotent consumer both need")


BREAKERS: tuple[Breaker, ...] = (
    Breaker(key=lambda e, ctx: e.row.unknowns,
            says=lambda a, b: f"{a.row.name} rests on fewer unverified figures ({a.row.unknowns} against "
                              f"{b.row.unknowns})"),
    Breaker(key=_dedupe_key, says=_dedupe_says),
    Breaker(key=_dead_letter_key,
            says=lambda a, b: f"for messages that keep failing, {a.row.name} "
                              f"{_dead_letters(a.candidate.profile.dead_lettering)}, where {b.row.name} "
                              f"{_dead_letters(b.candidate.profile.dead_lettering)}"),
)


def breaker_keys(e: Entry, ctx: NormalizedContext) -> tuple[int, ...]:
    return tuple(b.key(e, ctx) for b in BREAKERS)


def why_ahead(a: Entry, b: Entry, ctx: NormalizedContext) -> str | None:
    """The first real difference that puts ``a`` ahead of ``b`` at an equal score (None: nothing separates them)."""
    for breaker in BREAKERS:
        if breaker.key(a, ctx) < breaker.key(b, ctx):
            return breaker.says(a, b)
    return None


def tied(a: Entry, b: Entry, ctx: NormalizedContext) -> bool:
    both_qualified = not a.row.disqualified and not b.row.disqualified
    return both_qualified and a.row.score == b.row.score and breaker_keys(a, ctx) == breaker_keys(b, ctx)


# --- the question that breaks a tie -----------------------------------------------------------------------------------

Difference = tuple[str, str]  # (question, what differs)


def _names(entries: list[Entry], describe: Callable[[Entry], str]) -> str:
    return "; ".join(f"{e.row.name} {describe(e)}" for e in entries)


def _ordering(entries: list[Entry], ctx: NormalizedContext) -> Difference | None:
    classes = {max(ORDER_CLASS[o.scope] for o in e.candidate.profile.ordering) for e in entries}
    if ctx.ordering is not None or len(classes) == 1:
        return None
    what = _names(entries, lambda e: "orders " + " or ".join(
        o.scope.replace("_", " ") for o in e.candidate.profile.ordering))
    return "Do messages need to stay in order (per key or globally)? Ordering is not stated, and " + what + ".", what


def _throughput(entries: list[Entry], ctx: NormalizedContext, size: int) -> Difference | None:
    ceilings = [aggregate(e.candidate.profile, size) for e in entries]
    if len({c.msg_per_s for c in ceilings}) == 1:
        return None
    what = "; ".join(f"{e.row.name} {c.how if c.msg_per_s else 'has no sourced ceiling'}"
                     for e, c in zip(entries, ceilings, strict=True))
    known = [c.msg_per_s for c in ceilings if c.msg_per_s]
    lowest = min(known) if known else None
    rate = ctx.throughput_msg_per_s
    if rate is None or lowest is None:
        return f"What peak throughput must it carry? The sourced ceilings differ: {what}.", what
    if rate * HEADROOM_WORTH_ASKING < lowest:
        return None  # far below every ceiling: growth would not decide between them
    return f"Will peak throughput grow past {lowest:,.0f} msg/s? The sourced ceilings differ: {what}.", what


def _replay_words(e: Entry) -> str:
    return "can replay" if e.candidate.profile.retention.replay.supported else "cannot replay"


def _replay(entries: list[Entry], ctx: NormalizedContext) -> Difference | None:
    supported = [e.candidate.profile.retention.replay.supported for e in entries]
    if ctx.replay is not None or ctx.use_case == "event_sourcing" or len(set(supported)) == 1:
        return None
    what = _names(entries, _replay_words)
    return f"Will consumers need to re-read past messages (replay)? {what}.", what


def _message_size(entries: list[Entry], ctx: NormalizedContext) -> Difference | None:
    limits = [e.candidate.profile.max_message_size.max_bytes for e in entries]
    values = {lim.value if lim else None for lim in limits}
    if ctx.message_size_bytes is not None or len(values) == 1:
        return None
    what = "; ".join(f"{e.row.name} accepts up to {lim.value:,.0f} bytes by default" if lim
                     else f"{e.row.name} has no sourced limit" for e, lim in zip(entries, limits, strict=True))
    return f"How large can one message get? {what}.", what


def tie_report(entries: list[Entry], ctx: NormalizedContext, message_size: int) -> Tie:
    """The options tied for first, and the question whose answer breaks the tie."""
    found = [d for d in (_ordering(entries, ctx), _throughput(entries, ctx, message_size), _replay(entries, ctx),
                         _message_size(entries, ctx)) if d is not None]
    question = found[0][0] if found else EXISTING_BROKER_QUESTION
    return Tie(options=[e.row.option for e in entries], score=entries[0].row.score, question=question,
               differences=[what for _, what in found])

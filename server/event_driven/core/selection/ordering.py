"""The ordering fit: per-key order from a keyed unit, global order through one ordered unit at the stated rate."""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.capacity import one_ordered_unit
from event_driven.core.selection.knowledge import Basis, Candidate
from event_driven.core.selection.models import RequirementFit, requirement_fit
from event_driven.kb.brokers import OrderingMode, OrderingScope

KEYED_SCOPES: tuple[OrderingScope, ...] = ("per_partition", "per_key", "per_message_group", "per_shard")
UNORDERED_SCOPES: frozenset[OrderingScope] = frozenset({"none", "best_effort"})


def _words(scope: str) -> str:
    return scope.replace("_", " ")


def ordering_fit(c: Candidate, ctx: NormalizedContext, basis: Basis) -> RequirementFit:
    scopes: dict[OrderingScope, OrderingMode] = {o.scope: o for o in c.profile.ordering}
    ordering = ctx.ordering
    if ordering in (None, "none"):
        return requirement_fit("ordering", "good", "no ordering required", given=ordering is not None)
    first = next(iter(scopes.values()))
    if set(scopes) <= UNORDERED_SCOPES:
        reason = f"{ordering} ordering required but the broker only offers {_words(first.scope)} ordering"
        return requirement_fit("ordering", "disqualified", reason, first.source)
    if ordering == "partition":
        return _per_key_fit(scopes, first)
    return _global_fit(c, ctx, basis, first)


def _per_key_fit(scopes: dict[OrderingScope, OrderingMode], first: OrderingMode) -> RequirementFit:
    mode = next((m for s in KEYED_SCOPES if (m := scopes.get(s)) is not None), None)
    if mode is not None:
        return requirement_fit("ordering", "good", f"per-key order via {mode.provided_by}", mode.source)
    reason = (f"order is {_words(first.scope)}: keep per-key order by routing each key range to its own "
              f"{first.scope.removeprefix('per_')} with one active consumer ({first.provided_by})")
    return requirement_fit("ordering", "acceptable", reason, first.source)


def _global_fit(c: Candidate, ctx: NormalizedContext, basis: Basis, first: OrderingMode) -> RequirementFit:
    """Global order: everything through one ordered unit, checked against what one unit is documented to carry."""
    unit = c.profile.parallelism.unit
    capacity = one_ordered_unit(c.option, c.profile, basis.message_size)
    rate = ctx.throughput_msg_per_s
    if rate is None:
        reason = "global order through one ordered unit; no throughput given to check it against"
        return requirement_fit("ordering", "acceptable", reason, first.source)
    if capacity.msg_per_s is None:
        if rate > basis.ordered_channel_msg_per_s:
            # No broker-specific figure: fall back on the seed rule for one ordered channel.
            reason = (f"global order means one {unit}; {capacity.how}, and the seed rule takes one ordered "
                      f"channel as about {basis.ordered_channel_msg_per_s:,.0f} msg/s, below {rate:,} msg/s")
            return requirement_fit("ordering", "poor", reason, first.source, basis.seed)
        reason = f"global order means one {unit}; {capacity.how}, so {rate:,} msg/s on one unit is unverified"
        return requirement_fit("ordering", "unknown", reason, first.source)
    if rate > capacity.msg_per_s:
        reason = (f"global order means one {unit}, which carries about {capacity.msg_per_s:,.0f} msg/s "
                  f"({capacity.how}); {rate:,} msg/s is more")
        return requirement_fit("ordering", "disqualified", reason, capacity.source)
    reason = f"one {unit} carries about {capacity.msg_per_s:,.0f} msg/s ({capacity.how}), enough for {rate:,} msg/s"
    return requirement_fit("ordering", "good", reason, capacity.source)

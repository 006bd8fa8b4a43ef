"""The ordering fit: per-key order from a keyed unit, global order through one ordered unit at the stated rate."""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.capacity import one_ordered_unit
from event_driven.core.selection.knowledge import ORDERED_CHANNEL_RULE, Basis, Candidate
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
    """Global order: everything through one ordered unit, checked against what one unit is documented to carry, or
    else against the project's rule for one ordered channel (the rule validate_context warns with)."""
    unit = c.profile.parallelism.unit.replace("_", " ")
    capacity = one_ordered_unit(c.profile, basis.message_size)
    rate = ctx.throughput_msg_per_s
    if rate is None:
        reason = "global order through one ordered unit; no throughput given to check it against"
        return requirement_fit("ordering", "acceptable", reason, first.source)
    if capacity.msg_per_s is None:
        return _global_by_rule(unit, rate, basis, first)
    if rate > capacity.msg_per_s:
        reason = (f"global order means one {unit}, which carries about {capacity.msg_per_s:,.0f} msg/s "
                  f"({capacity.how}); {rate:,} msg/s is more")
        return requirement_fit("ordering", "disqualified", reason, capacity.source)
    reason = f"one {unit} carries about {capacity.msg_per_s:,.0f} msg/s ({capacity.how}), enough for {rate:,} msg/s"
    return requirement_fit("ordering", "good", reason, capacity.source)


def _global_by_rule(unit: str, rate: int, basis: Basis, first: OrderingMode) -> RequirementFit:
    """No source states what one ordered unit of this broker carries (aggregate or cluster-wide benchmarks do not
    count): the project's own rule decides, so selection never contradicts the warning validate_context raises."""
    limit = basis.ordered_channel_msg_per_s
    rule = f"rule {ORDERED_CHANNEL_RULE} takes one ordered channel as about {limit:,.0f} msg/s"
    if rate > limit:
        reason = (f"global order means one {unit}, no source states what one {unit} carries, and the project's {rule}, "
                  f"below {rate:,} msg/s; order per key instead")
        return requirement_fit("ordering", "disqualified", reason, first.source, basis.ordered_channel.source)
    reason = (f"global order through one {unit}: {rate:,} msg/s is within the project's {rule} (a seed estimate; no "
              f"source states one {unit}'s rate)")
    return requirement_fit("ordering", "acceptable", reason, first.source, basis.ordered_channel.source)

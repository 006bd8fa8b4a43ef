"""The throughput fit: the stated rate against the broker's sourced envelope, or the units it needs to scale out."""

from __future__ import annotations

import math

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.capacity import aggregate, one_ordered_unit
from event_driven.core.selection.knowledge import Basis, Candidate
from event_driven.core.selection.models import Fit, RequirementFit, not_given, requirement_fit

SCALE_OUT_UNITS = frozenset({"partition", "shard"})
# Managed streams sized in capacity units (Kinesis shards, Event Hubs throughput units): how a unit reads in a reason.
CAPACITY_UNIT_NAMES = {"kinesis": "shard", "azure_event_hubs": "throughput unit"}
# Editorial: past this many capacity units the sizing is a project of its own, so the fit drops to acceptable.
MANY_CAPACITY_UNITS = 200


def throughput_fit(c: Candidate, ctx: NormalizedContext, basis: Basis) -> RequirementFit:
    rate = ctx.throughput_msg_per_s
    if rate is None:
        return not_given("throughput", "no throughput given")
    unbounded = c.profile.throughput.unbounded
    if unbounded is not None:  # the source states no ceiling at all
        return requirement_fit("throughput", "good", f"{rate:,} msg/s: {unbounded.text}", unbounded.source)
    unit = c.profile.parallelism.unit
    scales = unit in SCALE_OUT_UNITS
    envelope = aggregate(c.profile, basis.message_size)
    if envelope.msg_per_s is None:
        fit: Fit = "acceptable" if scales else "unknown"
        extra = f"; scales out by adding {unit}s" if scales else ""
        return requirement_fit("throughput", fit, f"{envelope.how} for {rate:,} msg/s{extra}", envelope.source)
    if c.broker in CAPACITY_UNIT_NAMES:
        return _capacity_units_fit(c, rate, basis)
    if envelope.msg_per_s >= rate:
        return requirement_fit("throughput", "good", f"{rate:,} msg/s is within {envelope.how}", envelope.source)
    if scales:
        reason = f"{rate:,} msg/s exceeds the sourced figure ({envelope.how}); add {unit}s"
        return requirement_fit("throughput", "acceptable", reason, envelope.source)
    return requirement_fit("throughput", "poor", f"{rate:,} msg/s exceeds {envelope.how}", envelope.source)


def _capacity_units_fit(c: Candidate, rate: int, basis: Basis) -> RequirementFit:
    single = one_ordered_unit(c.profile, basis.message_size)
    needed = math.ceil(rate / single.msg_per_s) if single.msg_per_s else None
    fit: Fit = "good" if needed and needed <= MANY_CAPACITY_UNITS else "acceptable"
    reason = f"{rate:,} msg/s needs about {needed} {CAPACITY_UNIT_NAMES[c.broker]}s at {single.how}"
    return requirement_fit("throughput", fit, reason, single.source)

"""The latency fit: the target against the broker's lowest sourced typical latency."""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.models import RequirementFit, not_given, requirement_fit
from event_driven.kb.brokers import BrokerProfile

# Editorial: a target under twice the typical latency leaves little headroom for percentiles and load.
HEADROOM_FACTOR = 2


def latency_fit(profile: BrokerProfile, ctx: NormalizedContext) -> RequirementFit:
    target = ctx.latency_ms
    if target is None:
        return not_given("latency", "no latency target given")
    figures = profile.latency.figures
    if not figures:
        return requirement_fit("latency", "unknown", f"no sourced latency figure to compare with {target} ms")
    f = min(figures, key=lambda e: e.figure.value)
    typical = float(f.figure.value)
    label = f"~{typical:g} ms ({f.basis.replace('_', ' ')})"
    if target < typical:
        return requirement_fit("latency", "poor", f"target {target} ms is below the typical {label}", f.figure.source)
    if target < HEADROOM_FACTOR * typical:
        reason = f"target {target} ms is close to the typical {label}"
        return requirement_fit("latency", "acceptable", reason, f.figure.source)
    return requirement_fit("latency", "good", f"target {target} ms is well above the typical {label}", f.figure.source)

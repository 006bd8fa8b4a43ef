"""The retention fit: replay the broker must offer, and how long it must keep messages."""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.knowledge import Basis
from event_driven.core.selection.models import RequirementFit, requirement_fit
from event_driven.kb.brokers import BrokerProfile

MESSAGE_TTL_SOURCE_ID = "rabbitmq-ttl"


def retention_fit(profile: BrokerProfile, ctx: NormalizedContext, basis: Basis) -> RequirementFit:
    ret = profile.retention
    needs_forever = ctx.use_case == "event_sourcing" or ctx.replay == "full"
    needs_replay = needs_forever or ctx.replay == "window"
    src = ret.replay.source
    max_h = ret.max_retention.value if ret.max_retention else None
    cap = ret.max_retention.source if ret.max_retention else None
    if needs_replay and not ret.replay.supported:
        event_sourcing = ctx.use_case == "event_sourcing"
        why = "event sourcing replays the log" if event_sourcing else f"replay '{ctx.replay}' is required"
        reason = f"{why}, but the broker has no replay: {ret.replay.note or ret.model + ' semantics'}"
        return requirement_fit("retention", "disqualified", reason, src)
    if needs_forever and not ret.unbounded:
        if max_h is not None:
            reason = f"events must be kept without end, but retention is capped at {max_h:,.0f} hours"
            return requirement_fit("retention", "disqualified", reason, src, cap)
        reason = "events must be kept without end; unbounded retention is not confirmed for this broker"
        return requirement_fit("retention", "unknown", reason, src, cap)
    wanted = max(ctx.retention_hours or 0, ctx.replay_hours or 0) or None
    if wanted is not None and ret.model == "none":
        reason = f"{wanted:,} hours of retention requested, but nothing is stored: {ret.replay.note or 'no retention'}"
        return requirement_fit("retention", "disqualified", reason, src)
    if wanted is not None and max_h is not None and wanted > max_h:
        reason = f"{wanted:,} hours requested, maximum is {max_h:,.0f} hours"
        return requirement_fit("retention", "disqualified", reason, src, cap)
    if needs_forever:
        how = ret.unbounded_how or "retention without a time limit"
        reason = f"keeps the log without end ({how}); replay via {ret.replay.mechanism}"
        return requirement_fit("retention", "good", reason, src, cap, ret.unbounded_source)
    if needs_replay:
        return requirement_fit("retention", "good", f"replay via {ret.replay.mechanism}", src, cap)
    if wanted is None:
        return requirement_fit("retention", "good", "no retention requirement given", src, cap, given=False)
    if max_h is None and ret.model == "queue":
        reason = (f"a queue keeps messages until they are acknowledged (no documented time limit); a message TTL can "
                  f"expire unconsumed ones after {wanted:,} hours")
        return requirement_fit("retention", "good", reason, src, cap, basis.sources.url(MESSAGE_TTL_SOURCE_ID))
    limit = f" of {max_h:,.0f} hours" if max_h else ""
    return requirement_fit("retention", "good", f"{wanted:,} hours is within the limit{limit}", src, cap)

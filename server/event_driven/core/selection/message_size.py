"""The message-size fit: stated only when a message is larger than the broker's default maximum."""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.models import RequirementFit, requirement_fit
from event_driven.kb.brokers import BrokerProfile


def message_size_fit(profile: BrokerProfile, ctx: NormalizedContext) -> RequirementFit | None:
    """A poor fit when the stated message size exceeds the default maximum; None when it fits or is not stated."""
    limit = profile.max_message_size.max_bytes
    size = ctx.message_size_bytes
    if not size or limit is None or size <= limit.value:
        return None
    reason = f"{size:,} bytes exceeds the default maximum of {limit.value:,.0f} bytes; use a claim check"
    return requirement_fit("message_size", "poor", reason, limit.source)

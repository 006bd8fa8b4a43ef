"""The delivery fit: whether the broker gives the guarantee the context asks for, and at what cost."""

from __future__ import annotations

from event_driven.core.selection.models import RequirementFit, not_given, requirement_fit
from event_driven.kb.brokers import BrokerProfile
from event_driven.vocab import Delivery


def delivery_fit(profile: BrokerProfile, delivery: Delivery | None) -> RequirementFit:
    if delivery is None:
        return not_given("delivery", "no delivery guarantee given")
    g = profile.guarantee(delivery)
    if g.support == "supported":
        needs = "; ".join(g.requires) if g.requires else "no special settings"
        scope = f" ({g.scope})" if g.scope else ""
        return requirement_fit("delivery", "good", f"{delivery} supported{scope}: {needs}", g.source)
    if g.support == "not_supported":
        note = f": {g.note}" if g.note else ""
        return requirement_fit("delivery", "disqualified", f"{delivery} is not supported{note}", g.source)
    if delivery == "at_most_once":
        return requirement_fit(
            "delivery", "acceptable",
            "at_most_once not documented as a mode; achievable by acknowledging before processing", g.source,
        )
    return requirement_fit("delivery", "unknown", f"{delivery}: unconfirmed ({g.note or 'no source found'})", g.source)

"""The delivery fit: whether the broker gives the guarantee the context asks for, and at what cost.

exactly_once is read the way the project's own warning (rule exactly_once_complexity) reads it: effectively once is
at-least-once delivery plus an idempotent consumer, unless the whole exactly-once boundary lies inside one broker
(consume-transform-produce with Kafka transactions, for instance). Broker-side exactly-once therefore fits fully only
where the boundary can lie inside the broker; everywhere else every broker with at-least-once delivery fits partially,
and the reason says what the consumer must do.
"""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.knowledge import Basis
from event_driven.core.selection.models import Fit, RequirementFit, not_given, requirement_fit
from event_driven.kb.brokers import BrokerProfile, GuaranteeSupport
from event_driven.vocab import UseCase

EXACTLY_ONCE_RULE = "exactly_once_complexity"
IDEMPOTENT_CONSUMER_SOURCE_ID = "microservices-communication-style-idempotent-consumer"
# Use cases whose side effects lie outside the broker by nature: a job's work, a saga participant's own database.
BOUNDARY_OUTSIDE_BROKER: frozenset[UseCase] = frozenset({"work_queue", "saga"})
EFFECTIVELY_ONCE_NOTE = (
    f"exactly_once is read as rule {EXACTLY_ONCE_RULE} says: effectively once is at-least-once delivery plus an "
    "idempotent consumer (processed message ids recorded in the same transaction as the state change), unless the "
    "whole exactly-once boundary lies inside one broker (consume-transform-produce with Kafka transactions, for "
    "instance). Broker-side exactly-once fits fully only there; every other option with at-least-once delivery fits "
    "partially, and its delivery reason says why."
)


def delivery_fit(profile: BrokerProfile, ctx: NormalizedContext, basis: Basis) -> RequirementFit:
    delivery = ctx.delivery
    if delivery is None:
        return not_given("delivery", "no delivery guarantee given")
    if delivery == "exactly_once":
        return _exactly_once_fit(profile, ctx, basis)
    g = profile.guarantee(delivery)
    if g.support == "supported":
        return requirement_fit("delivery", "good", f"{delivery} supported{_scope(g)}: {_needs(g)}", g.source)
    if g.support == "not_supported":
        note = f": {g.note}" if g.note else ""
        return requirement_fit("delivery", "disqualified", f"{delivery} is not supported{note}", g.source)
    if delivery == "at_most_once":
        return requirement_fit(
            "delivery", "acceptable",
            "at_most_once not documented as a mode; achievable by acknowledging before processing", g.source,
        )
    return requirement_fit("delivery", "unknown", f"{delivery}: unconfirmed ({g.note or 'no source found'})", g.source)


def _scope(g: GuaranteeSupport) -> str:
    return f" ({g.scope})" if g.scope else ""


def _needs(g: GuaranteeSupport) -> str:
    return "; ".join(g.requires) if g.requires else "no special settings"


def _exactly_once_fit(profile: BrokerProfile, ctx: NormalizedContext, basis: Basis) -> RequirementFit:
    eo, alo = profile.guarantee("exactly_once"), profile.guarantee("at_least_once")
    boundary_inside = ctx.use_case not in BOUNDARY_OUTSIDE_BROKER
    if eo.support == "supported" and boundary_inside:
        reason = (f"exactly_once supported inside the broker{_scope(eo)}: {_needs(eo)}; side effects outside the "
                  "broker still need an idempotent consumer")
        return requirement_fit("delivery", "good", reason, eo.source)
    if alo.support != "supported":
        reason = (f"exactly_once: no broker-side exactly-once ({eo.note or eo.support.replace('_', ' ')}) and no "
                  "at-least-once delivery to build effectively-once on")
        return requirement_fit("delivery", "disqualified", reason, eo.source, alo.source)
    if eo.support == "supported":
        why = (f"the broker deduplicates inside its own boundary{_scope(eo)}, but a {ctx.use_case}'s side effects lie "
               "outside it")
    else:
        why = f"no broker-side exactly-once ({eo.note or eo.support.replace('_', ' ')})"
    fit: Fit = "poor" if ctx.idempotent_consumers is False else "acceptable"
    declared = "; the consumers are declared non-idempotent, so they must be made idempotent" if fit == "poor" else ""
    reason = (f"effectively once (rule {EXACTLY_ONCE_RULE}): {why}; at-least-once ({_needs(alo)}) plus an idempotent "
              f"consumer that records processed message ids{declared}")
    return requirement_fit("delivery", fit, reason, eo.source, alo.source,
                           basis.sources.url(IDEMPOTENT_CONSUMER_SOURCE_ID))

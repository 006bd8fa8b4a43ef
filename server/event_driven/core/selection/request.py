"""The select_broker request: validate the context and the constraints together, then rank."""

from __future__ import annotations

from typing import TYPE_CHECKING

from event_driven.core.selection.constraints import SelectionConstraints, parse_constraints
from event_driven.core.selection.knowledge import selection_figures
from event_driven.core.selection.models import BrokerSelection
from event_driven.core.selection.ranking import select_broker
from event_driven.core.validation import validate_context
from event_driven.errors import InputError

if TYPE_CHECKING:
    from event_driven.kb.loader import KnowledgeBase


def select(event_context: object, kb: KnowledgeBase, constraints: object = None) -> BrokerSelection:
    """Validate the context and constraints, then rank the brokers. Raises :class:`InputError` naming every
    problem in either."""
    validation = validate_context(event_context, kb.rules)
    errors = list(validation.errors)
    parsed: SelectionConstraints | None = None
    try:
        parsed = parse_constraints(constraints)
    except InputError as exc:
        errors += exc.errors
    if errors:
        raise InputError(errors)
    result = select_broker(validation.normalized, kb.brokers, parsed, **selection_figures(kb))
    return result.model_copy(update={"warnings": validation.warnings})

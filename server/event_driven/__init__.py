"""event-driven: an event-driven-architecture advisor, as a library and as an MCP server.

The public API is pure Python (no MCP imports): validate a context, size partitions, and (in later modules) select a
broker, plan a topology, diagnose an incident and generate tests. The MCP server and the CLI are thin adapters.
"""

from __future__ import annotations

from typing import Any

from event_driven.core.context import EventContext, NormalizedContext
from event_driven.core.rules import RuleWarning
from event_driven.core.sizing import PartitionPlan, SizingInputError, calculate_partitions
from event_driven.core.validation import FieldError, ValidationResult
from event_driven.core.validation import validate_context as _validate

__all__ = [
    "EventContext",
    "FieldError",
    "NormalizedContext",
    "PartitionPlan",
    "RuleWarning",
    "SizingInputError",
    "ValidationResult",
    "calculate_partitions",
    "validate_context",
    "validate_parameters",
]


def validate_context(params: Any) -> ValidationResult:
    """Validate and normalise an event context against this installation's rules (``knowledge/rules.yaml``)."""
    from event_driven.kb.loader import knowledge

    return _validate(params, knowledge().rules)


# The seed skill's name for the same operation.
validate_parameters = validate_context

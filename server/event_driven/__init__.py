"""event-driven: an event-driven-architecture advisor, as a library and as an MCP server.

The public API is pure Python (no MCP imports): validate a context, size partitions, and (in later modules) select a
broker, plan a topology, diagnose an incident and generate tests. The MCP server and the CLI are thin adapters.

The names below load on first use (PEP 562), so starting the server does not import every model before it answers
its first message.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from event_driven.core.context import EventContext, NormalizedContext
    from event_driven.core.rules import RuleWarning
    from event_driven.core.sizing import PartitionPlan, SizingInputError, calculate_partitions
    from event_driven.core.validation import FieldError, ValidationResult

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

_LAZY = {
    "EventContext": "event_driven.core.context",
    "NormalizedContext": "event_driven.core.context",
    "RuleWarning": "event_driven.core.rules",
    "PartitionPlan": "event_driven.core.sizing",
    "SizingInputError": "event_driven.core.sizing",
    "calculate_partitions": "event_driven.core.sizing",
    "FieldError": "event_driven.core.validation",
    "ValidationResult": "event_driven.core.validation",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'event_driven' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def validate_context(params: Any) -> ValidationResult:
    """Validate and normalise an event context against this installation's rules (``knowledge/rules.yaml``)."""
    from event_driven.core.validation import validate_context as validate
    from event_driven.kb.loader import knowledge

    return validate(params, knowledge().rules)


# The seed skill's name for the same operation.
validate_parameters = validate_context

"""The input boundary shared by every use case: bounded values, text parsed with limits, one error type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from event_driven.bounded import check_value, load_text
from event_driven.errors import InputError, field_error

# Arguments that may arrive as YAML or JSON text instead of an object.
TEXT_ARGUMENTS = ("event_context", "plan", "constraints", "options")
# Error paths inside the event context are relative to it ('$.requirements.delivery'), as validate_context reports.
ROOT = {"event_context": "$"}


def _check_caps(args: Mapping[str, Any], caps: Mapping[str, int]) -> None:
    """Lists with a per-field cap (what a report can reasonably hold): more items only cost work."""
    for dotted, cap in caps.items():
        node: Any = args
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, list) and len(node) > cap:
            raise InputError(
                field_error(
                    f"$.{dotted}",
                    "too_large",
                    f"{len(node):,} items; at most {cap:,} are read",
                    f"at most {cap:,} items",
                )
            )


def bounded(
    arguments: Mapping[str, Any], allowed: tuple[str, ...], caps: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """Check every argument against the size limits, parse text where an object is expected, refuse unknown names."""
    unknown = [name for name in arguments if name not in allowed]
    if unknown:
        raise InputError(
            [
                field_error(f"$.{name[:40]}", "unknown_field", f"unknown argument {name[:40]!r}", ", ".join(allowed))
                for name in unknown
            ]
        )
    out: dict[str, Any] = {}
    for name, value in arguments.items():
        if value is None:
            continue
        path = ROOT.get(name, f"$.{name}")
        if isinstance(value, str) and name in TEXT_ARGUMENTS:
            value = load_text(value, path)
        else:
            check_value(value, path)
        out[name] = value
    _check_caps(out, caps or {})
    return out

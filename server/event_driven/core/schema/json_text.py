"""JSON schemas given as text or as values: one parse, with the parser's line and column on failure."""

from __future__ import annotations

import json

from event_driven.bounded import check_value
from event_driven.errors import InputError, field_error


def json_value(schema: object, path: str) -> object:
    """``schema`` itself if already parsed, else the JSON value of its text."""
    if not isinstance(schema, str):
        return schema
    try:
        value = json.loads(schema)
    except json.JSONDecodeError as exc:
        raise InputError(field_error(
            path, "parse_error", f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        )) from None
    except (ValueError, RecursionError) as exc:  # an integer past CPython's digit limit; nesting past the stack
        raise InputError(field_error(path, "too_large", f"not a usable JSON value: {str(exc)[:120]}")) from None
    check_value(value, path)  # the same nesting and size limits as every other argument
    return value

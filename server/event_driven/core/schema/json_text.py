"""JSON schemas given as text or as values: one parse, with the parser's line and column on failure."""

from __future__ import annotations

import json

from event_driven.errors import InputError, field_error


def json_value(schema: object, path: str) -> object:
    """``schema`` itself if already parsed, else the JSON value of its text."""
    if not isinstance(schema, str):
        return schema
    try:
        return json.loads(schema)
    except json.JSONDecodeError as exc:
        raise InputError(field_error(
            path, "parse_error", f"not valid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}"
        )) from None

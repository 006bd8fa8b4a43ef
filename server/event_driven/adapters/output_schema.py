"""Compact output schemas: each result's top-level fields with their JSON types, nested shapes open.

The full JSON Schema of a plan or a diagnosis runs to tens of thousands of characters, paid in every tools/list.
Agents need the field names and their types; clients that validate structuredContent (the TypeScript SDK does) need
a schema the content satisfies. An open schema for nested values gives both; the content itself is the model's own
dump, valid by construction. Built from the field annotations (not pydantic's schema generator).

The server publishes them from ``output_schemas.json``, written from the models by
``python -m event_driven.adapters.output_schema`` (a test proves the file equal to what the models give), so
tools/list needs no model imported: the handshake does not wait for the core's models to load.
"""

from __future__ import annotations

import functools
import json
import types
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

SCALARS: dict[type, str] = {str: "string", bool: "boolean", int: "integer", float: "number"}
STATIC_FILE = Path(__file__).with_name("output_schemas.json")
# Added to every result by the summary (adapters/summary.py).
SUMMARY_FIELDS: dict[str, Any] = {
    "detail": {"type": "string", "enum": ["summary", "full"], "description": "summary: lists cut to their top."},
    # No "items" schema: a validating client (the Python SDK uses jsonschema) would walk every entry on every call.
    "omitted": {"type": "array", "description": "Lists cut in summary mode, each {path, shown, total, how}."},
}


@functools.cache
def published() -> dict[str, dict[str, Any]]:
    """Tool name -> its output schema, as the server publishes it (the static file)."""
    return json.loads(STATIC_FILE.read_text(encoding="utf-8"))


def from_models() -> dict[str, dict[str, Any]]:
    """Tool name -> the output schema its result model gives (imports every model)."""
    from event_driven.adapters.tools import TOOLS, inspect_spec

    return {spec.name: compact_schema(spec.output_model, SUMMARY_FIELDS) for spec in (*TOOLS, inspect_spec(1))}


def write_static_file() -> None:
    STATIC_FILE.write_text(json.dumps(from_models(), indent=1) + "\n", encoding="utf-8")


def compact_schema(model: type[BaseModel], extra: dict[str, Any]) -> dict[str, Any]:
    properties = {name: _field_schema(field.annotation) for name, field in model.model_fields.items()}
    properties.update(extra)
    required = [name for name, field in model.model_fields.items() if field.is_required()]
    out: dict[str, Any] = {"title": model.__name__, "type": "object", "properties": properties, "required": required}
    if model.__doc__:
        out["description"] = " ".join(model.__doc__.split())[:300]
    return out


def _field_schema(annotation: Any) -> dict[str, Any]:
    types_found = _json_types(annotation)
    if len(types_found) == 1:
        return {"type": types_found[0]}
    # One type per branch: the portable spelling (the Inspector's --strict check).
    return {"anyOf": [{"type": t} for t in types_found]} if types_found else {}


def _json_types(annotation: Any) -> list[str]:
    origin = get_origin(annotation)
    if annotation is None or annotation is type(None):
        return ["null"]
    if origin is Literal:
        return sorted({SCALARS.get(type(v), "string") for v in get_args(annotation)})
    if origin in (Union, types.UnionType):
        found: list[str] = []
        for arm in get_args(annotation):
            found += [t for t in _json_types(arm) if t not in found]
        return found
    if origin is Annotated:
        return _json_types(get_args(annotation)[0])
    if origin in (list, tuple, set, frozenset):
        return ["array"]
    if origin is dict or annotation is dict:
        return ["object"]
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return ["object"]
        for py, name in SCALARS.items():
            if issubclass(annotation, py) and not (py is int and issubclass(annotation, bool)):
                return [name]
    return []


if __name__ == "__main__":
    write_static_file()

"""Compact output schemas: each result's top-level fields with their types, nested shapes open.

The full JSON Schema of a plan or a diagnosis runs to tens of thousands of characters, paid in every tools/list.
Agents need the field names and what they mean; clients that validate structuredContent (the TypeScript SDK does)
need a schema the content satisfies. An open schema for nested values gives both; the content itself is the
model's own dump, valid by construction.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def compact_schema(model: type[BaseModel], extra: dict[str, Any]) -> dict[str, Any]:
    full = model.model_json_schema(by_alias=True)
    defs = full.get("$defs", {})
    properties = {name: _shallow(prop, defs) for name, prop in full.get("properties", {}).items()}
    properties.update(extra)
    out: dict[str, Any] = {
        "title": full.get("title", model.__name__),
        "type": "object",
        "properties": properties,
        "required": full.get("required", []),
    }
    if full.get("description"):
        out["description"] = full["description"][:300]
    return out


def _shallow(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    resolved = _resolve(prop, defs)
    out: dict[str, Any] = {}
    types = _types(resolved, defs)
    if len(types) == 1:
        out["type"] = types[0]
    elif types:  # one type per branch: the portable spelling (the Inspector's --strict check)
        out["anyOf"] = [{"type": t} for t in types]
    if "enum" in resolved and len(str(resolved["enum"])) < 200:
        out["enum"] = resolved["enum"]
    return out


def _resolve(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    return defs.get(ref.rsplit("/", 1)[-1], {}) if isinstance(ref, str) else prop


def _types(prop: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    if "type" in prop:
        return prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    if "enum" in prop or "const" in prop:
        return ["string"]
    if "properties" in prop or "additionalProperties" in prop:
        return ["object"]
    found: list[str] = []
    for arm in prop.get("anyOf", []) + prop.get("oneOf", []):
        for t in _types(_resolve(arm, defs), defs):
            if t not in found:
                found.append(t)
    return found

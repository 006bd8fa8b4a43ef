"""Which format a schema is in, when the caller did not say and the schema makes it unambiguous."""

from __future__ import annotations

import json
import re

from event_driven.kb.schema_rules import SchemaFormat

_PROTO_START = re.compile(r"^\s*(//[^\n]*\n\s*|/\*.*?\*/\s*)*(syntax|edition|package|import|option|message|enum)\b",
                          re.DOTALL)
# Keywords only one of the two JSON formats uses at the top of a schema object.
_AVRO_KEYS = frozenset({"fields", "symbols", "size", "values", "namespace", "aliases"})
_AVRO_ONLY_TYPES = frozenset({"record", "error", "enum", "fixed", "map", "int", "long", "float", "double", "bytes"})
_JSON_SCHEMA_KEYS = frozenset({
    "$schema", "$id", "$ref", "$defs", "definitions", "properties", "required", "additionalProperties",
    "patternProperties", "anyOf", "oneOf", "allOf", "not", "const", "minimum", "maximum", "minLength", "maxLength",
    "pattern", "format", "minItems", "maxItems", "uniqueItems", "title", "description",
})
_JSON_SCHEMA_ONLY_TYPES = frozenset({"object", "integer", "number"})


def detect_format(schema: object) -> SchemaFormat | None:
    """The format ``schema`` is written in, or None when it could be more than one (or none)."""
    if isinstance(schema, str):
        if _PROTO_START.match(schema):
            return "protobuf"
        try:
            schema = json.loads(schema)
        except (ValueError, RecursionError):  # not JSON, or JSON past the digit or nesting limits
            return None
    if isinstance(schema, bool):
        return "json"
    if isinstance(schema, list):
        return "avro"  # a union; a JSON Schema is an object or a boolean
    if isinstance(schema, str):
        return "avro"  # a bare type name
    if not isinstance(schema, dict):
        return None
    return _detect_object(schema)


def _detect_object(schema: dict[str, object]) -> SchemaFormat | None:
    kind = schema.get("type")
    name = kind if isinstance(kind, str) else None  # a type given as an object or list is not a type name
    avro = bool(_AVRO_KEYS & schema.keys()) or name in _AVRO_ONLY_TYPES or isinstance(kind, dict)
    json_schema = bool(_JSON_SCHEMA_KEYS & schema.keys()) or name in _JSON_SCHEMA_ONLY_TYPES or (
        isinstance(kind, list) and all(isinstance(k, str) for k in kind) and "null" in kind and len(kind) > 1
        and not (set(kind) & _AVRO_ONLY_TYPES)
    )
    if avro and not json_schema:
        return "avro"
    if json_schema and not avro:
        return "json"
    return None

"""JSON Schema: parse a schema into the shapes Schema Registry compares, and apply Confluent's difference rules.

Confluent compares an original (the writer's schema) with an update (the reader's) keyword by keyword and accepts the
change only when every difference is one it lists as compatible. The rules that matter most are the content-model
ones: adding a property to an open object (``additionalProperties`` absent or true) is incompatible because old data
may already hold that name with any value; removing one from a closed object (``additionalProperties: false``) is
incompatible because data that still carries it is rejected. Only the incompatible differences are reported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from event_driven.core.schema.json_pointer import resolve_pointer
from event_driven.core.schema.json_text import json_value
from event_driven.errors import InputError, echo, field_error

TYPES = ("string", "number", "integer", "boolean", "null", "object", "array")
_OBJECT_KEYS = frozenset({"properties", "required", "additionalProperties", "patternProperties", "minProperties",
                          "maxProperties", "dependencies", "dependentRequired", "dependentSchemas"})
_ARRAY_KEYS = frozenset({"items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems"})
_STRING_KEYS = frozenset({"minLength", "maxLength", "pattern"})
_NUMBER_KEYS = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
_COMBINERS = ("allOf", "anyOf", "oneOf")


@dataclass(eq=False)
class JsonNode:
    """One schema, in the kinds Confluent's comparison distinguishes."""

    kind: str  # empty, false, string, number, boolean, null, object, array, enum, not, combined
    attrs: dict[str, object] = field(default_factory=dict)  # numeric/string constraints, as given
    has_default: bool = False
    requires_integer: bool = False
    properties: dict[str, JsonNode] = field(default_factory=dict)
    required: frozenset[str] = frozenset()
    pattern_properties: list[tuple[str, JsonNode]] = field(default_factory=list)
    permits_additional: bool = True
    additional: JsonNode | None = None  # additionalProperties / additionalItems schema, when it is a schema
    dependencies: dict[str, frozenset[str]] = field(default_factory=dict)
    dependency_schemas: dict[str, JsonNode] = field(default_factory=dict)
    items: JsonNode | None = None
    tuple_items: list[JsonNode] = field(default_factory=list)
    values: list[object] = field(default_factory=list)  # enum / const
    criterion: str = ""
    subschemas: list[JsonNode] = field(default_factory=list)


def parse_json_schema(schema: object, path: str) -> JsonNode:
    """A JSON Schema from text or a parsed value; local ``$ref``s are resolved, others are refused."""
    root = json_value(schema, path)
    return _Parser(root, path).node(root, "#", path)


class _Parser:
    def __init__(self, root: object, path: str) -> None:
        self.root, self.path = root, path
        self.by_pointer: dict[str, JsonNode] = {}

    def node(self, raw: object, pointer: str, path: str) -> JsonNode:
        if pointer in self.by_pointer:
            return self.by_pointer[pointer]
        if isinstance(raw, bool):
            return JsonNode(kind="empty" if raw else "false")
        if not isinstance(raw, dict):
            raise InputError(field_error(path, "wrong_type",
                                         f"a JSON Schema is an object or a boolean, got {echo(raw)}"))
        ref = raw.get("$ref")
        if isinstance(ref, str):
            return self._ref(ref, path)
        node = JsonNode(kind="empty", has_default="default" in raw)
        self.by_pointer[pointer] = node  # before the children, so a cycle through $ref finds it
        _fill(self, node, raw, pointer, path)
        return node

    def _ref(self, ref: str, path: str) -> JsonNode:
        if not ref.startswith("#"):
            raise InputError(field_error(path + ".$ref", "unknown_target",
                                         f"only local references (#/...) can be checked offline, got {echo(ref)}"))
        target = resolve_pointer(self.root, ref)
        if target is None:
            raise InputError(field_error(path + ".$ref", "unknown_target", f"{echo(ref)} points to nothing"))
        return self.node(target, ref, path + ".$ref")


def _fill(parser: _Parser, node: JsonNode, raw: dict[str, object], pointer: str, path: str) -> None:
    """Classify ``raw`` as everit (Confluent's validator library) does, and fill ``node``."""
    combiners = [k for k in _COMBINERS if k in raw]
    types = _types(raw.get("type"), path)
    base = {k: v for k, v in raw.items() if k not in _COMBINERS}
    if combiners and (types or _has_keywords(base)):
        _combined(node, "allOf", [_sub(parser, base, pointer, path), *(
            _combined_node(parser, raw, k, pointer, path) for k in combiners)])
    elif len(combiners) > 1:
        _combined(node, "allOf", [_combined_node(parser, raw, k, pointer, path) for k in combiners])
    elif combiners:
        _combine_into(parser, node, raw, combiners[0], pointer, path)
    elif len(types) > 1:
        _combined(node, "anyOf", [_typed(parser, raw, t, pointer, path) for t in types])
    else:
        _single(parser, node, raw, types[0] if types else _implied_type(raw), pointer, path)


def _has_keywords(raw: dict[str, object]) -> bool:
    keywords = _OBJECT_KEYS | _ARRAY_KEYS | _STRING_KEYS | _NUMBER_KEYS | {"enum", "const", "not"}
    return bool(keywords & raw.keys())


def _types(raw: object, path: str) -> list[str]:
    names = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else [] if raw is None else None
    if names is None or not all(isinstance(t, str) and t in TYPES for t in names):
        raise InputError(field_error(path + ".type", "not_allowed", f"unknown JSON Schema type {echo(raw)}",
                                     ", ".join(TYPES)))
    return [str(t) for t in names]


def _implied_type(raw: dict[str, object]) -> str | None:
    for keys, kind in ((_OBJECT_KEYS, "object"), (_ARRAY_KEYS, "array"), (_STRING_KEYS, "string"),
                       (_NUMBER_KEYS, "number")):
        if keys & raw.keys():
            return kind
    return None


def _sub(parser: _Parser, raw: dict[str, object], pointer: str, path: str) -> JsonNode:
    node = JsonNode(kind="empty", has_default="default" in raw)
    _fill(parser, node, raw, pointer, path)
    return node


def _typed(parser: _Parser, raw: dict[str, object], kind: str, pointer: str, path: str) -> JsonNode:
    node = JsonNode(kind="empty", has_default="default" in raw)
    _single(parser, node, raw, kind, pointer, path)
    return node


def _combined(node: JsonNode, criterion: str, subschemas: list[JsonNode]) -> None:
    node.kind, node.criterion, node.subschemas = "combined", criterion, subschemas


def _combined_node(parser: _Parser, raw: dict[str, object], key: str, pointer: str, path: str) -> JsonNode:
    node = JsonNode(kind="empty")
    _combine_into(parser, node, raw, key, pointer, path)
    return node


def _combine_into(parser: _Parser, node: JsonNode, raw: dict[str, object], key: str, pointer: str, path: str) -> None:
    subs = raw[key]
    if not isinstance(subs, list) or not subs:
        raise InputError(field_error(f"{path}.{key}", "wrong_type", f"{key} is a non-empty array of schemas"))
    _combined(node, key, [parser.node(s, f"{pointer}/{key}/{i}", f"{path}.{key}[{i}]") for i, s in enumerate(subs)])


def _single(parser: _Parser, node: JsonNode, raw: dict[str, object], kind: str | None, pointer: str,
            path: str) -> None:
    if "enum" in raw or "const" in raw:
        values = raw["enum"] if "enum" in raw else [raw["const"]]
        if not isinstance(values, list):
            raise InputError(field_error(path + ".enum", "wrong_type", "enum is an array of values"))
        node.kind, node.values = "enum", list(values)
    elif "not" in raw:
        node.kind, node.items = "not", parser.node(raw["not"], pointer + "/not", path + ".not")
    elif kind == "integer" or kind == "number":
        node.kind, node.requires_integer = "number", kind == "integer"
        node.attrs = _number_attrs(raw, path)
    elif kind == "string":
        node.kind, node.attrs = "string", {k: raw[k] for k in _STRING_KEYS if k in raw}
    elif kind == "object":
        _object(parser, node, raw, pointer, path)
    elif kind == "array":
        _array(parser, node, raw, pointer, path)
    elif kind is not None:
        node.kind = kind


def _number_attrs(raw: dict[str, object], path: str) -> dict[str, object]:
    # Draft-04 exclusiveMaximum/exclusiveMinimum are flags on the bound; Confluent compares the bounds and the
    # draft-06+ exclusive limits only, so a flag is read (it must be a boolean) and not compared.
    return {k: _number(v, f"{path}.{k}") for k, v in raw.items()
            if k in _NUMBER_KEYS and not (k.startswith("exclusive") and isinstance(v, bool))}


def _number(value: object, path: str) -> object:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(field_error(path, "wrong_type", f"expected a number, got {echo(value)}"))
    return value


def _object(parser: _Parser, node: JsonNode, raw: dict[str, object], pointer: str, path: str) -> None:
    node.kind = "object"
    props = raw.get("properties", {})
    if not isinstance(props, dict):
        raise InputError(field_error(path + ".properties", "wrong_type", "properties is an object of schemas"))
    node.properties = {k: parser.node(v, f"{pointer}/properties/{k}", f"{path}.properties.{k}")
                       for k, v in props.items()}
    required = raw.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise InputError(field_error(path + ".required", "wrong_type", "required is an array of property names"))
    node.required = frozenset(required)
    patterns = raw.get("patternProperties", {})
    if isinstance(patterns, dict):
        node.pattern_properties = [(k, parser.node(v, f"{pointer}/patternProperties/{k}",
                                                    f"{path}.patternProperties.{k}")) for k, v in patterns.items()]
    node.permits_additional, node.additional = _additional(parser, raw, "additionalProperties", pointer, path)
    node.attrs = {k: raw[k] for k in ("minProperties", "maxProperties") if k in raw}
    keys = ("dependencies", "dependentRequired", "dependentSchemas")
    deps = {k: v for key in keys for k, v in _dict(raw.get(key)).items()}
    node.dependencies = {k: frozenset(v) for k, v in deps.items() if isinstance(v, list)}
    node.dependency_schemas = {k: parser.node(v, f"{pointer}/dependencies/{k}", f"{path}.dependencies.{k}")
                               for k, v in deps.items() if isinstance(v, (dict, bool))}


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _additional(parser: _Parser, raw: dict[str, object], key: str, pointer: str,
                path: str) -> tuple[bool, JsonNode | None]:
    value = raw.get(key, True)
    if isinstance(value, bool):
        return value, None
    return True, parser.node(value, f"{pointer}/{key}", f"{path}.{key}")


def _array(parser: _Parser, node: JsonNode, raw: dict[str, object], pointer: str, path: str) -> None:
    node.kind = "array"
    items = raw.get("items")
    tuple_key = "prefixItems" if "prefixItems" in raw else "items" if isinstance(items, list) else None
    if tuple_key:
        tuple_raw = raw[tuple_key]
        node.tuple_items = [parser.node(v, f"{pointer}/{tuple_key}/{i}", f"{path}.{tuple_key}[{i}]")
                            for i, v in enumerate(tuple_raw if isinstance(tuple_raw, list) else [])]
    if items is not None and not isinstance(items, list):
        if tuple_key == "prefixItems":  # 2020-12: items after prefixItems plays additionalItems' part
            node.permits_additional, node.additional = _additional(parser, raw, "items", pointer, path)
        else:
            node.items = parser.node(items, pointer + "/items", path + ".items")
    if "additionalItems" in raw:
        node.permits_additional, node.additional = _additional(parser, raw, "additionalItems", pointer, path)
    node.attrs = {k: raw[k] for k in ("minItems", "maxItems", "uniqueItems") if k in raw}

"""Confluent's JSON Schema comparison, keeping only the differences it does not list as compatible.

``compare(original, update)`` asks: is every document valid under ``original`` (the writer's schema) still valid under
``update`` (the reader's)? Each incompatible difference carries Confluent's name for it as the registry code.
"""

from __future__ import annotations

import re

from event_driven.core.schema.findings import Finding
from event_driven.core.schema.json_schema import JsonNode

# Confluent difference -> our rule id (knowledge/schema_rules.yaml).
RULE_OF: dict[str, str] = {
    "TYPE_CHANGED": "json.type_changed",
    "TYPE_NARROWED": "json.type_changed",
    "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL": "json.property_added_to_open_content_model",
    "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL": "json.property_removed_from_closed_content_model",
    "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL": "json.required_property_added",
    "REQUIRED_ATTRIBUTE_ADDED": "json.required_property_added",
    "ADDITIONAL_PROPERTIES_REMOVED": "json.additional_properties_narrowed",
    "ADDITIONAL_PROPERTIES_NARROWED": "json.additional_properties_narrowed",
    "ADDITIONAL_ITEMS_REMOVED": "json.additional_properties_narrowed",
    "ADDITIONAL_ITEMS_NARROWED": "json.additional_properties_narrowed",
    **dict.fromkeys(("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
                     "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL"),
                    "json.property_not_covered_by_partial_content_model"),
    "ITEM_ADDED_TO_OPEN_CONTENT_MODEL": "json.tuple_item_changed",
    "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL": "json.tuple_item_changed",
    "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "json.tuple_item_changed",
    "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL": "json.tuple_item_changed",
    "ENUM_ARRAY_NARROWED": "json.enum_narrowed",
    "ENUM_ARRAY_CHANGED": "json.enum_narrowed",
    "COMBINED_TYPE_CHANGED": "json.combined_type_changed",
    "SUM_TYPE_NARROWED": "json.combined_type_changed",
    "PRODUCT_TYPE_EXTENDED": "json.combined_type_changed",
    "COMBINED_TYPE_SUBSCHEMAS_CHANGED": "json.combined_type_changed",
    "NOT_TYPE_EXTENDED": "json.combined_type_changed",
    "SCHEMA_ADDED": "json.schema_constrained",
}
# Bounds: a new or tighter one rejects values that were valid.
# -1: an upper bound, tighter when smaller; +1: a lower bound, tighter when larger.
BOUND_SIGN: dict[str, int] = {
    **dict.fromkeys(("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties"), -1),
    **dict.fromkeys(("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties"), 1),
}


def _finding(code: str, location: str, detail: str = "", **params: str) -> Finding:
    message = f"{location}: {code.lower().replace('_', ' ')}" + (f" ({detail})" if detail else "")
    return Finding(RULE_OF.get(code, "json.constraint_tightened"), location, message, code,
                   {"field": location, **params})


def _tightened(code: str, location: str, keyword: str, detail: str) -> Finding:
    return _finding(code, location, detail, keyword=keyword)


def open_content_model(node: JsonNode) -> bool:
    """Open: no patternProperties, no additionalProperties schema, additional properties permitted."""
    return not node.pattern_properties and node.additional is None and node.permits_additional


def partial_schema(node: JsonNode, key: str) -> JsonNode | None:
    """The schema a partially open object applies to property ``key`` (patternProperties, then additional)."""
    for pattern, schema in node.pattern_properties:
        if re.search(pattern, key):
            return schema
    return node.additional


class JsonSchemaDiff:
    """One comparison; memoised per pair of schemas so recursive ``$ref``s terminate."""

    def __init__(self) -> None:
        self._memo: dict[tuple[int, int], list[Finding]] = {}

    def compare(self, original: JsonNode | None, update: JsonNode | None, location: str) -> list[Finding]:
        if original is None or update is None:
            return [_finding("SCHEMA_ADDED", location)] if original is None and update is not None else []
        key = (id(original), id(update))
        if key not in self._memo:
            self._memo[key] = []  # in progress: a cycle is assumed compatible
            self._memo[key] = self._nodes(original, update, location)
        return self._memo[key]

    def _nodes(self, original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
        if original.kind != "combined" and update.kind == "combined":
            subs = update.subschemas
            if (len(subs) == 1 or update.criterion in ("anyOf", "oneOf")) and any(
                    not self.compare(original, s, location) for s in subs):
                return []  # a union that gained alternatives still accepts the original
        elif (original.kind == "combined" and update.kind != "combined" and len(original.subschemas) == 1
              and not self.compare(original.subschemas[0], update, location)):
            return []
        if original.kind != update.kind:
            if original.kind == "false" or update.kind == "empty":
                return []
            return [_finding("TYPE_CHANGED", location, f"{original.kind} -> {update.kind}")]
        return self._same_kind(original, update, location)

    def _same_kind(self, original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
        found = _bounds(original, update, location)
        kind = original.kind
        if kind == "string" and update.attrs.get("pattern") not in (None, original.attrs.get("pattern")):
            found.append(_tightened("PATTERN_ADDED" if "pattern" not in original.attrs else "PATTERN_CHANGED",
                                    location, "pattern", str(update.attrs["pattern"])))
        elif kind == "number":
            found.extend(_numbers(original, update, location))
        elif kind == "enum":
            found.extend(_enum(original, update, location))
        elif kind == "not":
            if self.compare(update.items, original.items, location + "/not"):
                found.append(_finding("NOT_TYPE_EXTENDED", location))
        elif kind == "object":
            found.extend(self._object(original, update, location))
        elif kind == "array":
            found.extend(self._array(original, update, location))
        elif kind == "combined":
            found.extend(self._combined(original, update, location))
        return found

    def _object(self, original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
        found: list[Finding] = []
        for name in original.properties.keys() & update.properties.keys():
            if name in update.required and name not in original.required and not update.properties[name].has_default:
                found.append(_finding("REQUIRED_ATTRIBUTE_ADDED", f"{location}/required/{name}"))
        for name in sorted(original.properties.keys() | update.properties.keys()):
            where = f"{location}/properties/{name}"
            before, after = original.properties.get(name), update.properties.get(name)
            if after is None and before is not None:
                found.extend(self._property_removed(before, update, name, where))
            elif before is None and after is not None:
                found.extend(self._property_added(original, update, after, name, where))
            elif before is not None and after is not None:
                found.extend(self.compare(before, after, where))
        found.extend(_dependencies(original, update, location))
        found.extend(self._additional(original, update, location + "/additionalProperties", "PROPERTIES"))
        return found

    def _property_removed(self, before: JsonNode, update: JsonNode, name: str, where: str) -> list[Finding]:
        if open_content_model(update):
            return []
        partial = partial_schema(update, name)
        if partial is not None:
            inner = self.compare(before, partial, where)
            return inner + [_finding("PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", where)] if inner \
                else []
        return [] if before.kind == "false" else [_finding("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", where)]

    def _property_added(self, original: JsonNode, update: JsonNode, after: JsonNode, name: str,
                        where: str) -> list[Finding]:
        if open_content_model(original):
            return [] if after.kind == "empty" else [_finding("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", where)]
        found: list[Finding] = []
        partial = partial_schema(original, name)
        if partial is not None:
            inner = self.compare(partial, after, where)
            if inner:
                found += inner + [_finding("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", where)]
        if name in update.required and not after.has_default:
            found.append(_finding("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", where))
        return found

    def _additional(self, original: JsonNode, update: JsonNode, where: str, what: str) -> list[Finding]:
        if original.permits_additional != update.permits_additional:
            return [] if update.permits_additional else [_finding(f"ADDITIONAL_{what}_REMOVED", where)]
        if original.additional is None and update.additional is not None:
            return [_finding(f"ADDITIONAL_{what}_NARROWED", where)]
        if original.additional is not None and update.additional is not None:
            return self.compare(original.additional, update.additional, where)
        return []

    def _array(self, original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
        found = self.compare(original.items, update.items, location + "/items")
        for i, (before, after) in enumerate(zip(original.tuple_items, update.tuple_items, strict=False)):
            found.extend(self.compare(before, after, f"{location}/items/{i}"))
        found.extend(self._tuple_items(original, update, location))
        found.extend(self._additional(original, update, location + "/additionalItems", "ITEMS"))
        if update.attrs.get("uniqueItems") is True and original.attrs.get("uniqueItems") is not True:
            found.append(_tightened("UNIQUE_ITEMS_ADDED", location + "/uniqueItems", "uniqueItems", "now true"))
        return found

    def _tuple_items(self, original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
        found: list[Finding] = []
        common = min(len(original.tuple_items), len(update.tuple_items))
        for i, before in enumerate(original.tuple_items[common:], start=common):
            where = f"{location}/items/{i}"
            if not _array_open(update):
                if update.additional is not None:
                    if self.compare(before, update.additional, where):
                        found.append(_finding("ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", where))
                elif before.kind != "false":
                    found.append(_finding("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", where))
        for i, after in enumerate(update.tuple_items[common:], start=common):
            where = f"{location}/items/{i}"
            if _array_open(original):
                if after.kind != "empty":
                    found.append(_finding("ITEM_ADDED_TO_OPEN_CONTENT_MODEL", where))
            elif original.additional is not None and self.compare(original.additional, after, where):
                found.append(_finding("ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", where))
        return found

    def _combined(self, original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
        criterion = _criterion_change(original, update)
        if criterion == "COMBINED_TYPE_CHANGED":
            return [_finding(criterion, location, f"{original.criterion} -> {update.criterion}")]
        found: list[Finding] = []
        before, after = _distinct(original.subschemas), _distinct(update.subschemas)
        if len(before) < len(after) and update.criterion == "allOf":
            found.append(_finding("PRODUCT_TYPE_EXTENDED", location))
        elif len(before) > len(after) and update.criterion != "allOf":
            found.append(_finding("SUM_TYPE_NARROWED", location))
        where = f"{location}/{original.criterion}"
        edges = {(i, j) for i, b in enumerate(before) for j, a in enumerate(after) if not self.compare(b, a, where)}
        if _max_matching(edges, len(before)) < min(len(before), len(after)):
            found.append(_finding("COMBINED_TYPE_SUBSCHEMAS_CHANGED", location))
        return found


def _array_open(node: JsonNode) -> bool:
    return node.permits_additional and node.additional is None


def _bounds(original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
    found: list[Finding] = []
    for key, new in update.attrs.items():  # only a bound the update sets can tighten anything
        sign = BOUND_SIGN.get(key)
        if sign is not None and isinstance(new, (int, float)) and not isinstance(new, bool):
            old = original.attrs.get(key)
            if not isinstance(old, (int, float)):
                found.append(_tightened(f"{_code(key)}_ADDED", f"{location}/{key}", key, f"now {new}"))
            elif (new - old) * sign > 0:
                change = "DECREASED" if sign < 0 else "INCREASED"
                found.append(_tightened(f"{_code(key)}_{change}", f"{location}/{key}", key, f"{old} -> {new}"))
    return found


def _code(keyword: str) -> str:
    """maxLength -> MAX_LENGTH, as Confluent names its differences."""
    return "".join("_" + c if c.isupper() else c for c in keyword).upper()


def _numbers(original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
    found: list[Finding] = []
    old, new = original.attrs.get("multipleOf"), update.attrs.get("multipleOf")
    if isinstance(new, (int, float)) and new != old:
        if not isinstance(old, (int, float)):
            found.append(_tightened("MULTIPLE_OF_ADDED", location + "/multipleOf", "multipleOf", f"now {new}"))
        elif (old / new) != int(old / new):  # only a divisor of the old step keeps every old value valid
            found.append(_tightened("MULTIPLE_OF_CHANGED", location + "/multipleOf", "multipleOf", f"{old} -> {new}"))
    if update.requires_integer and not original.requires_integer:
        found.append(_finding("TYPE_NARROWED", location, "number -> integer"))
    return found


def _enum(original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
    removed = [v for v in original.values if v not in update.values]
    if not removed:
        return []
    code = "ENUM_ARRAY_NARROWED" if all(v in original.values for v in update.values) else "ENUM_ARRAY_CHANGED"
    values = ", ".join(repr(v) for v in removed)
    return [_finding(code, location, f"no longer allowed: {values}", values=values)]


def _dependencies(original: JsonNode, update: JsonNode, location: str) -> list[Finding]:
    found: list[Finding] = []
    for name, needs in update.dependencies.items():
        before = original.dependencies.get(name)
        if before is None or not needs <= before:
            found.append(_tightened("DEPENDENCY_ARRAY_ADDED" if before is None else "DEPENDENCY_ARRAY_EXTENDED",
                                    f"{location}/dependencies/{name}", "dependencies", ", ".join(sorted(needs))))
    for name in update.dependency_schemas.keys() - original.dependency_schemas.keys():
        found.append(_tightened("DEPENDENCY_SCHEMA_ADDED", f"{location}/dependencies/{name}", "dependencies", name))
    return found


def _criterion_change(original: JsonNode, update: JsonNode) -> str | None:
    if original.criterion == update.criterion:
        return None
    if update.criterion == "anyOf":
        return "COMBINED_TYPE_EXTENDED"
    singleton = len(original.subschemas) == 1
    if update.criterion == "oneOf" and singleton:
        return "COMBINED_TYPE_EXTENDED"
    if update.criterion == "allOf" and singleton and len(update.subschemas) == 1:
        return "COMBINED_TYPE_EXTENDED"
    return "COMBINED_TYPE_CHANGED"


def _distinct(nodes: list[JsonNode]) -> list[JsonNode]:
    out: list[JsonNode] = []
    for node in nodes:
        if all(node is not seen for seen in out):
            out.append(node)
    return out


def _max_matching(edges: set[tuple[int, int]], left: int) -> int:
    """Size of a maximum bipartite matching (augmenting paths; the sides are a handful of subschemas)."""
    match_right: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for a, j in edges:
            if a == i and j not in seen:
                seen.add(j)
                if j not in match_right or augment(match_right[j], seen):
                    match_right[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(left))


def json_schema_breaks(writer: JsonNode, reader: JsonNode) -> list[Finding]:
    """Every incompatible difference when data valid under ``writer`` must be valid under ``reader``."""
    return JsonSchemaDiff().compare(writer, reader, "#")

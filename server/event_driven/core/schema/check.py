"""``check_schema_change``: is the next schema version safe under the subject's mode, why not, and how to roll it out.

Each registered version is compared with the new schema in both directions once (backward: readers on the new
schema meet old data; forward: readers on the old schema meet new data). The mode then picks which directions and
versions count, which gives the verdict; the same comparisons tell every mode that would accept the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from event_driven.core.schema.avro import avro_breaks, parse_avro
from event_driven.core.schema.detect import detect_format
from event_driven.core.schema.findings import Finding, FixParams
from event_driven.core.schema.json_schema import parse_json_schema
from event_driven.core.schema.json_schema_diff import json_schema_breaks
from event_driven.core.schema.protobuf import parse_protobuf
from event_driven.core.schema.protobuf_diff import protobuf_breaks
from event_driven.core.schema.request import FORMATS, SchemaCheckRequest, SchemaInput
from event_driven.core.schema.result import SIDE_OF, Incompatibility, Rollout, SchemaCheckResult
from event_driven.errors import InputError, field_error
from event_driven.kb.schema_rules import CompatibilityMode, Direction, ModeRule, SchemaFormat, SchemaRuleBook

S = TypeVar("S")


@dataclass(frozen=True)
class _Version:
    number: int
    schema: SchemaInput
    path: str


Findings = dict[tuple[int, Direction], list[Finding]]


@dataclass(frozen=True)
class FormatRules(Generic[S]):
    """One format's parser and rules; ``breaks(writer, reader)`` lists what a reader on ``reader`` cannot read."""

    parse: Callable[[object, str], S]
    breaks: Callable[[S, S], list[Finding]]

    def findings(self, new_schema: SchemaInput, versions: list[_Version]) -> Findings:
        new = self.parse(new_schema, "$.new_schema")
        out: Findings = {}
        for version in versions:
            old = self.parse(version.schema, version.path)
            out[(version.number, "backward")] = self.breaks(old, new)
            out[(version.number, "forward")] = self.breaks(new, old)
        return out


FORMAT_RULES = {
    "avro": FormatRules(parse_avro, avro_breaks),
    "json": FormatRules(parse_json_schema, json_schema_breaks),
    "protobuf": FormatRules(parse_protobuf, protobuf_breaks),
}


def check_schema_change(request: SchemaCheckRequest, book: SchemaRuleBook) -> SchemaCheckResult:
    """The verdict on ``request.new_schema`` after the registered versions, under the request's (or default) mode."""
    versions = _registered_versions(request)
    schema_format, inferred = _format(request, versions)
    # findings[(version, direction)]: backward = new reads old data; forward = old reads new data.
    findings = FORMAT_RULES[schema_format].findings(request.new_schema, versions)
    mode: CompatibilityMode = request.mode or book.default_mode.value
    mode_rule = book.modes[mode]
    latest = versions[-1].number
    checked = _checked_versions(mode_rule, latest)
    incompatibilities = [
        _incompatibility(book, f, direction, number)
        for number in checked for direction in mode_rule.directions for f in findings[(number, direction)]
    ]
    return SchemaCheckResult(
        compatible=not incompatibilities,
        format=schema_format,
        format_inferred=inferred,
        mode=mode,
        mode_defaulted=request.mode is None,
        new_version=latest + 1,
        versions_checked=checked,
        incompatibilities=incompatibilities,
        rollout=Rollout(upgrade_first=mode_rule.upgrade_first, checked_against=mode_rule.against,
                        allows_next=list(mode_rule.allows)),
        compatible_modes=[m for m, r in book.modes.items() if _passes(r, findings, latest)],
        sources=_sources(mode_rule, incompatibilities),
    )


def _registered_versions(request: SchemaCheckRequest) -> list[_Version]:
    if request.history is not None and request.old_schema is not None:
        raise InputError(field_error("$.old_schema", "not_allowed",
                                     "give either old_schema or history (whose last entry is the latest version)"))
    if request.history is not None:
        return [_Version(i + 1, s, f"$.history[{i}]") for i, s in enumerate(request.history)]
    if request.old_schema is None:
        raise InputError(field_error("$.old_schema", "missing",
                                     "give the latest registered schema (old_schema) or every version (history)"))
    return [_Version(1, request.old_schema, "$.old_schema")]


def _format(request: SchemaCheckRequest, versions: list[_Version]) -> tuple[SchemaFormat, bool]:
    if request.format is not None:
        return request.format, False
    guesses: list[SchemaFormat | None] = [detect_format(s) for s in [request.new_schema, *(v.schema for v in versions)]]
    known: list[SchemaFormat] = []
    for guess in guesses:
        if guess is not None and guess not in known:
            known.append(guess)
    if len(known) == 1 and None not in guesses:
        return known[0], True
    why = "the schemas look like different formats" if len(known) > 1 else "the schemas do not show their format"
    raise InputError(field_error("$.format", "missing", f"give the format: {why}", ", ".join(FORMATS)))


def _checked_versions(mode_rule: ModeRule, latest: int) -> list[int]:
    if mode_rule.against == "none":
        return []
    return [latest] if mode_rule.against == "latest" else list(range(1, latest + 1))


def _passes(mode_rule: ModeRule, findings: Findings, latest: int) -> bool:
    return not any(findings[(n, d)] for n in _checked_versions(mode_rule, latest) for d in mode_rule.directions)


def _incompatibility(book: SchemaRuleBook, finding: Finding, direction: Direction, version: int) -> Incompatibility:
    rule = book.rule(finding.rule)
    template = rule.fix.backward if direction == "backward" else rule.fix.forward
    return Incompatibility(
        rule=rule.id, description=rule.description, source=rule.source, location=finding.location,
        side=SIDE_OF[direction], against_version=version, message=finding.message,
        registry_code=finding.registry_code, fix=template.format_map(FixParams(finding.params)),
    )


def _sources(mode_rule: ModeRule, found: list[Incompatibility]) -> list[str]:
    return list(dict.fromkeys([mode_rule.source, *(i.source for i in found)]))

"""Evaluate the declarative rules of ``knowledge/rules.yaml`` against a normalised context."""

from __future__ import annotations

import string
from typing import Any

from pydantic import BaseModel, Field

from event_driven.core.context import NormalizedContext
from event_driven.kb.rules import (
    SEVERITY_RANK,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    FieldRef,
    NotOf,
    Rule,
    RuleBook,
    Severity,
    ThresholdRef,
)


class RuleWarning(BaseModel):
    """A rule that fired: what is inconsistent, which fields are involved, what to do and where the facts come from."""

    rule_id: str
    severity: Severity
    message: str
    fields: list[str]
    recommendation: str
    sources: list[str]
    origin: str = Field(description="'seed' for the seed skill's own rules, 'knowledge_base' for ours.")

    def __contains__(self, item: object) -> bool:
        # Lets `"throughput" in warning` ask whether a warning concerns a topic, as the seed's unit test does.
        if not isinstance(item, str):
            return False
        return item == self.rule_id or item in self.message or any(item in f for f in self.fields)


def _resolve(operand: Any, values: dict[str, Any], book: RuleBook) -> Any:
    if isinstance(operand, ThresholdRef):
        return book.thresholds[operand.threshold].value
    if isinstance(operand, FieldRef):
        return values.get(operand.field)
    return operand


def _compare(cond: Compare, values: dict[str, Any], book: RuleBook) -> bool:
    (op, raw), = cond.operators().items()
    left = values.get(cond.field)
    if op == "exists":
        return (left is not None) == raw
    if left is None:
        return False  # a rule never fires on a field the caller did not give
    right = _resolve(raw, values, book)
    if right is None:
        return False
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if op == "in":
        return left in right
    if op == "not_in":
        return left not in right
    if op == "gt":
        return left > right
    if op == "gte":
        return left >= right
    if op == "lt":
        return left < right
    return left <= right  # lte


def holds(cond: Condition, values: dict[str, Any], book: RuleBook) -> bool:
    if isinstance(cond, AllOf):
        return all(holds(c, values, book) for c in cond.all)
    if isinstance(cond, AnyOf):
        return any(holds(c, values, book) for c in cond.any)
    if isinstance(cond, NotOf):
        return not holds(cond.not_, values, book)
    return _compare(cond, values, book)


class _Formatter(string.Formatter):
    # Only plain names: no attribute or index access inside a knowledge-base template.
    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        return kwargs[field_name], field_name


_FORMATTER = _Formatter()


def _render(template: str, values: dict[str, Any], book: RuleBook) -> str:
    names = dict(values)
    names.update({k: v.value for k, v in book.thresholds.items()})
    return _FORMATTER.format(template, **names)


def evaluate(context: NormalizedContext, book: RuleBook) -> list[RuleWarning]:
    """Every rule whose condition holds, most severe first, then in the order of the rule book."""
    values = context.model_dump()
    fired: list[tuple[int, int, Rule]] = [
        (SEVERITY_RANK[rule.severity], index, rule)
        for index, rule in enumerate(book.rules)
        if holds(rule.when, values, book)
    ]
    fired.sort(key=lambda item: item[:2])
    return [
        RuleWarning(
            rule_id=rule.id,
            severity=rule.severity,
            message=_render(rule.message, values, book),
            fields=rule.fields,
            recommendation=_render(rule.recommendation, values, book),
            sources=list(rule.sources),
            origin=rule.origin,
        )
        for _, _, rule in fired
    ]

"""Evaluate the declarative rules of ``knowledge/rules.yaml`` against a normalised context."""

from __future__ import annotations

import string
from typing import Any

from pydantic import BaseModel, Field

from event_driven.core.context import NormalizedContext
from event_driven.kb.predicates import holds
from event_driven.kb.rules import Rule, RuleBook
from event_driven.vocab import SEVERITY_RANK, Severity


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
    thresholds = book.values()
    fired: list[tuple[int, int, Rule]] = [
        (SEVERITY_RANK[rule.severity], index, rule)
        for index, rule in enumerate(book.rules)
        if holds(rule.when, values, thresholds)
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

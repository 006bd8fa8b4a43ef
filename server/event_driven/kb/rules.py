"""Models for ``knowledge/rules.yaml``: consistency rules as data.

A rule's ``when`` is a small declarative condition tree over the fields of
:class:`~event_driven.core.context.NormalizedContext`; it is interpreted, never ``eval``-ed. Numbers never appear as
literals in a condition: a comparison with a measured quantity names a threshold from the same file, and every
threshold is a :class:`SourcedNumber`, so each figure a warning quotes carries its source.
"""

from __future__ import annotations

import string
from typing import Annotated, Literal, Union

from pydantic import Discriminator, Field, Tag, model_validator

from event_driven.core.context import NormalizedContext
from event_driven.kb.common import KnowledgeModel, SourcedNumber, SourceUrl

CONTEXT_FIELDS: frozenset[str] = frozenset(NormalizedContext.model_fields)
# Counts are plain integers ("more than one producer"), not measured figures, so literals are fine there.
COUNT_FIELDS: frozenset[str] = frozenset({"producer_count", "consumer_count"})
Severity = Literal["info", "low", "medium", "high"]
SEVERITY_RANK: dict[str, int] = {"high": 0, "medium": 1, "low": 2, "info": 3}


class ThresholdRef(KnowledgeModel):
    threshold: str


class FieldRef(KnowledgeModel):
    field: str


Literal_ = Union[bool, int, str]
Operand = Union[ThresholdRef, FieldRef, Literal_]


class Compare(KnowledgeModel):
    """Compare one context field with a literal, a threshold or another field. Exactly one operator is set."""

    field: str
    eq: Operand | None = None
    ne: Operand | None = None
    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None
    gt: Operand | None = None
    gte: Operand | None = None
    lt: Operand | None = None
    lte: Operand | None = None
    exists: bool | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> Compare:
        if self.field not in CONTEXT_FIELDS:
            raise ValueError(f"unknown context field {self.field!r}; known fields: {', '.join(sorted(CONTEXT_FIELDS))}")
        ops = self.operators()
        if len(ops) != 1:
            raise ValueError(f"exactly one operator must be set, found {len(ops)}: {sorted(ops) or 'none'}")
        (op, value), = ops.items()
        if op in ("gt", "gte", "lt", "lte") and isinstance(value, (int, float)) and not isinstance(value, bool):
            if self.field not in COUNT_FIELDS:
                raise ValueError(
                    f"numeric literal {value} compared with {self.field!r}: name a sourced threshold instead "
                    "({threshold: NAME}) so the figure carries its source"
                )
        if isinstance(value, FieldRef) and value.field not in CONTEXT_FIELDS:
            raise ValueError(f"unknown context field {value.field!r} on the right-hand side")
        return self

    def operators(self) -> dict[str, object]:
        names = ("eq", "ne", "in_", "not_in", "gt", "gte", "lt", "lte", "exists")
        return {n.rstrip("_"): getattr(self, n) for n in names if getattr(self, n) is not None}


class AllOf(KnowledgeModel):
    all: Annotated[list[Condition], Field(min_length=1)]


class AnyOf(KnowledgeModel):
    any: Annotated[list[Condition], Field(min_length=1)]


class NotOf(KnowledgeModel):
    not_: Condition = Field(alias="not")


def _condition_kind(value: object) -> str:
    # Pick the union member from the key present, so a bad condition gets one precise error, not four.
    if isinstance(value, dict):
        for key in ("all", "any", "not"):
            if key in value:
                return key
        return "compare"
    return type(value).__name__.lower().replace("allof", "all").replace("anyof", "any").replace("notof", "not")


Condition = Annotated[
    Union[
        Annotated[AllOf, Tag("all")],
        Annotated[AnyOf, Tag("any")],
        Annotated[NotOf, Tag("not")],
        Annotated[Compare, Tag("compare")],
    ],
    Discriminator(_condition_kind),
]
AllOf.model_rebuild()
AnyOf.model_rebuild()
NotOf.model_rebuild()


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Rule(KnowledgeModel):
    """One consistency check. ``fields`` are the JSON paths (relative to the event context) the warning is about."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    origin: Literal["seed", "knowledge_base"]
    severity: Severity
    fields: Annotated[list[str], Field(min_length=1)]
    when: Condition
    message: Annotated[str, Field(min_length=1)]
    recommendation: Annotated[str, Field(min_length=1)]
    sources: Annotated[list[SourceUrl], Field(min_length=1)]


class RuleBook(KnowledgeModel):
    """The whole of ``rules.yaml``."""

    thresholds: dict[str, SourcedNumber]
    rules: Annotated[list[Rule], Field(min_length=1)]

    @model_validator(mode="after")
    def _references_resolve(self) -> RuleBook:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            for name in _threshold_refs(rule.when):
                if name not in self.thresholds:
                    raise ValueError(f"rule {rule.id!r} names unknown threshold {name!r}")
            known = CONTEXT_FIELDS | set(self.thresholds)
            for text in (rule.message, rule.recommendation):
                unknown = {p.split(":")[0] for p in _placeholders(text)} - known
                if unknown:
                    raise ValueError(f"rule {rule.id!r} message uses unknown placeholders {sorted(unknown)}")
        return self


def _threshold_refs(cond: Condition) -> list[str]:
    if isinstance(cond, AllOf):
        return [n for c in cond.all for n in _threshold_refs(c)]
    if isinstance(cond, AnyOf):
        return [n for c in cond.any for n in _threshold_refs(c)]
    if isinstance(cond, NotOf):
        return _threshold_refs(cond.not_)
    return [v.threshold for v in cond.operators().values() if isinstance(v, ThresholdRef)]

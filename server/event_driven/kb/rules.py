"""Models for ``knowledge/rules.yaml``: consistency rules as data.

A rule's ``when`` is a condition in the knowledge base's one condition language (:mod:`event_driven.kb.predicates`)
over the fields of the normalised event context; it is interpreted, never ``eval``-ed. Numbers never appear as
literals in a comparison with a measured quantity: it names a threshold from the same file, and every threshold is a
:class:`SourcedNumber`, so each figure a warning quotes carries its source.
"""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from event_driven.kb.common import KnowledgeModel, SourcedNumber, SourceUrl, require_unique
from event_driven.kb.predicates import Comparison, Node, leaf_tests, threshold_refs
from event_driven.vocab import Severity

# The context fields a rule may test: the fields of core/context.py's NormalizedContext, named here because the data
# layer does not import the core (tests/kb/test_knowledge_base.py checks that the two agree).
CONTEXT_FIELDS: frozenset[str] = frozenset({
    "use_case", "throughput_msg_per_s", "latency_ms", "ordering", "delivery", "retention_hours", "message_size_bytes",
    "processing_time_ms",
    "replay", "replay_hours", "idempotent_consumers", "producers", "producer_count", "consumers", "consumer_count",
})
# Counts are plain integers ("more than one producer"), not measured figures, so literals are fine there.
COUNT_FIELDS: frozenset[str] = frozenset({"producer_count", "consumer_count"})


def _check_test(test: Comparison) -> None:
    """This file's policy for the condition language: context fields only; numbers are thresholds, except counts."""
    for name in (test.key, test.value_key):
        if name is not None and name not in CONTEXT_FIELDS:
            raise ValueError(f"unknown context field {name!r}; known fields: {', '.join(sorted(CONTEXT_FIELDS))}")
    bare = isinstance(test.value, int) and not isinstance(test.value, bool)
    if bare and test.op in ("gt", "gte", "lt", "lte") and test.key not in COUNT_FIELDS:
        raise ValueError(
            f"numeric literal {test.value} compared with {test.key!r}: name a sourced threshold instead "
            "({threshold: NAME}) so the figure carries its source"
        )


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Rule(KnowledgeModel):
    """One consistency check. ``fields`` are the JSON paths (relative to the event context) the warning is about."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    origin: Literal["seed", "knowledge_base"]
    severity: Severity
    fields: Annotated[list[str], Field(min_length=1)]
    when: Node
    message: Annotated[str, Field(min_length=1)]
    recommendation: Annotated[str, Field(min_length=1)]
    sources: Annotated[list[SourceUrl], Field(min_length=1)]


    @field_validator("when")
    @classmethod
    def _fields_known(cls, when: Node) -> Node:
        for test in leaf_tests(when):
            _check_test(test)
        return when


class RuleBook(KnowledgeModel):
    """The whole of ``rules.yaml``."""

    thresholds: dict[str, SourcedNumber]
    rules: Annotated[list[Rule], Field(min_length=1)]

    def values(self) -> dict[str, float]:
        """Threshold name -> figure, as conditions compare with them."""
        return {name: float(t.value) for name, t in self.thresholds.items()}

    @model_validator(mode="after")
    def _references_resolve(self) -> RuleBook:
        require_unique((rule.id for rule in self.rules), "duplicate rule ids")
        for rule in self.rules:
            for name in threshold_refs(rule.when):
                if name not in self.thresholds:
                    raise ValueError(f"rule {rule.id!r} names unknown threshold {name!r}")
            known = CONTEXT_FIELDS | set(self.thresholds)
            for text in (rule.message, rule.recommendation):
                unknown = {p.split(":")[0] for p in _placeholders(text)} - known
                if unknown:
                    raise ValueError(f"rule {rule.id!r} message uses unknown placeholders {sorted(unknown)}")
        return self

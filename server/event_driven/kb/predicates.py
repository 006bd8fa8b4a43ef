"""The one condition language of the knowledge base.

Rules (``rules.yaml``), failure-mode config conditions (``failure_modes.yaml``) and the debug checklist's verdicts
(``debug_checklist.yaml``) all say *when* with the same small tree, interpreted here and never ``eval``-ed:

* a **test** on one fact: ``{key: enable.auto.commit, op: eq, value: true}``. ``op`` is one of eq, ne, in, not_in,
  gt, gte, lt, lte, exists, missing. ``value`` is a scalar (string, boolean, whole number), a :class:`SourcedNumber`,
  a named threshold (``{threshold: NAME}``) or, for in / not_in, a list; ``value_key`` compares with another fact
  instead. ``default`` is the documented value assumed when the fact is absent.
* a **group**: ``{all: [...]}``, ``{any: [...]}`` or ``{not: ...}``.

Evaluation is three-valued over a flat mapping of facts (config keys, context fields, observed values): ``None``
when the facts do not decide it. A fact whose value is ``None`` counts as absent. Which facts a file may name, and
whether bare numbers are allowed, is each file's own policy (its model validates that).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, StrictBool, StrictInt, StrictStr, Tag, model_validator

from event_driven.kb.common import KnowledgeModel, SourcedNumber, SourceUrl
from event_driven.units import to_bool, to_float

Op = Literal["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "exists", "missing"]
NUMERIC_OPS = frozenset({"gt", "gte", "lt", "lte"})
LIST_OPS = frozenset({"in", "not_in"})
PRESENCE_OPS = frozenset({"exists", "missing"})
OP_TEXT = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "in", "not_in": "not in",
           "exists": "is set", "missing": "is not set"}


class ThresholdRef(KnowledgeModel):
    """A named, sourced threshold (``rules.yaml`` thresholds), resolved when the condition is evaluated."""

    threshold: str


Scalar = StrictBool | StrictInt | StrictStr | SourcedNumber | ThresholdRef
Thresholds = Mapping[str, float]


class DocumentedDefault(KnowledgeModel):
    """The documented default of a fact, assumed when the facts do not set it."""

    value: Scalar
    source: SourceUrl
    versions: str | None = Field(default=None, description="Releases the default holds for, e.g. '>=3.0'")


def _plain(value: Scalar, thresholds: Thresholds) -> str | bool | float | None:
    if isinstance(value, SourcedNumber):
        return float(value.value)
    if isinstance(value, ThresholdRef):
        return thresholds.get(value.threshold)
    if isinstance(value, (bool, str)):
        return value
    return float(value)


def _equal(actual: Any, expected: str | bool | float | None) -> bool | None:
    if expected is None:
        return None
    if isinstance(expected, bool):
        act = to_bool(actual)
        return None if act is None else act == expected
    if isinstance(expected, (int, float)):
        num = to_float(actual)
        return None if num is None else num == expected
    return str(actual).strip().lower() == expected.strip().lower()


def _compare(op: str, a: float, b: float) -> bool:
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


class Comparison(KnowledgeModel):
    """A test on one fact. ``value`` is typed by ``op``: none for exists / missing, a non-empty list for in /
    not_in, exactly one of ``value`` or ``value_key`` otherwise."""

    key: str = Field(min_length=1)
    op: Op
    value: Scalar | list[Scalar] | None = None
    value_key: str | None = Field(default=None, description="Compare against this other fact instead of a constant")
    default: DocumentedDefault | None = None
    scope: str | None = Field(default=None, description="Where the fact lives (producer, topic, queue...)")

    @model_validator(mode="after")
    def _value_fits_op(self) -> Comparison:
        op, value = self.op, self.value
        if op in PRESENCE_OPS:
            if value is not None or self.value_key is not None:
                raise ValueError(f"op {op!r} takes no value")
        elif op in LIST_OPS:
            if not isinstance(value, list) or not value:
                raise ValueError(f"op {op!r} needs a non-empty list value")
            if self.value_key is not None:
                raise ValueError(f"op {op!r} cannot use value_key")
        else:
            if (value is None) == (self.value_key is None):
                raise ValueError(f"op {op!r} needs exactly one of value or value_key")
            if isinstance(value, list):
                raise ValueError(f"op {op!r} takes a single value; use 'in' for lists")
            if op in NUMERIC_OPS and isinstance(value, (bool, str)):
                raise ValueError(f"op {op!r} compares numbers: value must be a number or a threshold")
        return self

    def evaluate(self, facts: Mapping[str, Any], thresholds: Thresholds = {}) -> bool | None:  # noqa: B006 - read only
        present = facts.get(self.key) is not None
        if self.op == "exists":
            return present
        if self.op == "missing":
            return not present
        if present:
            actual: Any = facts[self.key]
        elif self.default is not None:
            actual = _plain(self.default.value, thresholds)
        else:
            return None
        if self.value_key is not None:
            return self._against_key(actual, facts)
        if isinstance(self.value, list):
            hits = [_equal(actual, _plain(v, thresholds)) for v in self.value]
            if any(h is True for h in hits):
                return self.op == "in"
            return (self.op == "not_in") if all(h is False for h in hits) else None
        assert self.value is not None
        expected = _plain(self.value, thresholds)
        if self.op in NUMERIC_OPS:
            a = to_float(actual)
            return None if a is None or not isinstance(expected, float) else _compare(self.op, a, expected)
        eq = _equal(actual, expected)
        return None if eq is None else (eq if self.op == "eq" else not eq)

    def _against_key(self, actual: Any, facts: Mapping[str, Any]) -> bool | None:
        assert self.value_key is not None
        other = facts.get(self.value_key)
        if other is None:
            return None
        a, b = to_float(actual), to_float(other)
        if self.op in NUMERIC_OPS:
            return None if a is None or b is None else _compare(self.op, a, b)
        same = (a == b) if (a is not None and b is not None) else str(actual).lower() == str(other).lower()
        return same if self.op == "eq" else not same

    def keys(self) -> tuple[set[str], set[str]]:
        """(facts tested for a value, facts tested only for presence)."""
        if self.op in PRESENCE_OPS:
            return set(), {self.key}
        return {self.key} | ({self.value_key} if self.value_key else set()), set()

    def describe(self, thresholds: Thresholds = {}) -> str:  # noqa: B006 - read only
        v = self.value
        if isinstance(v, list):
            shown = "[" + ", ".join(_shown(x, thresholds) for x in v) + "]"
        elif v is None:
            shown = self.value_key or ""
        else:
            shown = _shown(v, thresholds)
        return f"{self.key} {OP_TEXT[self.op]} {shown}".strip()


def _shown(v: Scalar, thresholds: Thresholds) -> str:
    if isinstance(v, SourcedNumber):
        return str(v.value)
    if isinstance(v, ThresholdRef):
        figure = thresholds.get(v.threshold)
        return v.threshold if figure is None else (f"{int(figure)}" if figure.is_integer() else f"{figure:g}")
    return str(v).lower() if isinstance(v, bool) else str(v)


def node_kind(value: Any) -> str:
    """The union tag of a condition node: 'group' for all / any / not, 'leaf' for a test."""
    if isinstance(value, Mapping):
        return "group" if ("all" in value or "any" in value or "not" in value) else "leaf"
    return "group" if isinstance(value, Group) else "leaf"


class Group(KnowledgeModel):
    """``all`` (every member true), ``any`` (at least one true) or ``not`` (the member false); exactly one."""

    all_of: list[Node] | None = Field(default=None, alias="all", min_length=1)
    any_of: list[Node] | None = Field(default=None, alias="any", min_length=1)
    not_: Node | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _exactly_one(self) -> Group:
        if sum(x is not None for x in (self.all_of, self.any_of, self.not_)) != 1:
            raise ValueError("a condition group needs exactly one of 'all', 'any' or 'not'")
        return self

    @property
    def members(self) -> list[Node]:
        if self.not_ is not None:
            return [self.not_]
        return self.all_of if self.all_of is not None else (self.any_of or [])

    def evaluate(self, facts: Mapping[str, Any], thresholds: Thresholds = {}) -> bool | None:  # noqa: B006 - read only
        results = [m.evaluate(facts, thresholds) for m in self.members]
        if self.not_ is not None:
            return None if results[0] is None else not results[0]
        if self.all_of is not None:
            if any(r is False for r in results):
                return False
            return True if all(r is True for r in results) else None
        if any(r is True for r in results):
            return True
        return False if all(r is False for r in results) else None

    def keys(self) -> tuple[set[str], set[str]]:
        valued: set[str] = set()
        present: set[str] = set()
        for m in self.members:
            a, b = m.keys()
            valued |= a
            present |= b
        return valued, present

    def describe(self, thresholds: Thresholds = {}) -> str:  # noqa: B006 - read only
        if self.not_ is not None:
            return f"not {self.not_.describe(thresholds)}"
        joiner = " and " if self.all_of is not None else " or "
        return "(" + joiner.join(m.describe(thresholds) for m in self.members) + ")"


Node = Annotated[Annotated[Comparison, Tag("leaf")] | Annotated[Group, Tag("group")], Discriminator(node_kind)]
Group.model_rebuild()


def leaf_tests(node: Comparison | Group) -> Iterator[Comparison]:
    """Every test of a condition tree, depth first."""
    if isinstance(node, Comparison):
        yield node
        return
    for m in node.members:
        yield from leaf_tests(m)


def threshold_refs(node: Comparison | Group) -> list[str]:
    """The names of the thresholds a condition tree compares with."""
    out: list[str] = []
    for t in leaf_tests(node):
        values = t.value if isinstance(t.value, list) else [t.value]
        out.extend(v.threshold for v in values if isinstance(v, ThresholdRef))
        if t.default is not None and isinstance(t.default.value, ThresholdRef):
            out.append(t.default.value.threshold)
    return out


def holds(node: Comparison | Group, facts: Mapping[str, Any], thresholds: Thresholds = {}) -> bool:  # noqa: B006
    """True only when the facts decide the condition true (undecided counts as not holding)."""
    return node.evaluate(facts, thresholds) is True

"""Hypothesis strategies for hostile input: wrong types, huge, deep and unicode values, YAML specials, anchors and
aliases, NaN and inf, mutations of valid inputs, and real plans with poisoned fields. Shared by the property suite
(tests/adapters/test_hostile_input.py) and the long fuzz run (bench/fuzz.py)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st

YAML_SPECIALS = [
    "a: &x [1, 2]\nb: *x",
    "- &a [*a]",
    "!!python/object:os.system ['id']",
    "a: !!binary aGVsbG8=",
    ".nan",
    ".inf",
    "-.inf",
    "1e999",
    "0x" + "f" * 60,
    "9" * 5000,
    "~",
    "? complex key\n: v",
    "a: b: c",
    "[[[[[[[[[[",
    "\t\x00\x01",
    "%YAML 1.1\n---\na: 1",
    "a: 1\n...\n---\nb: 2",
    "<<: {x: 1}",
    "'" * 1000,
    "&" * 200,
    "\ufeff\u202e",
    "🦄" * 500,
    "a:\n" + "  " * 200 + "b: 1",
    "[" * 10_000,
    "{" * 5000 + "}" * 5000,
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**30, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=50),
    st.text(alphabet=st.characters(min_codepoint=0x80), max_size=200),
    st.sampled_from(YAML_SPECIALS),
    st.just("x" * 100_000),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=20), inner, max_size=6)),
    max_leaves=30,
)


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


deep_values = st.integers(min_value=20, max_value=5_000).map(nested)
hostile = st.one_of(json_values, deep_values)

VALID_CONTEXT = {
    "use_case": "pub_sub",
    "requirements": {
        "throughput": "10K msg/s",
        "latency": "100ms",
        "ordering": "partition",
        "delivery": "at_least_once",
        "retention": "7 days",
    },
    "producers": ["order-service"],
    "consumers": ["billing", "analytics"],
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*prefix, i))
    return found


def _set(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    out = copy.deepcopy(value)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return out


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> Any:
    """A valid input with one value anywhere replaced by a hostile one (the classic fuzzer's move)."""
    paths = _paths(valid)[1:]  # not the root: a tool's arguments are always an object on the wire
    return _set(valid, draw(st.sampled_from(paths)), draw(hostile))


def arguments_for(tool: str, plan: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Whole argument objects for a tool: hostile values for each argument, or a valid call mutated."""
    valid: dict[str, dict[str, Any]] = {
        "validate_context": {"event_context": VALID_CONTEXT},
        "select_broker": {"event_context": VALID_CONTEXT, "constraints": {"cloud": "aws"}},
        "plan_topology": {
            "event_context": VALID_CONTEXT,
            "broker": "kafka",
            "options": {"replication_factor": 3, "max_attempts": 4, "message_size_bytes": 2048},
        },
        "diagnose_issue": {
            "symptoms": ["consumer lag keeps growing"],
            "config": {"max.poll.records": 500},
            "broker": "kafka",
            "event_context": VALID_CONTEXT,
        },
        "generate_tests": {"plan": plan, "options": {"suites": ["idempotency"]}},
        "check_schema_change": {
            "old_schema": {"type": "record", "name": "A", "fields": []},
            "new_schema": {"type": "record", "name": "A", "fields": []},
            "mode": "FULL",
        },
    }
    names = list(valid[tool]) + ["detail", "files", "unknown_argument"]
    arbitrary = st.dictionaries(st.sampled_from(names), hostile, max_size=4)
    return st.one_of(arbitrary, mutated(valid[tool]))

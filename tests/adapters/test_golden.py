"""Behaviour is unchanged unless a commit says so: every tool's structured result equals its golden file.

A commit that changes behaviour on purpose regenerates the files (``python tests/golden/capture.py``) so that the
diff shows what changed. See tests/golden/cases.py for the matrix.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from conftest import TESTS

GOLDEN = TESTS / "golden"
sys.path.insert(0, str(GOLDEN))

import runner  # noqa: E402

TOOLS = ("validate_context", "select_broker", "plan_topology", "diagnose_issue", "generate_tests")


@pytest.fixture(scope="module")
def computed() -> dict[str, dict[str, Any]]:
    return json.loads(json.dumps(runner.all_results()))


def _diff(expected: Any, actual: Any, path: str = "$") -> str | None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            found = _diff(expected.get(key), actual.get(key), f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            found = _diff(e, a, f"{path}[{i}]")
            if found:
                return found
        return None
    return None if expected == actual else f"{path}: expected {str(expected)[:300]!r}, got {str(actual)[:300]!r}"


@pytest.mark.parametrize("tool", TOOLS)
def test_results_equal_golden(tool: str, computed: dict[str, dict[str, Any]]) -> None:
    expected = json.loads((GOLDEN / "results" / f"{tool}.json").read_text(encoding="utf-8"))
    actual = computed[tool]
    assert sorted(actual) == sorted(expected), "the golden matrix changed: regenerate with tests/golden/capture.py"
    problems = [d for case in sorted(expected) if (d := _diff(expected[case], actual[case], f"{case}"))]
    assert not problems, f"{len(problems)} case(s) differ; first: {problems[:3]}"

"""Docs that cannot drift: every tool example in the README is what the server answers today."""

from __future__ import annotations

import anyio

from readme_examples import README, answers, examples


def test_every_readme_example_is_the_current_answer() -> None:
    found = examples(README.read_text(encoding="utf-8"))
    assert {tool for tool, *_ in found} >= {"validate_context", "select_broker", "plan_topology", "diagnose_issue",
                                            "generate_tests", "check_schema_change"}
    current = anyio.run(answers, [(tool, args) for tool, args, _, _ in found])
    for (tool, _, shown, _), now in zip(found, current, strict=True):
        assert shown == now, f"README example for {tool} is stale: run python tests/readme_examples.py --write"

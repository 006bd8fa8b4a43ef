"""Hostile and absurd input, generated: every call is a result or a field-level error, never an internal error,
and structured content always matches the tool's output schema.

Kept CI-sized by default; ``EVENT_DRIVEN_FUZZ_EXAMPLES=10000`` (or ``bench/fuzz.py``) makes it the long run.
"""

from __future__ import annotations

import json
import os

import anyio
import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from event_driven.adapters.answers import run_tool
from event_driven.adapters.output_schema import published
from event_driven.adapters.tools import BY_NAME, TOOLS
from event_driven.app import usecases
from event_driven.kb.loader import knowledge
from hostile.strategies import VALID_CONTEXT, arguments_for

EXAMPLES = int(os.environ.get("EVENT_DRIVEN_FUZZ_EXAMPLES", "25"))
KB = knowledge()
PLAN = usecases.plan_topology({"event_context": VALID_CONTEXT, "broker": "kafka"}, KB).model_dump(mode="json")
SCHEMAS = {t.name: published()[t.name] for t in TOOLS}  # what the server publishes and clients validate against
ERROR_STARTS = ("Invalid input:\n- $",)


def check_answer(tool: str, arguments: dict) -> None:
    result = anyio.run(run_tool, BY_NAME[tool], arguments, KB)
    text = "".join(b.text for b in result.content if b.type == "text")
    assert not text.startswith("Internal error"), (tool, arguments)
    if result.is_error:
        assert text.startswith(ERROR_STARTS), text[:300]
        assert len(text) <= 2_000
        return
    jsonschema.validate(result.structured_content, SCHEMAS[tool])
    if arguments.get("detail") in (None, "summary"):
        assert len(text) + len(json.dumps(result.structured_content)) <= 65_536


@pytest.mark.parametrize("tool", [t.name for t in TOOLS])
def test_hostile_arguments_get_a_result_or_a_field_error(tool: str) -> None:
    # Derandomized: CI sees the same examples every run (bench/fuzz.py is the random long run that looks for new ones).
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)
    @given(arguments=arguments_for(tool, PLAN))
    def run(arguments: dict) -> None:
        check_answer(tool, arguments)

    run()


@pytest.mark.parametrize("text", ["a: &x [1, 2]\nb: *x", "a: " + "9" * 5000, "[" * 10_000, "x" * 300_000])
@pytest.mark.parametrize("tool", ["validate_context", "select_broker", "plan_topology", "diagnose_issue"])
def test_text_contexts_are_parsed_within_limits(tool: str, text: str) -> None:
    check_answer(tool, {"event_context": text, **({"symptoms": "lag"} if tool == "diagnose_issue" else {})})


def test_billion_laughs_is_refused_before_expansion() -> None:
    laughs = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
        f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    result = anyio.run(run_tool, BY_NAME["plan_topology"], {"event_context": laughs}, KB)
    assert result.is_error and "anchors and aliases" in result.content[0].text and len(result.content[0].text) < 500

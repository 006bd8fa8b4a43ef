"""generate_tests as a use case: the core chooses suites and values, the renderer writes the scaffold's files."""

from __future__ import annotations

from typing import Any

from event_driven.core.testgen import GeneratedTests, TestGenInputError, plan_scaffold
from event_driven.kb.loader import KnowledgeBase

__all__ = ["TestGenInputError", "generate_tests"]


def generate_tests(source: Any, kb: KnowledgeBase, options: Any = None) -> GeneratedTests:
    scaffold = plan_scaffold(source, kb, options)
    from event_driven.render.scaffold import render_scaffold  # jinja2 loads when a file is first rendered

    return GeneratedTests(
        use_case=scaffold.use_case,
        broker=scaffold.broker_name,
        files=render_scaffold(scaffold),
        requirements=scaffold.requirements,
        integration_requirements=scaffold.integration_requirements,
        commands=scaffold.commands,
        suites=scaffold.suites,
        env_vars=scaffold.env_vars,
        notes=scaffold.notes,
    )

"""Compute every tool's structured result for the golden matrix, through the package's use cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cases
from pydantic import BaseModel

from event_driven.core.diagnosis import DiagnoseRequest, diagnose
from event_driven.core.selection import select
from event_driven.app.testgen import generate_tests
from event_driven.app.plan import plan_topology
from event_driven.core.validation import validate_context
from event_driven.kb.loader import knowledge


def _json(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


def _guard(fn: Callable[[], BaseModel]) -> Any:
    try:
        return _json(fn())
    except ValueError as exc:  # an input error is a result too
        return {"input_error": str(exc)}


def all_results() -> dict[str, dict[str, Any]]:
    kb = knowledge()
    out: dict[str, dict[str, Any]] = {}
    out["validate_context"] = {k: _guard(lambda v=v: validate_context(v, kb.rules))
                               for k, v in cases.validate_cases().items()}
    out["select_broker"] = {k: _guard(lambda v=v: select(v["context"], kb, v["constraints"]))
                            for k, v in cases.selection_cases().items()}
    out["plan_topology"] = {k: _guard(lambda v=v: plan_topology(v["context"], kb, v["broker"], v["options"]))
                            for k, v in cases.plan_cases().items()}
    out["diagnose_issue"] = {k: _guard(lambda v=v: diagnose(DiagnoseRequest.model_validate(v), kb))
                             for k, v in cases.diagnose_cases().items()}
    out["generate_tests"] = {k: _guard(lambda v=v: generate_tests(v["context"], kb, v["options"]))
                             for k, v in cases.testgen_cases().items()}
    return out

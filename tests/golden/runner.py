"""Compute every tool's structured result for the golden matrix, through the package's use cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cases
from pydantic import BaseModel

from event_driven.app import usecases
from event_driven.errors import InputError
from event_driven.kb.loader import knowledge


def _json(model: BaseModel) -> Any:
    return model.model_dump(mode="json", by_alias=True)


def _guard(fn: Callable[[], BaseModel]) -> Any:
    try:
        return _json(fn())
    except InputError as exc:  # an input error is a result too
        return {"input_error": str(exc)}


def all_results() -> dict[str, dict[str, Any]]:
    kb = knowledge()
    out: dict[str, dict[str, Any]] = {}
    out["validate_context"] = {k: _guard(lambda v=v: usecases.validate_context({"event_context": v}, kb))
                               for k, v in cases.validate_cases().items()}
    out["select_broker"] = {k: _guard(lambda v=v: usecases.select_broker(
        {"event_context": v["context"], "constraints": v["constraints"]}, kb)) for k, v in cases.selection_cases().items()}
    out["plan_topology"] = {k: _guard(lambda v=v: usecases.plan_topology(
        {"event_context": v["context"], "broker": v["broker"], "options": v["options"]}, kb))
        for k, v in cases.plan_cases().items()}
    out["diagnose_issue"] = {k: _guard(lambda v=v: usecases.diagnose_issue(v, kb))
                             for k, v in cases.diagnose_cases().items()}
    out["generate_tests"] = {k: _guard(lambda v=v: usecases.generate_tests(
        {"event_context": v["context"], "options": v["options"]}, kb)) for k, v in cases.testgen_cases().items()}
    return out

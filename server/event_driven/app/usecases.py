"""The five tools as plain functions over raw arguments: what the MCP server and the CLI both call.

Each imports its own part of the core when first called, so a server's first answer (or a CLI command) loads only
the models of the tool it runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from event_driven.app.arguments import bounded
from event_driven.app.inspection import inspect_broker, with_live_evidence
from event_driven.errors import InputError, field_error, from_validation_error

if TYPE_CHECKING:
    from event_driven.core.diagnosis import Diagnosis
    from event_driven.core.schema import SchemaCheckResult
    from event_driven.core.selection import BrokerSelection
    from event_driven.core.testgen import GeneratedTests
    from event_driven.core.topology.models import TopologyPlan
    from event_driven.core.validation import ValidationResult
    from event_driven.kb.loader import KnowledgeBase

Arguments = Mapping[str, Any]
__all__ = [
    "check_schema_change",
    "diagnose_issue",
    "generate_tests",
    "inspect_broker",
    "plan_topology",
    "select_broker",
    "validate_context",
]

VALIDATE_ARGS = ("event_context",)
SELECT_ARGS = ("event_context", "constraints")
PLAN_ARGS = ("event_context", "broker", "options")
DIAGNOSE_ARGS = ("symptoms", "error_lines", "config", "metrics", "broker", "event_context", "max_hypotheses", "target")
TESTS_ARGS = ("event_context", "plan", "options")
# A report holds a few symptoms and a log excerpt; longer lists cost matching work without adding evidence.
DIAGNOSE_CAPS = {"symptoms": 50, "error_lines": 1_000}
SCHEMA_ARGS = ("old_schema", "new_schema", "history", "format", "mode", "plan")


def validate_context(arguments: Arguments, kb: KnowledgeBase) -> ValidationResult:
    """Invalid contexts are a result (valid: false), so only a breach of the input limits raises."""
    from event_driven.core.validation import invalid_result
    from event_driven.core.validation import validate_context as core_validate

    try:
        args = bounded(arguments, VALIDATE_ARGS)
    except InputError as exc:
        return invalid_result(exc.errors)
    return core_validate(args.get("event_context"), kb.rules)


def select_broker(arguments: Arguments, kb: KnowledgeBase) -> BrokerSelection:
    from event_driven.core.selection import select

    args = bounded(arguments, SELECT_ARGS)
    return select(args.get("event_context"), kb, args.get("constraints"))


def plan_topology(arguments: Arguments, kb: KnowledgeBase) -> TopologyPlan:
    from event_driven.app.plan import plan_topology as core_plan

    args = bounded(arguments, PLAN_ARGS)
    return core_plan(args.get("event_context"), kb, args.get("broker"), args.get("options"))


def diagnose_issue(arguments: Arguments, kb: KnowledgeBase) -> Diagnosis:
    from event_driven.core.diagnosis import DiagnoseRequest, diagnose

    args = with_live_evidence(bounded(arguments, DIAGNOSE_ARGS, DIAGNOSE_CAPS))
    try:
        request = DiagnoseRequest.model_validate(args)
    except ValidationError as exc:
        raise InputError(from_validation_error(exc)) from None
    return diagnose(request, kb)


def generate_tests(arguments: Arguments, kb: KnowledgeBase) -> GeneratedTests:
    from event_driven.app.testgen import generate_tests as core_generate_tests

    args = bounded(arguments, TESTS_ARGS, {"options.suites": 50})
    if "plan" in args and "event_context" in args:
        raise InputError(
            field_error("$", "not_allowed", "pass either event_context or plan, not both", "event_context or plan")
        )
    plan = args.get("plan")
    if isinstance(plan, dict) and plan.get("detail") == "summary":
        raise InputError(
            field_error(
                "$.plan.detail",
                "not_allowed",
                "this plan is a summary (lists cut, files left "
                "out); pass plan_topology's answer with detail='full', or pass event_context "
                "and options.broker instead",
                "a plan from plan_topology with detail='full'",
            )
        )
    if isinstance(plan, dict):
        plan = {k: v for k, v in plan.items() if k not in ("detail", "omitted")}
    source = plan if plan is not None else args.get("event_context")
    return core_generate_tests(source, kb, args.get("options"))


def check_schema_change(arguments: Arguments, kb: KnowledgeBase) -> SchemaCheckResult:
    """A supplied plan lends its envelope's compatibility mode when no mode is given."""
    from event_driven.core.schema import check_schema_change as core_schema_check
    from event_driven.core.schema import schema_check_request

    args = bounded(arguments, SCHEMA_ARGS)
    plan = args.pop("plan", None)
    if "mode" not in args and isinstance(plan, dict):
        mode = (plan.get("message_schema") or {}).get("compatibility")
        if isinstance(mode, str):
            args["mode"] = mode
    return core_schema_check(schema_check_request(args), kb.schema_rules)

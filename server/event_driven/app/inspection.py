"""inspect_broker as a use case: a target the operator named, read read-only, optionally compared with a plan; and
the live evidence diagnose_issue merges into the user's own report."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from event_driven.app.arguments import bounded
from event_driven.app.targets import configured
from event_driven.errors import InputError, field_error, from_validation_error

if TYPE_CHECKING:
    from event_driven.live.inspect import InspectionResult

INSPECT_ARGS = ("target", "plan", "pattern")
HOW_TO_ADD = (
    "list targets in a YAML file (targets: [{name, broker, url, username_env, password_env}]) and start "
    "the server with --targets FILE or EVENT_DRIVEN_TARGETS=FILE"
)


def _target(name: Any) -> Any:
    targets = configured()
    if targets is None:
        raise InputError(
            field_error(
                "$.target",
                "unknown_target",
                "no inspection targets are configured; the operator must " + HOW_TO_ADD,
                "a target name from the operator's targets file",
            )
        )
    if not isinstance(name, str) or not name:
        names = ", ".join(t.name for t in targets.targets)
        raise InputError(field_error("$.target", "missing", f"name a target: one of {names}", names))
    target = targets.get(name)
    missing = [env for env in (target.username_env, target.password_env) if env and env not in os.environ]
    if missing:
        raise InputError(
            field_error(
                "$.target",
                "unreachable",
                f"target {name!r} reads its credentials from "
                f"{' and '.join(missing)}, which the server's environment does not set",
                "set the variables where the server runs (their values never appear here)",
            )
        )
    return target


def _plan(raw: Any) -> Any:
    from event_driven.core.topology.models import TopologyPlan

    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InputError(field_error("$.plan", "wrong_type", "the plan must be an object from plan_topology"))
    try:
        return TopologyPlan.model_validate({k: v for k, v in raw.items() if k not in ("detail", "omitted")})
    except ValidationError as exc:
        raise InputError(from_validation_error(exc, root="$.plan")) from None


def inspect(target_name: Any, plan: Any = None, pattern: Any = None) -> InspectionResult:
    """Read one target; a failed read becomes an InputError saying which target, which call and what to check."""
    from event_driven.live.inspect import inspect_target
    from event_driven.live.reading import BrokerReadError

    if pattern is not None and not isinstance(pattern, str):
        raise InputError(field_error("$.pattern", "wrong_type", "the name pattern must be a string, e.g. 'orders.*'"))
    try:
        return inspect_target(_target(target_name), plan=_plan(plan), pattern=pattern)
    except BrokerReadError as exc:
        raise InputError(field_error("$.target", "unreachable", str(exc), f"check {exc.check}")) from None


def inspect_broker(arguments: Mapping[str, Any], kb: Any) -> InspectionResult:
    args = bounded(arguments, INSPECT_ARGS)
    return inspect(args.get("target"), args.get("plan"), args.get("pattern"))


def with_live_evidence(request: dict[str, Any]) -> dict[str, Any]:
    """diagnose_issue's arguments with a target's live evidence merged in; what the user said comes first."""
    name = request.pop("target", None)
    if name is None:
        return request
    live = inspect(name).diagnose_evidence
    if live is None:
        return request
    evidence = live.model_dump(exclude_none=True, exclude_defaults=True)
    merged = {**evidence, **request}
    if "symptoms" in request and "symptoms" in evidence:
        own = request["symptoms"] if isinstance(request["symptoms"], list) else [request["symptoms"]]
        merged["symptoms"] = [*own, *evidence["symptoms"]]
    return merged

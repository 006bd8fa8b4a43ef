"""validate_context: check an event context, normalise it, and run the consistency rules.

Bad input never raises: it comes back as ``valid: false`` with one :class:`FieldError` per problem, each naming the
JSON path, a stable code, what was wrong and what is allowed. Warnings are computed from whatever part of the context
is valid, so a partial context still hears about every contradiction its present fields show.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from event_driven.bounded import load_text
from event_driven.core.context import (
    EventContext,
    NormalizedContext,
    PartialEventContext,
    Requirements,
    normalize,
)
from event_driven.core.rules import RuleWarning, evaluate
from event_driven.errors import FieldError, InputError
from event_driven.kb.rules import RuleBook
from event_driven.vocab import DELIVERIES, ORDERINGS, USE_CASES

M = TypeVar("M", bound=BaseModel)

_TOP_FIELDS = tuple(EventContext.model_fields)
_REQUIREMENT_FIELDS = tuple(Requirements.model_fields)

# What each field allows, in words; used in every error message about that field.
ALLOWED: dict[str, str] = {
    "use_case": "one of " + ", ".join(USE_CASES),
    "requirements": "an object with any of: " + ", ".join(_REQUIREMENT_FIELDS),
    "requirements.throughput": (
        "a whole number, an optional K (thousand) or M (million), then 'msg/s', e.g. '10K msg/s'"
    ),
    "requirements.latency": "a whole number then 'ms' or 's', e.g. '100ms' or '2 s'",
    "requirements.ordering": "one of " + ", ".join(ORDERINGS),
    "requirements.delivery": "one of " + ", ".join(DELIVERIES),
    "requirements.retention": "a whole number then hour(s), day(s) or week(s), e.g. '7 days'",
    "requirements.message_size": "a whole number then B, KB, KiB, MB or MiB, e.g. '2 KB'",
    "requirements.processing_time": "a whole number then ms, s, min or h, e.g. '200ms' or '20 min'",
    "requirements.replay": "'none', 'full', or a whole number then hour(s), day(s) or week(s), e.g. '30 days'",
    "requirements.idempotent_consumers": "true or false",
    "producers": "a list of at least one non-empty service name, e.g. ['order-service']",
    "consumers": "a list of at least one non-empty service name, e.g. ['billing-service']",
}


class ValidationResult(BaseModel):
    """The outcome of validate_context."""

    valid: bool = Field(description="True when the context is complete and every field matches the schema.")
    errors: list[FieldError] = Field(default_factory=list)
    warnings: list[RuleWarning] = Field(
        default_factory=list, description="Consistency warnings, most severe first. Warnings do not make it invalid."
    )
    normalized: NormalizedContext = Field(description="The valid fields in canonical units.")
    summary: str = Field(description="One line an agent can relay to the user.")


# Longest value worth a "did you mean": difflib's cost grows with the length, and a long value is not a typo.
SUGGEST_MAX = 64


def _suggest(dotted: str, value: Any) -> str | None:
    """A corrected value for common slips (lower-case k, 'msg/sec', 'ms ' spacing, near-miss enum names)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if dotted == "requirements.throughput":
        m = re.fullmatch(
            r"(?i)(\d+(?:\.\d+)?)\s*([km]?)\s*(?:msgs?|messages?|events?)?\s*(?:/|per\s*)?\s*(?:s|sec|second)", text
        )
        if m:
            number, unit = m.group(1), m.group(2).upper()
            if "." in number:
                scaled = float(number) * {"": 1, "K": 1_000, "M": 1_000_000}[unit]
                if scaled.is_integer():
                    return f"{int(scaled)} msg/s"
                return None
            return f"{number}{unit} msg/s"
    if dotted == "requirements.latency":
        m = re.fullmatch(r"(?i)(\d+)\s*(ms|msec|milliseconds?|s|sec|seconds?)", text)
        if m:
            return f"{m.group(1)}{'ms' if m.group(2).lower().startswith('m') else ' s'}"
    if dotted in ("requirements.retention", "requirements.replay"):
        m = re.fullmatch(r"(?i)(\d+)\s*(h|hrs?|hours?|d|days?|w|wks?|weeks?)", text)
        if m:
            unit = {"h": "hours", "d": "days", "w": "weeks"}[m.group(2)[0].lower()]
            return f"{m.group(1)} {unit}"
    choices = {"use_case": USE_CASES, "requirements.ordering": ORDERINGS, "requirements.delivery": DELIVERIES}
    if dotted in choices and len(text) <= SUGGEST_MAX:  # a near miss is short; a long string is no typo
        candidate = text.lower().replace("-", "_").replace(" ", "_")
        if candidate in choices[dotted]:
            return candidate
        close = difflib.get_close_matches(candidate, choices[dotted], n=1, cutoff=0.6)
        return close[0] if close else None
    return None


def _field_error(err: Mapping[str, Any], prefix: str) -> FieldError:
    loc = [str(p) for p in err["loc"]]
    kind = err["type"]
    path = prefix + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc)
    dotted = ".".join(p for p in loc if not p.isdigit())
    value = err.get("input")
    if kind == "extra_forbidden":
        parent = ".".join(loc[:-1])
        known = _REQUIREMENT_FIELDS if parent == "requirements" else _TOP_FIELDS
        close = difflib.get_close_matches(loc[-1], known, n=1) if len(loc[-1]) <= SUGGEST_MAX else []
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return FieldError(
            path=path,
            code="unknown_field",
            message=f"Unknown field '{loc[-1]}'.{hint} Allowed here: {', '.join(known)}.",
            allowed=", ".join(known),
            suggestion=close[0] if close else None,
        )
    allowed = ALLOWED.get(dotted)
    if kind == "missing":
        return FieldError(path=path, code="missing", message=f"'{dotted}' is required: {allowed}.", allowed=allowed)
    if kind in ("string_pattern_mismatch", "literal_error"):
        suggestion = _suggest(dotted, value)
        hint = f" Did you mean '{suggestion}'?" if suggestion else ""
        pattern = kind == "string_pattern_mismatch"
        return FieldError(
            path=path,
            code="pattern_mismatch" if pattern else "not_allowed",
            message=f"'{dotted}' is {json.dumps(value)}"
            + (f", which is not {allowed}." if pattern else f"; allowed: {allowed}.")
            + hint,
            allowed=allowed,
            suggestion=suggestion,
        )
    if kind in ("too_short", "string_too_short"):
        what = "an empty list" if kind == "too_short" else "an empty name"
        return FieldError(
            path=path, code="too_short", message=f"'{dotted}' is {what}; allowed: {allowed}.", allowed=allowed
        )
    if allowed is None and loc and loc[-1].isdigit():
        allowed = "a non-empty string (a service name)"
    return FieldError(
        path=path,
        code="wrong_type",
        message=(
            f"'{dotted or 'event context'}' has the wrong type ({type(value).__name__}); "
            f"expected {allowed or 'an object'}."
        ),
        allowed=allowed,
    )


RANGE_ERRORS = (
    "greater_than",
    "greater_than_equal",
    "less_than",
    "less_than_equal",
    "finite_number",
    "too_long",
    "string_too_long",
)


def _range(info: Any) -> str | None:
    """A numeric option's documented range, e.g. 'from 1 to 7', from its Field constraints."""
    low = next(
        (m.ge if hasattr(m, "ge") else m.gt for m in info.metadata if hasattr(m, "ge") or hasattr(m, "gt")), None
    )
    high = next(
        (m.le if hasattr(m, "le") else m.lt for m in info.metadata if hasattr(m, "le") or hasattr(m, "lt")), None
    )
    if low is None and high is None:
        return None
    return f"from {low if low is not None else '-inf'} to {high if high is not None else 'inf'}"


def option_errors(exc: ValidationError, model: type[BaseModel], prefix: str, noun: str) -> list[FieldError]:
    """Field errors for a small options model (plan options, selection constraints): path, code and what is allowed."""
    errors = []
    for err in exc.errors(include_url=False):
        field = str(err["loc"][0]) if err["loc"] else ""
        path = prefix + "".join(f".{p}" for p in err["loc"])
        if err["type"] == "extra_forbidden":
            message = f"Unknown {noun} '{field}'. Allowed: {', '.join(model.model_fields)}."
            errors.append(FieldError(path=path, code="unknown_field", message=message))
            continue
        info = model.model_fields.get(field)
        hint = f" ({info.description})" if info is not None and info.description else ""
        code = (
            "out_of_range"
            if err["type"] in RANGE_ERRORS
            else "wrong_type"
            if err["type"].endswith(("_type", "_parsing"))
            else "not_allowed"
        )
        allowed = _range(info) if info is not None else None
        errors.append(FieldError(path=path, code=code, message=f"{err['msg']}{hint}.", allowed=allowed))
    return errors


def parse_options_model(raw: object, model: type[M], prefix: str, noun: str,
                        error: type[InputError] = InputError) -> M:
    """A small options model from the request (its defaults when absent); ``error`` of :func:`option_errors`."""
    if raw is None:
        return model()
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(option_errors(exc, model, prefix, noun)) from None


def _drop(data: Any, loc: tuple[Any, ...]) -> None:
    """Remove the value at ``loc`` so the rest of the context can still be normalised."""
    if not loc or not isinstance(data, (dict, list)):
        return
    head, rest = loc[0], loc[1:]
    if isinstance(data, dict) and head in data:
        if rest and isinstance(data[head], (dict, list)):
            _drop(data[head], rest)
        else:
            del data[head]
    elif isinstance(data, list) and isinstance(head, int) and 0 <= head < len(data):
        data[head] = None  # placeholder, removed below so indexes in other errors stay right


def _compact(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _compact(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_compact(v) for v in data if v is not None]
    return data


def _unwrap(params: Any) -> tuple[Any, str, list[FieldError]]:
    """The context inside an optional outer ``event_context`` key, its JSON path, and errors about the wrapper."""
    if not (isinstance(params, dict) and "event_context" in params):
        return params, "$", []
    errors = [
        FieldError(
            path=f"$.{key}",
            code="unknown_field",
            message=f"Unknown field '{key}' next to 'event_context'; put every field inside 'event_context'.",
            allowed="event_context",
        )
        for key in sorted(k for k in params if k != "event_context")
    ]
    return params["event_context"], "$.event_context", errors


def _not_an_object(params: Any, prefix: str) -> FieldError | None:
    if params is None:
        message = "No event context was given: send an object with use_case, requirements, producers and consumers."
        return FieldError(path=prefix, code="missing", message=message, allowed="an object")
    if not isinstance(params, dict):
        message = (
            f"The event context must be an object with use_case, requirements, producers and consumers; "
            f"got {type(params).__name__}."
        )
        return FieldError(path=prefix, code="wrong_type", message=message, allowed="an object")
    return None


def validate_context(params: Any, rules: RuleBook) -> ValidationResult:
    """Validate a context given as a dict (with or without the outer ``event_context`` key) or as YAML/JSON text."""
    if isinstance(params, str):
        try:
            params = load_text(params)
        except InputError as exc:
            return _invalid(exc.errors)
    params, prefix, errors = _unwrap(params)
    wrong = _not_an_object(params, prefix)
    if wrong is not None:
        return _invalid([*errors, wrong])
    data = copy.deepcopy(params)
    try:
        EventContext.model_validate(params)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            errors.append(_field_error(err, prefix))
            if err["type"] != "missing":
                _drop(data, tuple(err["loc"]))
    normalized = normalize(PartialEventContext.model_validate(_compact(data)))
    warnings = evaluate(normalized, rules)
    return ValidationResult(
        valid=not errors, errors=errors, warnings=warnings, normalized=normalized, summary=_summary(errors, warnings)
    )


def invalid_result(errors: list[FieldError]) -> ValidationResult:
    """The result for a context that could not even be read (unparseable text, a breach of the input limits)."""
    return _invalid(errors)


def _invalid(errors: list[FieldError]) -> ValidationResult:
    return ValidationResult(valid=False, errors=errors, normalized=NormalizedContext(), summary=_summary(errors, []))


def _summary(errors: list[FieldError], warnings: list[RuleWarning]) -> str:
    head = "Valid event context" if not errors else f"Invalid event context: {len(errors)} error(s)"
    if errors:
        head += " (" + "; ".join(e.path for e in errors[:5]) + ("; ..." if len(errors) > 5 else "") + ")"
    if not warnings:
        return head + ", no warnings."
    worst = warnings[0]
    return f"{head}, {len(warnings)} warning(s); most severe: {worst.rule_id} ({worst.severity})."

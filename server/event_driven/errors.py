"""One error tree for the whole package, and one way to turn pydantic's errors into field errors.

Every input problem, whatever tool or layer finds it, is a :class:`FieldError` (path, code, message, allowed,
suggestion). A layer that refuses input raises :class:`InputError` with one or more of them; the adapters map it to
the same answer format once, at the boundary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

ErrorCode = Literal[
    "parse_error",
    "wrong_type",
    "missing",
    "unknown_field",
    "not_allowed",
    "pattern_mismatch",
    "too_short",
    "out_of_range",
    "too_large",
    "too_deep",
    "unknown_target",
    "unreachable",
    "timeout",
]

# The longest slice of a user's value an error message repeats; longer values are cut and their length shown.
ECHO_LIMIT = 80


class FieldError(BaseModel):
    """One problem with the input."""

    path: str = Field(description="JSON path of the offending value, e.g. '$.requirements.throughput'.")
    code: ErrorCode
    message: str = Field(description="What was wrong and what is allowed.")
    allowed: str | None = Field(default=None, description="What the field accepts.")
    suggestion: str | None = Field(default=None, description="A corrected value, when one is obvious.")


class EventDrivenError(Exception):
    """The root of every error this package raises on purpose."""


class InputError(EventDrivenError, ValueError):
    """The caller's input cannot be used; ``errors`` says where and why."""

    def __init__(self, errors: Sequence[FieldError] | FieldError):
        self.errors: list[FieldError] = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__(render_errors(self.errors))


def field_error(
    path: str, code: ErrorCode, message: str, allowed: str | None = None, suggestion: str | None = None
) -> FieldError:
    return FieldError(path=path, code=code, message=message, allowed=allowed, suggestion=suggestion)


def render_errors(errors: Iterable[FieldError]) -> str:
    """The one text format of input errors: ``Invalid input:`` then one line per problem."""
    lines = [f"- {e.path} ({e.code}): {e.message}" for e in errors]
    return "Invalid input:\n" + "\n".join(lines)


def echo(value: Any, limit: int = ECHO_LIMIT) -> str:
    """A user's value as an error message may repeat it: its repr, cut to ``limit`` characters with the length shown."""
    if isinstance(value, (dict, list, tuple, set)):
        # Never repr a container: it may be huge or nested past the recursion limit.
        return f"{type(value).__name__} of {len(value):,} items"
    try:
        text = value if isinstance(value, str) else repr(value)
    except (ValueError, RecursionError):  # CPython refuses str() of an int past 4,300 digits
        return f"a {type(value).__name__} too large to show"
    if len(text) <= limit:
        return repr(value) if isinstance(value, str) else text
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def json_path(loc: Iterable[Any], root: str = "$") -> str:
    """A pydantic error location as a JSON path: ('a', 0, 'b') -> '$.a[0].b'."""
    out = root
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


_PYDANTIC_CODES: dict[str, ErrorCode] = {
    "missing": "missing",
    "extra_forbidden": "unknown_field",
    "literal_error": "not_allowed",
    "enum": "not_allowed",
    "string_pattern_mismatch": "pattern_mismatch",
    "too_short": "too_short",
    "string_too_short": "too_short",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
    "finite_number": "out_of_range",
    "too_long": "too_large",
    "string_too_long": "too_large",
}


def from_validation_error(
    exc: ValidationError, root: str = "$", allowed: dict[str, str] | None = None
) -> list[FieldError]:
    """pydantic's errors as field errors: the one conversion in the package.

    ``allowed`` maps a dotted field path (``requirements.delivery``) to what it accepts, for the message.
    """
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        dotted = ".".join(str(p) for p in loc if not isinstance(p, int))
        code = _PYDANTIC_CODES.get(err["type"], "wrong_type")
        what = (allowed or {}).get(dotted)
        msg = err["msg"]
        if code != "missing" and "input" in err and err["type"] != "extra_forbidden":
            msg = f"{msg} (got {echo(err['input'])})"
        out.append(field_error(json_path(loc, root), code, msg + (f"; allowed: {what}" if what else ""), what))
    return out

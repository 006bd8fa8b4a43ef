"""Bounded input: text parsed with limits, and any JSON value checked against the same limits.

Every tool argument passes through here before anything else looks at it, so a hostile value costs bounded work:
YAML anchors and aliases are refused (their expansion is the classic "billion laughs"), nesting, node count, string
length and the digits of an integer are capped, and non-finite numbers are refused. A breach is an InputError naming
the path, what was too large and the limit.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

from event_driven.errors import InputError, echo, field_error

# libyaml's parser is about ten times faster than the pure-Python one.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INT_TEXT = re.compile(r"[-+]?(0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_:]*)")


@dataclass(frozen=True)
class Limits:
    max_text_chars: int = 262_144
    max_depth: int = 24
    max_nodes: int = 20_000
    max_string_chars: int = 65_536
    max_int_digits: int = 30


LIMITS = Limits()


def load_text(text: str, path: str = "$", limits: Limits = LIMITS) -> Any:
    """Parse JSON or YAML text within ``limits``; an InputError says where parsing stopped and why."""
    if len(text) > limits.max_text_chars:
        raise InputError(
            field_error(
                path,
                "too_large",
                f"text of {len(text):,} characters; at most {limits.max_text_chars:,} are read",
                f"at most {limits.max_text_chars:,} characters",
            )
        )
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = _load_yaml(text, path, limits)
    else:
        value = _load_yaml(text, path, limits)
    check_value(value, path, limits)
    return value


def _load_yaml(text: str, path: str, limits: Limits) -> Any:
    try:
        _scan_events(text, path, limits)
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            field_error(
                path, "parse_error", f"not valid YAML or JSON{where}: {problem}", "a JSON object or YAML mapping"
            )
        ) from None


def _scan_events(text: str, path: str, limits: Limits) -> None:
    """Refuse anchors, aliases, deep nesting and long integers before anything is constructed."""
    depth = 0
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InputError(
                field_error(
                    path,
                    "not_allowed",
                    "YAML anchors and aliases (& and *) are not accepted; write the value out",
                    "plain YAML without anchors or aliases",
                )
            )
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > limits.max_depth:
                raise _too_deep(path, limits)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.ScalarEvent) and not event.style and _INT_TEXT.fullmatch(event.value):
            if len(event.value) > limits.max_int_digits:
                raise _too_many_digits(path, event.value, limits)


def check_value(value: Any, path: str = "$", limits: Limits = LIMITS) -> None:
    """Walk a parsed value (from JSON arguments or text) and refuse what exceeds ``limits``."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    nodes = 0
    while stack:
        node, where, depth = stack.pop()
        nodes += 1
        if nodes > limits.max_nodes:
            raise InputError(
                field_error(
                    path,
                    "too_large",
                    f"more than {limits.max_nodes:,} values in one argument",
                    f"at most {limits.max_nodes:,} values",
                )
            )
        if depth > limits.max_depth:
            raise _too_deep(where, limits)
        if isinstance(node, dict):
            for key, item in node.items():
                _check_scalar(key, f"{where}.<key>", limits)
                stack.append((item, f"{where}.{str(key)[:40]}", depth + 1))
        elif isinstance(node, (list, tuple)):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(node))
        else:
            _check_scalar(node, where, limits)


def _check_scalar(node: Any, where: str, limits: Limits) -> None:
    if isinstance(node, str) and len(node) > limits.max_string_chars:
        raise InputError(
            field_error(
                where,
                "too_large",
                f"a string of {len(node):,} characters ({echo(node)}); at most {limits.max_string_chars:,}",
                f"at most {limits.max_string_chars:,} characters",
            )
        )
    if isinstance(node, int) and not isinstance(node, bool) and _digits(node) > limits.max_int_digits:
        raise _too_many_digits(where, str(node)[:20], limits)
    if isinstance(node, float) and not math.isfinite(node):
        raise InputError(field_error(where, "out_of_range", f"{node} is not a finite number", "a finite number"))


def _digits(number: int) -> int:
    # bit_length avoids str() of a huge int (CPython refuses over 4,300 digits); log10(2) ~ 0.30103.
    return int(abs(number).bit_length() * 0.30103) + 1


def _too_deep(where: str, limits: Limits) -> InputError:
    return InputError(
        field_error(
            where,
            "too_deep",
            f"nested deeper than {limits.max_depth} levels",
            f"at most {limits.max_depth} levels of nesting",
        )
    )


def _too_many_digits(where: str, text: str, limits: Limits) -> InputError:
    return InputError(
        field_error(
            where,
            "out_of_range",
            f"a number with more than {limits.max_int_digits} digits ({echo(text, 20)})",
            f"at most {limits.max_int_digits} digits",
        )
    )

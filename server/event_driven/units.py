"""Units: the text forms of rates, durations and sizes, and the lenient coercions of config values.

Every parser here accepts exactly the seed's patterns (see ``core/context.py``) and returns canonical units: msg/s,
ms, hours and bytes. The coercions read values as configs spell them ("true", "300000", 1.5) and answer None rather
than guess when a value is neither.
"""

from __future__ import annotations

import math
import re
from typing import Any

_MULTIPLIERS = {"": 1, "K": 1_000, "M": 1_000_000}
_HOURS = {"hour": 1, "day": 24, "week": 24 * 7}
_BYTES = {"B": 1, "KB": 1_000, "KiB": 1_024, "MB": 1_000_000, "MiB": 1_048_576}


def throughput_to_msg_per_s(text: str) -> int:
    match = re.fullmatch(r"(\d+)([KM]?)\s*msg/s", text)
    if match is None:
        raise ValueError(f"not a throughput: {text!r}")
    return int(match.group(1)) * _MULTIPLIERS[match.group(2)]


def latency_to_ms(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*(ms|s)", text)
    if match is None:
        raise ValueError(f"not a latency: {text!r}")
    return int(match.group(1)) * (1 if match.group(2) == "ms" else 1_000)


_MS = {
    "ms": 1,
    "s": 1_000,
    "sec": 1_000,
    "second": 1_000,
    "min": 60_000,
    "minute": 60_000,
    "h": 3_600_000,
    "hour": 3_600_000,
}


def duration_to_ms(text: str) -> int:
    """A processing time such as '200ms', '30 s', '20 min' or '2 h', in milliseconds."""
    match = re.fullmatch(r"(\d+)\s*(ms|sec|second|s|min|minute|h|hour)s?", text)
    if match is None:
        raise ValueError(f"not a processing time: {text!r}")
    return int(match.group(1)) * _MS[match.group(2)]


def duration_to_hours(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*(hour|day|week)s?", text)
    if match is None:
        raise ValueError(f"not a duration: {text!r}")
    return int(match.group(1)) * _HOURS[match.group(2)]


def size_to_bytes(text: str) -> int:
    match = re.fullmatch(r"(\d+)\s*(B|KB|KiB|MB|MiB)", text)
    if match is None:
        raise ValueError(f"not a size: {text!r}")
    return int(match.group(1)) * _BYTES[match.group(2)]


def to_bool(value: Any) -> bool | None:
    """A config flag: a bool, or the text 'true'/'false' in any case; None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def to_float(value: Any) -> float | None:
    """A config number: an int, a float or numeric text; None for bools, non-numbers and non-finite values."""
    if isinstance(value, bool):
        return None
    if not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (ValueError, OverflowError):  # OverflowError: an int with hundreds of digits
        return None
    return number if math.isfinite(number) else None

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


def _scaled(text: str, pattern: str, scale: dict[str, int], what: str) -> int:
    """The number ``pattern`` captures first, times the ``scale`` of the unit it captures second."""
    match = re.fullmatch(pattern, text)
    if match is None:
        raise ValueError(f"not a {what}: {text!r}")
    return int(match.group(1)) * scale[match.group(2)]


def throughput_to_msg_per_s(text: str) -> int:
    return _scaled(text, r"(\d+)([KM]?)\s*msg/s", _MULTIPLIERS, "throughput")


def latency_to_ms(text: str) -> int:
    return _scaled(text, r"(\d+)\s*(ms|s)", _MS, "latency")


def duration_to_ms(text: str) -> int:
    """A processing time such as '200ms', '30 s', '20 min' or '2 h', in milliseconds."""
    return _scaled(text, r"(\d+)\s*(ms|sec|second|s|min|minute|h|hour)s?", _MS, "processing time")


def duration_to_hours(text: str) -> int:
    return _scaled(text, r"(\d+)\s*(hour|day|week)s?", _HOURS, "duration")


def size_to_bytes(text: str) -> int:
    return _scaled(text, r"(\d+)\s*(B|KB|KiB|MB|MiB)", _BYTES, "size")


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

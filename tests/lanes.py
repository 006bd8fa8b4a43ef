"""The plans' lane rule for per-key order with parallelism, as a producer applies it (tests/test_behaviour_*.py)."""

from __future__ import annotations


def lane_of(key: str, lanes: int) -> int:
    """FNV-1a 32-bit hash of the ordering key (UTF-8) mod the lane count."""
    h = 0x811C9DC5
    for byte in key.encode():
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h % lanes

"""Rates and trends from two or more snapshots of the same broker taken over a short window.

Pure: the sampler in ``event_driven.live.sampling`` takes the snapshots; this module lines up each channel's figures
by time and says which way they move.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.inspection.snapshot import ChannelRef, ChannelState

Trend = Literal["growing", "falling", "flat", "unknown"]


class Point(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timestamp_ms: int
    value: int


class ChannelSeries(ChannelRef):
    """One channel's figures over the window, oldest first."""

    depth: list[Point] = Field(default_factory=list)
    in_flight: list[Point] = Field(default_factory=list)
    consumers: list[Point] = Field(default_factory=list)
    depth_trend: Trend = "unknown"
    in_flight_trend: Trend = "unknown"
    depth_rate_per_s: float | None = Field(default=None, description="Change of depth per second over the window.")
    in_flight_rate_per_s: float | None = None


def trend_of(points: Sequence[Point]) -> Trend:
    """Growing or falling when the last value differs from the first and most steps agree; flat when unchanged."""
    if len(points) < 2:
        return "unknown"
    values = [p.value for p in points]
    ups = sum(1 for a, b in zip(values, values[1:], strict=False) if b > a)
    downs = sum(1 for a, b in zip(values, values[1:], strict=False) if b < a)
    if values[-1] > values[0] and ups >= downs:
        return "growing"
    if values[-1] < values[0] and downs >= ups:
        return "falling"
    return "flat" if values[-1] == values[0] else "unknown"


def rate_of(points: Sequence[Point]) -> float | None:
    if len(points) < 2 or points[-1].timestamp_ms == points[0].timestamp_ms:
        return None
    return (points[-1].value - points[0].value) * 1000.0 / (points[-1].timestamp_ms - points[0].timestamp_ms)


def series_of(samples: Sequence[tuple[int, Sequence[ChannelState]]]) -> list[ChannelSeries]:
    """Line up channels by key across ``(timestamp_ms, channels)`` samples; a channel seen once gets one point."""
    by_key: dict[str, ChannelSeries] = {}
    for taken_at, channels in sorted(samples, key=lambda s: s[0]):
        for ch in channels:
            s = by_key.setdefault(ch.key, ChannelSeries(key=ch.key, name=ch.name, kind=ch.kind, parent=ch.parent))
            for attr in ("depth", "in_flight", "consumers"):
                value = getattr(ch, attr)
                if value is not None:
                    getattr(s, attr).append(Point(timestamp_ms=taken_at, value=value))
    for s in by_key.values():
        s.depth_trend, s.in_flight_trend = trend_of(s.depth), trend_of(s.in_flight)
        s.depth_rate_per_s, s.in_flight_rate_per_s = rate_of(s.depth), rate_of(s.in_flight)
    return list(by_key.values())

"""Sourced throughput figures as msg/s: what a whole broker is documented to carry, and what one ordered unit does."""

from __future__ import annotations

import math
from dataclasses import dataclass

from event_driven.kb.brokers import BrokerProfile
from event_driven.kb.common import SourcedNumber

COUNT_UNITS = frozenset({"msg/s", "records/s", "events/s", "TPS"})
BYTES_PER_UNIT = {"MB/s": 1_000_000, "MiB/s": 1_000_000, "GB/s": 1_000_000_000}


@dataclass(frozen=True)
class Capacity:
    """A rate in msg/s (None: not sourced), how it was derived, and the source that states it."""

    msg_per_s: float | None
    how: str
    source: str | None = None


NO_FIGURE = Capacity(None, "no sourced throughput figure")
NO_UNIT_FIGURE = Capacity(None, "no sourced per-unit figure")


def figure_text(value: float) -> str:
    """A figure as a reason quotes it: whole numbers with thousands separators (2,957,796), others as they are."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def as_msg_per_s(figure: SourcedNumber, message_size: int) -> float | None:
    """A throughput figure in msg/s; byte rates are divided by the message size. None for other units."""
    if figure.unit in COUNT_UNITS:
        return float(figure.value)
    if figure.unit in BYTES_PER_UNIT:
        return float(figure.value) * BYTES_PER_UNIT[figure.unit] / message_size
    return None


def aggregate(profile: BrokerProfile, message_size: int) -> Capacity:
    """The largest sourced aggregate throughput, in msg/s, with how it was derived (infinite where the source states
    no ceiling)."""
    if profile.throughput.unbounded is not None:
        return Capacity(math.inf, "states no ceiling", profile.throughput.unbounded.source)
    best = NO_FIGURE
    for f in profile.throughput.figures:
        value = as_msg_per_s(f.figure, message_size)
        if value is not None and (best.msg_per_s is None or value > best.msg_per_s):
            how = f"{figure_text(f.figure.value)} {f.figure.unit} ({f.basis.replace('_', ' ')})"
            best = Capacity(value, how, f.figure.source)
    return best


def one_ordered_unit(profile: BrokerProfile, message_size: int) -> Capacity:
    """What one ordered unit (partition, shard, ordering key, message group) is documented to carry, in msg/s: the
    smallest of the per-unit limits the profile names in ``parallelism.ordered_unit_limits``."""
    unit = profile.parallelism.unit.replace("_", " ")
    best = NO_UNIT_FIGURE
    for limit in profile.parallelism.ordered_unit_figures():
        fig = limit.figure
        value = as_msg_per_s(fig, message_size)
        if value is not None and (best.msg_per_s is None or value < best.msg_per_s):
            per_size = f" / {message_size} B" if fig.unit in BYTES_PER_UNIT else ""
            best = Capacity(value, f"{figure_text(fig.value)} {fig.unit} per {unit}{per_size}", fig.source)
    return best

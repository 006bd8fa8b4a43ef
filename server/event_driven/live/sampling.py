"""Two or more snapshots over a short, bounded window, so depths and lags have a direction and a rate.

The window and the number of samples come from the target (``sampling``: at most 30 s and 10 samples); a sample
that would overrun the inspection's deadline is not taken.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from event_driven.core.inspection.snapshot import BrokerSnapshot
from event_driven.core.inspection.trend import ChannelSeries, series_of
from event_driven.live.reading import ReadContext


def take_samples(read: Callable[[ReadContext], BrokerSnapshot], ctx: ReadContext) -> list[BrokerSnapshot]:
    """``samples`` snapshots spread evenly over ``window_s``; fewer when the deadline would not allow another."""
    window = ctx.target.sampling
    interval = window.window_s / (window.samples - 1) if window.samples > 1 else 0.0
    snapshots = [read(ctx)]
    for _ in range(window.samples - 1):
        last_cost = snapshots[-1].summary.elapsed_ms / 1000
        if ctx.remaining_s() < interval + last_cost * 2:
            break
        time.sleep(interval)
        snapshots.append(read(ctx))
    return snapshots


def sampled_series(snapshots: list[BrokerSnapshot]) -> list[ChannelSeries]:
    return series_of([(s.summary.taken_at_ms, s.channels()) for s in snapshots])

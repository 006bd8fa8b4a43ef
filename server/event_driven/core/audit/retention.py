"""Retention against the replay the context needs: one check shared by every broker's retention rule."""

from __future__ import annotations

from collections.abc import Iterator

from event_driven.core.audit.engine import Audited, Hit

_HOUR_MS = 3_600_000


def retention_hits(a: Audited, broker: str, configured: tuple[str, float | None] | None,
                   default_ms: float | None) -> Iterator[Hit]:
    """A hit when retention (``configured`` as (key, ms or None for unlimited), else the broker's default when the
    config is only this broker's) is shorter than the replay the context states."""
    ctx = a.ctx
    if ctx is None or ctx.replay in (None, "none"):
        return
    if configured is not None:
        key, ms = configured
        shown = a.shown(key)
    elif default_ms is not None and a.brokers == {broker}:
        key, ms, shown = "retention", default_ms, f"(default {default_ms / _HOUR_MS:g} h)"
    else:
        return
    if ms is None:  # unlimited
        return
    need_h = None if ctx.replay == "full" else ctx.replay_hours
    if need_h is None or ms < need_h * _HOUR_MS:
        need = "full replay (from the beginning)" if need_h is None else f"replay of {need_h} h"
        yield Hit(key, shown, "high",
                  f"Retention is {ms / _HOUR_MS:g} h but the context needs {need}: older events are deleted before "
                  "they can be re-read.",
                  "Raise retention to cover the replay window (or -1 / unlimited with tiered storage, or archive to a "
                  "store) or shorten the replay need.")

"""The operator's inspection targets, loaded once when an adapter starts (``--targets FILE`` or
``EVENT_DRIVEN_TARGETS``). The model names a target; it can never name a URL or a credential."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the live layer loads only when targets are configured
    from event_driven.live.targets import TargetsFile

_TARGETS: list[TargetsFile | None] = [None]
TARGETS_ENV = "EVENT_DRIVEN_TARGETS"  # live.targets.TARGETS_ENV, named here so that no target imports no live code


def use_targets(path: str | None) -> TargetsFile | None:
    """Load the targets file (None when none is configured); an invalid file raises InputError naming the problem."""
    if not path and not os.environ.get(TARGETS_ENV, "").strip():
        _TARGETS[0] = None
        return None
    from event_driven.live.targets import load_targets, targets_path

    _TARGETS[0] = load_targets(path) if targets_path(path) is not None else None
    return _TARGETS[0]


def configured() -> TargetsFile | None:
    return _TARGETS[0]


def set_targets(targets: TargetsFile | None) -> None:
    """For tests and embedders that build a TargetsFile in code."""
    _TARGETS[0] = targets

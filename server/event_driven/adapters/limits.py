"""Run-time limits of a tool call: a worker thread per call, bounded concurrency, a time limit, an answer cap.

Tool work is CPU-bound Python; on the event loop one slow call would hold every other client. A capacity limiter
bounds how many run at once; a call that passes its time limit is answered with an error at once (its thread is
abandoned and finishes on its own: inputs are bounded, so it ends soon).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio

T = TypeVar("T")

TIMEOUT_ENV = "EVENT_DRIVEN_TOOL_TIMEOUT_S"
CONCURRENCY_ENV = "EVENT_DRIVEN_TOOL_CONCURRENCY"


@dataclass
class Runtime:
    timeout_s: float = 10.0
    concurrency: int = 4
    max_answer_chars: int = 400_000
    _limiter: anyio.CapacityLimiter | None = field(default=None, repr=False)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        if self._limiter is None:  # created lazily: it must belong to the running event loop
            self._limiter = anyio.CapacityLimiter(self.concurrency)
        return self._limiter

    async def run(self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None) -> T:
        with anyio.fail_after(timeout_s or self.timeout_s):
            return await anyio.to_thread.run_sync(
                functools.partial(fn, *args), limiter=self.limiter, abandon_on_cancel=True
            )


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


RUNTIME = Runtime(timeout_s=_env_number(TIMEOUT_ENV, 10.0), concurrency=int(_env_number(CONCURRENCY_ENV, 4)))

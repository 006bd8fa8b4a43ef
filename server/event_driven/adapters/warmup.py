"""The knowledge base and the tools' code, loaded once per process, off the critical path of the handshake.

Over stdio the server answers ``initialize`` as soon as the SDK is up; the knowledge base (validated, as always)
and the tools' modules load in a worker thread that starts with the first message after ``initialize`` (the client
sends ``notifications/initialized`` once it has the result), with the first request of a session that skips the
handshake, or when the input closes. Tool calls, resource reads and completions wait for it. A malformed knowledge
file still stops the server: the message names the file and the exit code is 3 (see serve.py).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio

if TYPE_CHECKING:
    from event_driven.kb.loader import KnowledgeBase

# What every tool call needs besides the knowledge base; each tool's core loads on its first call (app/usecases.py).
TOOL_MODULES = ("event_driven.app.usecases", "event_driven.adapters.presenters", "event_driven.adapters.answers")


class NotLoaded(RuntimeError):
    """The warm-up failed: the server is stopping (serve.py reports why)."""


def load_everything() -> KnowledgeBase:
    """The knowledge base (a malformed file raises KnowledgeError), then the modules every call needs."""
    from event_driven.kb.loader import knowledge

    kb = knowledge()
    for module in TOOL_MODULES:
        importlib.import_module(module)
    return kb


class Warmup:
    """The knowledge base, loaded once in a worker thread; ``get`` and ``knowledge`` start the load if nothing has."""

    def __init__(self, load: Callable[[], KnowledgeBase] = load_everything) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._started = False
        self._done = threading.Event()
        self._kb: KnowledgeBase | None = None
        self.error: BaseException | None = None

    @classmethod
    def ready(cls, kb: KnowledgeBase) -> Warmup:
        """Already loaded (HTTP transports, tests and embedders that pass a knowledge base)."""
        warmup = cls(lambda: kb)
        warmup._started, warmup._kb = True, kb
        warmup._done.set()
        return warmup

    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="event-driven-warmup", daemon=True).start()

    def _run(self) -> None:
        try:
            self._kb = self._load()
        except BaseException as exc:  # reported by serve.py, which stops the server
            self.error = exc
        finally:
            self._done.set()

    def get(self) -> KnowledgeBase:
        """Blocking: for code that runs in a worker thread (sync resource readers)."""
        self.start()
        self._done.wait()
        return self._result()

    async def knowledge(self) -> KnowledgeBase:
        self.start()
        await self.finished()
        return self._result()

    async def finished(self) -> None:
        """Wait until the load has ended, well or not (without starting it)."""
        if not self._done.is_set():
            await anyio.to_thread.run_sync(self._done.wait, abandon_on_cancel=True)

    def _result(self) -> KnowledgeBase:
        if self.error is not None:
            raise NotLoaded("the knowledge base did not load; the server is stopping") from self.error
        assert self._kb is not None
        return self._kb


class StartOnFirstMessage:
    """Server middleware: start the warm-up once the handshake's answer is out (any message after ``initialize``)."""

    def __init__(self, warmup: Warmup) -> None:
        self.warmup = warmup

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.method != "initialize":
            self.warmup.start()
        return await call_next(ctx)

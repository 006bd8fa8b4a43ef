"""A bounded cache of answers: every tool but live inspection is a pure function of its arguments and of the
knowledge base, which is immutable once loaded, so the same request always gives the same answer.

Agents repeat requests (validate, select and plan over one context; a plan's links read one file at a time, each
rebuilding the plan), so a hit saves the whole computation. ``EVENT_DRIVEN_ANSWER_CACHE=0`` turns it off (the
benchmark measures both); the size is bounded by entries and by each answer's size.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Mapping
from threading import Lock
from typing import Any, Generic, TypeVar

V = TypeVar("V")
ENV = "EVENT_DRIVEN_ANSWER_CACHE"
MAX_ENTRIES = 128


def request_key(tool: str, arguments: Mapping[str, Any]) -> str | None:
    """A canonical key for a request, or None when the arguments cannot be keyed (they are refused anyway)."""
    try:
        return tool + "\x00" + json.dumps(arguments, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None


class AnswerCache(Generic[V]):
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.enabled = os.environ.get(ENV, "1") not in ("0", "false", "no")
        self.max_entries = max_entries
        self._items: OrderedDict[str, V] = OrderedDict()
        self._lock = Lock()

    def get(self, key: str | None) -> V | None:
        if key is None or not self.enabled:
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: str | None, value: V) -> None:
        if key is None or not self.enabled:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

"""Redis Streams: plans and their rendered setup commands, split into argument lists for the real server."""

from __future__ import annotations

import shlex
from typing import Any

from brokers.common import context
from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge

HOST, PORT = "127.0.0.1", 6379


def make_plan(use_case: str, domain: str = "orders", **options: Any):
    return plan_topology(context(use_case), knowledge(), broker="redis_streams",
                         options={"domain": domain, "replication_factor": 1, "max_attempts": 3, **options})


def setup_text(plan) -> str:
    return next(a.content for a in plan.artifacts if a.path == "redis/setup.redis")


def commands(text: str) -> list[list[str]]:
    """The executable lines, split the way redis-cli splits them (names are plain tokens, so shlex agrees)."""
    return [shlex.split(line) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]

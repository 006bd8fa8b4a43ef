"""Redis Streams: the consumer-group set-up as redis-cli commands, one per line, with the consume/reclaim/ack/
dead-letter/trim commands as comments.

Run with ``grep -v '^#' redis/setup.redis | redis-cli`` (redis-cli does not skip comment lines). Groups that rebuild
a read model (projections) start at ``0`` so they replay the stream; every other group starts at ``$`` (new entries
only). ``XGROUP CREATE`` is not idempotent: a second run answers ``BUSYGROUP`` for each existing group.
"""

from __future__ import annotations

from typing import Any

import jinja2

from event_driven.core.topology.models import Artifact, TopologyPlan

PATH = "redis/setup.redis"
CHECKED_BY = ("redis-py execute_command of every line on Redis 7.0 + XINFO GROUPS read-back; XREADGROUP without ack, "
              "then XAUTOCLAIM by a second consumer moves the pending entry (times_delivered incremented)")
REPLAY_STRATEGIES = ("projection",)


def setup_context(plan: TopologyPlan) -> dict[str, Any]:
    strategy = {g.name: g.strategy for g in plan.consumer_groups}
    by_key = {c.key: c.name for c in plan.channels}
    dead_letter = {lc.dead_letter_of: by_key[lc.key] for lc in plan.logical_channels
                   if lc.dead_letter_of and lc.key in by_key}
    streams = []
    for ch in plan.channels:
        if ch.kind != "stream":
            continue
        groups = [{"name": name, "start": "0" if strategy.get(name) in REPLAY_STRATEGIES else "$",
                   "strategy": strategy.get(name, "unknown")} for name in ch.settings["groups"]]
        streams.append({"channel": ch, "groups": groups,
                        "dead_letter": dead_letter.get(ch.settings.get("lane_of", ch.key))})
    return {"streams": streams, "retry": plan.retry, "consumer": plan.client_settings.consumer}


def render(plan: TopologyPlan, env: jinja2.Environment, domain: str) -> list[Artifact]:
    ctx = setup_context(plan)
    return [Artifact(
        path=PATH, media_type="text/plain",
        description=(f"Redis Streams set-up for '{domain}': XGROUP CREATE ... MKSTREAM for "
                     f"{sum(len(s['groups']) for s in ctx['streams'])} consumer groups on {len(ctx['streams'])} "
                     f"streams, "
                     "with the consume, reclaim, ack, dead-letter and trim commands as comments. "
                     "Run: grep -v '^#' redis/setup.redis | redis-cli"),
        content=env.get_template("redis/setup.redis.j2").render(domain=domain, **ctx),
        checked_by=CHECKED_BY,
    )]

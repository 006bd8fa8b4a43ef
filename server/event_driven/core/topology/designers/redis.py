"""Redis Streams: one stream per channel with its consumer groups, XAUTOCLAIM reclaiming and a dead-letter stream."""

from __future__ import annotations

from typing import Any

from event_driven.core.topology import models, naming
from event_driven.core.topology.designers import common
from event_driven.kb.loader import KnowledgeBase
from event_driven.vocab import BrokerId

RULE = f"{naming.CONVENTION} with ':' for '.'; Redis keys are binary-safe, the planner emits [a-z0-9:_.-]"


def _streams(spec: models.DesignInput) -> list[models.Channel]:
    by_key = {c.key: c for c in spec.logical_channels}
    channels: list[models.Channel] = []
    for lc in spec.logical_channels:
        if lc.role == "retry":
            continue
        key = naming.redis_key(common.logical_name(spec, lc, by_key, spec.retry_policy.dead_letter_suffix))
        hours = common.retention_hours(spec, lc)
        memory = None if hours is None else spec.throughput_msg_per_s * hours * 3600 * spec.message_size_bytes
        groups = common.groups_on(spec, lc.key)
        lanes = max([g.lanes for g in groups] or [1])
        # Ordered lanes: one stream per key range (hash of the key), each read by one active consumer per group.
        for i in range(lanes) if lanes > 1 else [None]:
            lane = {} if i is None else {"lane_of": lc.key, "lane": i, "lanes": lanes}
            channels.append(models.Channel(
                key=lc.key if i is None else f"{lc.key}@lane.{i}", name=key if i is None else f"{key}:lane:{i}",
                kind="stream", role=lc.role, purpose=lc.purpose if i is None else f"{lc.purpose} (lane {i})",
                retention_hours=hours, keep_forever=hours is None,
                cleanup_policy="none" if hours is None else "XTRIM MINID ~ (now - retention)",
                settings={"groups": [g.name for g in groups], **lane, "trim_minid_age_ms":
                          None if hours is None else hours * common.HOUR_MS,
                          "estimated_memory_bytes": None if memory is None else memory // lanes},
                naming_rule=RULE))
    return channels


def _memory_warning(spec: models.DesignInput, channels: list[models.Channel]) -> models.PlanWarning:
    estimates = [c.settings.get("estimated_memory_bytes") or 0 for c in channels]
    size = (f"{max(estimates) / 1e9:,.1f} GB (rate x retention x message size, before per-entry overhead)."
            if any(estimates) else "as much memory as the whole log, kept without end.")
    return models.PlanWarning(
        message="Redis keeps streams in memory: the retained entries need about " + size,
        action="Trim by MINID to the retention, shorten retention, or keep the long tail in a log store; monitor "
               "used_memory.",
        severity="medium" if spec.retention_hours and spec.retention_hours > 24 else "low")


def _durability_warning(spec: models.DesignInput) -> list[models.PlanWarning]:
    if spec.delivery == "at_most_once":
        return []
    return [models.PlanWarning(
        message=f"{spec.delivery.replace('_', '-')} on Redis Streams holds only with AOF persistence and confirmed "
                "replication: by default an acknowledged XADD lives in memory and a restart or failover can lose it.",
        action="Set appendonly yes and appendfsync always (everysec can lose the last second), and WAIT for the "
               "replicas after XADD; otherwise plan for at-most-once on Redis.", severity="high")]


class RedisDesigner:
    broker_id: BrokerId = "redis_streams"

    def design(self, spec: models.DesignInput, kb: KnowledgeBase) -> models.BrokerDesign:
        channels = _streams(spec)
        b = spec.retry_policy.backoff
        producer: dict[str, Any] = {"XADD": "XADD <stream> * envelope <json> (id is the time-ordered entry id)"}
        laned = next((c for c in channels if c.settings.get("lanes")), None)
        if laned is not None:
            base = laned.name.rsplit(":lane:", 1)[0]
            producer["lane"] = (f"XADD {base}:lane:<lane> with lane = FNV-1a 32-bit hash of the ordering key (UTF-8) "
                                f"mod {laned.settings['lanes']}; each lane stream has one active consumer per group "
                                "that processes its entries in order")
        if spec.delivery != "at_most_once":
            producer["durability"] = ("appendonly yes, appendfsync always on the server; after XADD, WAIT <replicas> "
                                      "<timeout> (or WAITAOF 1 <replicas> <timeout> on Redis 7.2+) before treating the "
                                      "event as published")
        count = spec.workload.prefetch
        consumer = {"XREADGROUP": f"GROUP <group> <consumer> COUNT {count} BLOCK 5000 STREAMS <stream> >",
                    "ack": "XACK after processing" if spec.delivery != "at_most_once" else "NOACK",
                    "reclaim": f"XAUTOCLAIM <stream> <group> <consumer> {spec.workload.ack_deadline_ms} 0-0 COUNT 100",
                    "dead_letter_after_deliveries": b.max_attempts}
        reasons = {"XREADGROUP": "'>' delivers new entries and records them in the pending entries list (PEL)",
                   "reclaim": "entries idle longer than the processing budget are claimed by a live consumer",
                   "dead_letter_after_deliveries": "XPENDING's delivery count bounds retries; then XADD to .dlq and "
                                                   "XACK",
                   "durability": "an XADD acknowledged from memory is lost on restart or failover: at-least-once "
                                 "needs the AOF fsynced and the write confirmed on replicas"}
        if spec.workload.heartbeat:
            consumer["heartbeat"] = (f"XCLAIM <stream> <group> <consumer> 0 <id> JUSTID every "
                                     f"{spec.workload.ack_deadline_ms // 2} ms while a job runs: resets its idle time")
            reasons["heartbeat"] = "the owner re-claims its own entry so XAUTOCLAIM never steals a running job"
        retry = models.RetryMapping(
            mechanism="pending entries list: unacked entries are reclaimed with XAUTOCLAIM; after max deliveries "
                      "the consumer copies the entry to the dead-letter stream and acknowledges it",
            settings={"min_idle_time_ms": spec.workload.ack_deadline_ms, "max_deliveries": b.max_attempts},
            steps=common.steps(
                spec, "", "the :dlq stream",
                non_retryable="the consumer XADDs it to the :dlq stream with the group and error class, then XACKs it",
                retry=(f"Retryable errors ({', '.join(spec.retry_policy.retryable)}) stay unacknowledged and are "
                       f"reclaimed by XAUTOCLAIM once idle for {spec.workload.ack_deadline_ms} ms, up to "
                       f"{b.max_attempts - 1} times: Redis has no per-entry delay, so every retry waits that idle "
                       f"time, not the planned {', '.join(str(d) for d in b.delays_ms)} ms backoff.")),
            sources=common.urls(kb, "redis-commands-xreadgroup", "redis-commands-xautoclaim", "redis-commands-xtrim",
                                "redis-commands-waitaof"),
        )
        return models.BrokerDesign(channels=channels, consumer_groups=spec.consumer_groups,
                            client_settings=models.ClientSettings(
                                client="redis-py", producer=producer, consumer=consumer, reasons=reasons,
                                sources=common.urls(kb, "redis-commands-xreadgroup", "redis-commands-xautoclaim")),
                            retry=retry, warnings=[_memory_warning(spec, channels), *_durability_warning(spec)])

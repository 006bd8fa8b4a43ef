"""Redis Streams: one stream per channel with its consumer groups, XAUTOCLAIM reclaiming and a dead-letter stream."""

from __future__ import annotations

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
        channels.append(models.Channel(
            key=lc.key, name=key, kind="stream", role=lc.role, purpose=lc.purpose, retention_hours=hours,
            keep_forever=hours is None, cleanup_policy="none" if hours is None else "XTRIM MINID ~ (now - retention)",
            settings={"groups": [g.name for g in common.groups_on(spec, lc.key)], "trim_minid_age_ms":
                      None if hours is None else hours * common.HOUR_MS, "estimated_memory_bytes": memory},
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


class RedisDesigner:
    broker_id: BrokerId = "redis_streams"

    def design(self, spec: models.DesignInput, kb: KnowledgeBase) -> models.BrokerDesign:
        channels = _streams(spec)
        b = spec.retry_policy.backoff
        producer = {"XADD": "XADD <stream> * envelope <json> (id is the time-ordered entry id)"}
        count = spec.workload.prefetch
        consumer = {"XREADGROUP": f"GROUP <group> <consumer> COUNT {count} BLOCK 5000 STREAMS <stream> >",
                    "ack": "XACK after processing" if spec.delivery != "at_most_once" else "NOACK",
                    "reclaim": f"XAUTOCLAIM <stream> <group> <consumer> {spec.workload.ack_deadline_ms} 0-0 COUNT 100",
                    "dead_letter_after_deliveries": b.max_attempts}
        reasons = {"XREADGROUP": "'>' delivers new entries and records them in the pending entries list (PEL)",
                   "reclaim": "entries idle longer than the processing budget are claimed by a live consumer",
                   "dead_letter_after_deliveries": "XPENDING's delivery count bounds retries; then XADD to .dlq and "
                                                   "XACK"}
        if spec.workload.heartbeat:
            consumer["heartbeat"] = (f"XCLAIM <stream> <group> <consumer> 0 <id> JUSTID every "
                                     f"{spec.workload.ack_deadline_ms // 2} ms while a job runs: resets its idle time")
            reasons["heartbeat"] = "the owner re-claims its own entry so XAUTOCLAIM never steals a running job"
        retry = models.RetryMapping(
            mechanism="pending entries list: unacked entries are reclaimed with XAUTOCLAIM; after max deliveries "
                      "the consumer copies the entry to the dead-letter stream and acknowledges it",
            settings={"min_idle_time_ms": spec.workload.ack_deadline_ms, "max_deliveries": b.max_attempts},
            steps=common.steps(spec, "by leaving the entry unacknowledged until XAUTOCLAIM reclaims it (no per-entry "
                        "delay: the idle time is the backoff floor)", "the :dlq stream"),
            sources=common.urls(kb, "redis-commands-xreadgroup", "redis-commands-xautoclaim", "redis-commands-xtrim"),
        )
        return models.BrokerDesign(channels=channels, consumer_groups=spec.consumer_groups,
                            client_settings=models.ClientSettings(
                                client="redis-py", producer=producer, consumer=consumer, reasons=reasons,
                                sources=common.urls(kb, "redis-commands-xreadgroup", "redis-commands-xautoclaim")),
                            retry=retry, warnings=[_memory_warning(spec, channels)])

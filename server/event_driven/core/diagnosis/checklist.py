"""The seed's debug checklist, answered from what the request shows: pass, fail or unknown, with the reason."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from event_driven.core.context import NormalizedContext
from event_driven.core.diagnosis.result import ChecklistResult, LagVerdict
from event_driven.core.evidence import Metrics, ParsedConfig
from event_driven.kb.loader import KnowledgeBase
from event_driven.units import to_bool, to_float

Status = Literal["pass", "fail", "unknown"]
Verdict = tuple[Status, str]  # (status, reason)


@dataclass(frozen=True)
class Facts:
    """What a checklist item may look at."""

    flat: Mapping[str, Any]
    parsed: ParsedConfig
    broker: str | None
    ctx: NormalizedContext | None
    metrics: Metrics | None
    lag: LagVerdict | None

    def q(self, key: str) -> str:
        return self.parsed.quote(key) or key

    def flag(self, key: str) -> bool | None:
        return to_bool(self.flat.get(key))

    def number(self, key: str) -> float | None:
        return to_float(self.flat.get(key))

    @property
    def delivery(self) -> str | None:
        return self.ctx.delivery if self.ctx else None


def _producer_acks(f: Facts) -> Verdict:
    acks = f.flat.get("acks")
    if acks is not None:
        if str(acks).lower() in ("all", "-1"):
            reason = f"{f.q('acks')}: the write waits for the in-sync replicas"
            if f.flag("enable.idempotence") is False:
                reason += ", but enable.idempotence=false lets retries duplicate records"
            return "pass", reason
        return "fail", f"{f.q('acks')}: acknowledged writes can be lost on leader failover"
    confirms = f.flag("publisher_confirms")
    if confirms is not None:
        return ("pass" if confirms else "fail"), f"{f.q('publisher_confirms')}: " + (
            "publishes are confirmed" if confirms else "the publisher never learns whether a message arrived")
    if f.broker == "kafka":
        return "unknown", "acks is not in the config (default all since Kafka 3.0; older clients default to 1)"
    return "unknown", "no producer acknowledgement setting (acks / publisher confirms) in the config"


def _offsets_committed(f: Facts) -> Verdict:
    groups = f.lag.groups if f.lag else []
    not_committed = [f"{p.topic}:{p.partition}" for g in groups for p in g.partitions if p.status == "NOT_COMMITTED"]
    auto = f.flag("enable.auto.commit")
    if not_committed:
        return "fail", f"no committed offset for {', '.join(not_committed[:5])} in the samples"
    if auto is True and f.delivery in ("at_least_once", "exactly_once"):
        return "fail", (f"{f.q('enable.auto.commit')}: offsets are committed on a timer, before processing is known "
                        f"to be done ({f.delivery} stated)")
    if auto is False:
        return "pass", (f"{f.q('enable.auto.commit')}: offsets are committed by the application (check that it "
                        "commits after processing)")
    if groups:
        return "pass", "the samples show committed offsets for every partition"
    if auto is True:
        return "unknown", (f"{f.q('enable.auto.commit')}: offsets are committed, but on a timer; state the delivery "
                           "guarantee to judge whether that is acceptable")
    return "unknown", "no commit setting in the config and no offset samples"


_REPLICATION_KEYS = ("replication.factor", "default.replication.factor", "x-quorum-initial-group-size", "num_replicas")


def _is_quorum(f: Facts) -> bool:
    return str(f.flat.get("x-queue-type", "")).lower() == "quorum"


def _replication_factor(f: Facts) -> Verdict:
    key = next((k for k in _REPLICATION_KEYS if k in f.flat), None)
    replicas = f.number(key) if key is not None else None
    if key is not None and replicas is not None:
        ok = replicas >= 3
        return ("pass" if ok else "fail"), f.q(key) + (
            " (>= 3)" if ok else ": below 3, one broker loss can lose or block data")
    if _is_quorum(f):
        return "pass", f"{f.q('x-queue-type')}: quorum queues default to 3 replicas"
    return "unknown", "no replication setting in the config"


def _lag_monitored(f: Facts) -> Verdict:
    if f.lag and f.lag.groups:
        return "pass", f"offset samples were supplied (group status {f.lag.status})"
    if f.metrics and (f.metrics.queue_depths or f.metrics.oldest_message_age_ms):
        return "pass", "queue depth / message age samples were supplied"
    return "unknown", "no lag or queue-depth samples were given; whether lag is alerted on cannot be seen"


_DLQ_KEYS = ("x-dead-letter-exchange", "RedrivePolicy", "RedrivePolicy.deadLetterTargetArn",
             "deadLetterPolicy.deadLetterTopic")


def _dlq_alerts(f: Facts) -> Verdict:
    dlq_keys = [k for k in _DLQ_KEYS if k in f.flat]
    if f.metrics and f.metrics.dlq_depths:
        return "pass", "DLQ depth samples were supplied (keep an alert on their growth)"
    if dlq_keys:
        return "unknown", (f"a dead-letter target is configured ({f.q(dlq_keys[0])}); whether its depth is alerted "
                           "on cannot be seen from config")
    sqs_queue = f.broker == "sqs" and any(k in f.flat for k in ("VisibilityTimeout", "MessageRetentionPeriod"))
    if _is_quorum(f) or sqs_queue:
        return "fail", "the queue config has no dead-letter target, so there is nothing to alert on"
    return "unknown", "no dead-letter setting in the config"


def _idempotency(f: Facts) -> Verdict:
    if f.ctx is None or f.ctx.idempotent_consumers is None:
        return "unknown", "the context does not say whether consumers deduplicate (requirements.idempotent_consumers)"
    if f.ctx.idempotent_consumers:
        return "pass", "the context states consumers deduplicate"
    tail = (f", yet delivery is {f.delivery} (redeliveries will be processed twice)"
            if f.delivery in ("at_least_once", "exactly_once") else "")
    return "fail", "the context states consumers do not deduplicate" + tail


def _schema_registry(f: Facts) -> Verdict:
    registry = [k for k in f.flat if "schema.registry.url" in k or k.endswith("schemaregistryurl")]
    if registry:
        return "pass", f"{f.q(registry[0])} is set"
    if "compatibility" in f.flat:
        return "pass", f"{f.q('compatibility')}: a registry compatibility mode is configured"
    return "unknown", "no schema registry setting in the config"


_ITEMS: dict[str, Callable[[Facts], Verdict]] = {
    "producer_acks": _producer_acks,
    "offsets_committed": _offsets_committed,
    "replication_factor": _replication_factor,
    "lag_monitored": _lag_monitored,
    "dlq_alerts": _dlq_alerts,
    "idempotency": _idempotency,
    "schema_registry": _schema_registry,
}


def answer_checklist(kb: KnowledgeBase, facts: Facts) -> list[ChecklistResult]:
    out: list[ChecklistResult] = []
    for item in kb.debug_checklist.items:
        judge = _ITEMS.get(item.id)
        status, reason = judge(facts) if judge else ("unknown", "")
        out.append(ChecklistResult(id=item.id, question=item.question, status=status, reason=reason,
                                   how_to_check=list(item.how_to_check), sources=list(item.sources)))
    return out

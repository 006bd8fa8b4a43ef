"""The use-case fit: how a broker's consumption model (log, queue, pub/sub, hybrid) serves each use case."""

from __future__ import annotations

from event_driven.core.context import NormalizedContext
from event_driven.core.selection.knowledge import Basis, Candidate
from event_driven.core.selection.models import Fit, RequirementFit, not_given, requirement_fit
from event_driven.kb.brokers import BrokerModel
from event_driven.vocab import UseCase

# How each broker model serves each use case (editorial judgement, anchored on the seed's "Use:" lines).
USE_CASE_FIT: dict[UseCase, dict[BrokerModel, tuple[Fit, str]]] = {
    "pub_sub": {
        "log": ("good", "a retained log read independently by each consumer group"),
        "pubsub": ("good", "topic fan-out to one subscription per subscriber"),
        "hybrid": ("good", "streams fan out to independent consumers"),
        "queue": ("acceptable", "fan-out needs an exchange or topic in front with one queue per subscriber"),
        "ephemeral": ("good", "fan-out to every subscriber connected at publish time; nothing stored or acknowledged"),
    },
    "work_queue": {
        "queue": ("good", "competing consumers with per-message acks"),
        "pubsub": ("good", "one shared subscription with per-message acks"),
        "hybrid": ("good", "work-queue retention or shared subscriptions"),
        "log": ("acceptable", "parallelism is capped by partitions and there are no per-message acks"),
        "ephemeral": ("poor", "nothing is acknowledged or redelivered: a job whose worker fails is lost"),
    },
    "event_sourcing": {
        "log": ("good", "an append-only log replayed from the start"),
        "hybrid": ("acceptable", "a log mode exists but the store is usually a database; replay via the stream"),
        "pubsub": ("poor", "subscriptions are not an event store"),
        "queue": ("poor", "messages are deleted on ack"),
        "ephemeral": ("poor", "nothing is stored to replay"),
    },
    "cqrs": {
        "log": ("good", "projections rebuild by replaying the event log"),
        "hybrid": ("good", "streams for events, queues for commands"),
        "pubsub": ("acceptable", "events fan out; rebuilding projections needs seek/replay"),
        "queue": ("acceptable", "fine for commands; projections cannot be rebuilt by replay"),
        "ephemeral": ("poor", "events reach only connected projections and cannot be replayed to rebuild one"),
    },
    "saga": {
        "queue": ("good", "commands and replies as acknowledged messages with dead-lettering"),
        "hybrid": ("good", "queues for commands and replies"),
        "log": ("good", "command and reply topics keyed by saga id"),
        "pubsub": ("acceptable", "works; per-saga ordering needs ordering keys"),
        "ephemeral": ("poor", "a command or reply sent while a participant is down is lost, with nothing to redeliver"),
    },
}
STREAMS_SOURCE_ID = "rabbitmq-streams"


def use_case_fit(c: Candidate, ctx: NormalizedContext, basis: Basis) -> RequirementFit:
    if ctx.use_case is None:
        return not_given("use_case", "no use case given")
    if c.option == "rabbitmq.stream" and ctx.use_case == "work_queue":
        reason = "work_queue: stream reads are non-destructive, so competing consumers each receive every message"
        return requirement_fit("use_case", "poor", reason, basis.sources.url(STREAMS_SOURCE_ID))
    fit, why = USE_CASE_FIT[ctx.use_case][c.model]
    return requirement_fit("use_case", fit, f"{ctx.use_case}: {why}", basis.seed)

"""What a ranking reads from the knowledge base: the options to rank, their profiles, the source book and the
sourced defaults (message size, one ordered channel's rate)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from event_driven.kb.brokers import BrokerKnowledge, BrokerModel, BrokerProfile
from event_driven.kb.common import SourcedNumber
from event_driven.kb.sources import SEED_SOURCE_ID, SourceBook
from event_driven.vocab import PLANNABLE_BROKERS, SelectableBrokerId

if TYPE_CHECKING:
    from event_driven.kb.loader import KnowledgeBase

# The project's rule for what one ordered channel carries (knowledge/rules.yaml), and the rule that states it.
ORDERED_CHANNEL_THRESHOLD = "single_ordered_channel_msg_per_s"
ORDERED_CHANNEL_RULE = "global_ordering_throughput"

# The options ranked. Kinesis, Pub/Sub, Event Hubs, NATS Core and Redis Pub/Sub are ranked for selection;
# plan_topology renders designs for the others. The order decides nothing a user reads (see ties.py).
CANDIDATES: tuple[tuple[SelectableBrokerId, str | None], ...] = (
    ("kafka", None), ("rabbitmq", "quorum"), ("rabbitmq", "stream"), ("rabbitmq", "classic"), ("sqs", "standard"),
    ("sqs", "fifo"), ("sqs", "fifo_high_throughput"), ("pulsar", None), ("nats_jetstream", None),
    ("redis_streams", None), ("kinesis", None), ("google_pubsub", None), ("azure_event_hubs", None),
    ("nats_core", None), ("redis_pubsub", None),
)


@dataclass(frozen=True)
class Candidate:
    """One option to rank: a broker, or one variant of it, with its effective profile."""

    option: str
    broker: SelectableBrokerId
    variant: str | None
    name: str
    model: BrokerModel
    profile: BrokerProfile
    server: str  # the server software it runs in: its own id unless it shares one (redis, nats)

    @property
    def plannable(self) -> bool:
        return self.broker in PLANNABLE_BROKERS


# The options depend on the knowledge base alone (immutable once loaded): built once per knowledge base, not per
# request. Keyed by identity, holding the knowledge base so that the id cannot be reused.
_CANDIDATES: dict[int, tuple[BrokerKnowledge, tuple[Candidate, ...]]] = {}


def candidates(brokers: BrokerKnowledge) -> list[Candidate]:
    known = _CANDIDATES.get(id(brokers))
    if known is None or known[0] is not brokers:
        if len(_CANDIDATES) >= 4:
            _CANDIDATES.clear()
        known = _CANDIDATES[id(brokers)] = (brokers, tuple(_candidates(brokers)))
    return list(known[1])


def _candidates(brokers: BrokerKnowledge) -> list[Candidate]:
    out: list[Candidate] = []
    for broker_id, variant in CANDIDATES:
        broker = brokers.broker(broker_id)
        name = broker.name + (f" ({broker.variant(variant).name})" if variant else "")
        option = f"{broker_id}.{variant}" if variant else broker_id
        model = (broker.variant(variant).model if variant else None) or broker.model
        server = broker.server or broker_id
        out.append(Candidate(option, broker_id, variant, name, model, broker.profile(variant), server))
    return out


class SelectionFigures(TypedDict):
    """The sourced defaults and the source book select_broker needs besides the broker profiles."""

    message_size_bytes: int
    ordered_channel: SourcedNumber
    sources: SourceBook


def selection_figures(kb: KnowledgeBase) -> SelectionFigures:
    return SelectionFigures(
        message_size_bytes=int(kb.patterns.sizing.message_size_bytes.value),
        ordered_channel=kb.rules.thresholds[ORDERED_CHANNEL_THRESHOLD],
        sources=kb.sources,
    )


@dataclass(frozen=True)
class Basis:
    """What every fit may cite: the message size assumed for byte rates, the project's rule for one ordered channel,
    the sources."""

    message_size: int
    ordered_channel: SourcedNumber
    sources: SourceBook

    @property
    def ordered_channel_msg_per_s(self) -> float:
        return float(self.ordered_channel.value)

    @property
    def seed(self) -> str:
        return self.sources.url(SEED_SOURCE_ID)

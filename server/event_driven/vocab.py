"""The project's vocabulary: broker ids, variants, use cases, guarantees and severities.

This module is the only copy of these enumerations. Everything else (models, knowledge files, renderers, adapters)
imports them from here, so adding a broker or a severity is a change in one place.
"""

from __future__ import annotations

from typing import Literal, get_args

# Brokers plan_topology can design for and render files for.
BrokerId = Literal["kafka", "rabbitmq", "sqs", "pulsar", "nats_jetstream", "redis_streams"]
# Every broker select_broker profiles (the plannable ones first). NATS Core and Redis Pub/Sub are fire-and-forget
# options: selectable, not plannable.
SelectableBrokerId = Literal[
    "kafka",
    "rabbitmq",
    "sqs",
    "pulsar",
    "nats_jetstream",
    "redis_streams",
    "kinesis",
    "google_pubsub",
    "azure_event_hubs",
    "nats_core",
    "redis_pubsub",
]
UseCase = Literal["pub_sub", "work_queue", "event_sourcing", "cqrs", "saga"]
Ordering = Literal["none", "partition", "global"]
Delivery = Literal["at_most_once", "at_least_once", "exactly_once"]
# One severity scale for rule warnings, audit findings, plan warnings and diagnosis, most severe first.
Severity = Literal["critical", "high", "medium", "low", "info"]


def values(literal: object) -> tuple[str, ...]:
    """The members of a ``Literal`` type, in declaration order."""
    return tuple(get_args(literal))


PLANNABLE_BROKERS: tuple[str, ...] = values(BrokerId)
SELECTABLE_BROKERS: tuple[str, ...] = values(SelectableBrokerId)
USE_CASES: tuple[str, ...] = values(UseCase)
ORDERINGS: tuple[str, ...] = values(Ordering)
DELIVERIES: tuple[str, ...] = values(Delivery)
SEVERITIES: tuple[str, ...] = values(Severity)
SEVERITY_RANK: dict[str, int] = {s: i for i, s in enumerate(SEVERITIES)}

# Display names, for text meant for people. Code never dispatches on these.
BROKER_NAMES: dict[str, str] = {
    "kafka": "Apache Kafka",
    "rabbitmq": "RabbitMQ",
    "sqs": "Amazon SQS",
    "pulsar": "Apache Pulsar",
    "nats_jetstream": "NATS JetStream",
    "redis_streams": "Redis Streams",
    "kinesis": "Amazon Kinesis Data Streams",
    "google_pubsub": "Google Cloud Pub/Sub",
    "azure_event_hubs": "Azure Event Hubs",
    "nats_core": "NATS Core",
    "redis_pubsub": "Redis Pub/Sub",
}


def broker_name(broker: str) -> str:
    return BROKER_NAMES.get(broker, broker)

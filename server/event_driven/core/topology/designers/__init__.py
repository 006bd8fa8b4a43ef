"""Broker designers: map the logical design onto each broker's own objects, settings and retry machinery.

One module per broker. Every name goes through :mod:`naming`; every setting carries the reason it has its value, and
the sources behind those reasons (ids in knowledge/sources.yaml) are listed with the client settings and the retry
mapping.
"""

from __future__ import annotations

from event_driven.core.topology.designers.kafka import KafkaDesigner
from event_driven.core.topology.designers.nats import NATSDesigner
from event_driven.core.topology.designers.pulsar import PulsarDesigner
from event_driven.core.topology.designers.rabbitmq import RabbitMQDesigner
from event_driven.core.topology.designers.redis import RedisDesigner
from event_driven.core.topology.designers.sqs import SQSDesigner
from event_driven.core.topology.models import BrokerDesigner
from event_driven.vocab import BrokerId

DESIGNERS: dict[BrokerId, BrokerDesigner] = {d.broker_id: d for d in (
    KafkaDesigner(), RabbitMQDesigner(), SQSDesigner(), NATSDesigner(), RedisDesigner(), PulsarDesigner())}

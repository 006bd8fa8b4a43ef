"""Channel names: one documented convention, checked against each broker's own rules.

Convention: ``<domain>.<role>.v<version>`` (e.g. ``orders.events.v1``), retry tiers ``<base>.retry.<n>`` and
dead-letter ``<base><dead_letter_suffix>`` (the seed's ``.dlq``). Brokers whose names cannot contain dots get the same
words joined by ``-`` (SQS, with ``.fifo`` for FIFO queues) or ``_`` (NATS stream names, upper-cased by NATS
convention); Redis keys use ``:``; Pulsar names are full ``persistent://public/default/<name>`` URLs.

The domain and service names come from the caller, so everything is validated here before it can reach a template:
a name that breaks a rule raises :class:`NamingError` instead of being rendered.
"""

from __future__ import annotations

import re

DOMAIN_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,39}\Z")
SERVICE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\Z")

# Broker rules (sources in knowledge/brokers.yaml, naming sections).
KAFKA = re.compile(r"^[a-zA-Z0-9._-]{1,249}\Z")
RABBITMQ_MAX_BYTES = 255
SQS = re.compile(r"^[A-Za-z0-9_-]{1,80}\Z")
NATS_STREAM = re.compile(r"^[A-Za-z0-9_-]{1,255}\Z")
NATS_SUBJECT = re.compile(r"^[a-z0-9_-]+(\.[a-z0-9_-]+)*\Z")
REDIS_KEY = re.compile(r"^[a-z0-9:_.-]{1,200}\Z")
PULSAR_LOCAL = re.compile(r"^[a-zA-Z0-9._-]{1,200}\Z")

CONVENTION = "<domain>.<role>.v<version>; retry tiers <base>.retry.<n>; dead letters <base><suffix>"


class NamingError(ValueError):
    """A name breaks the broker's rules; the message names the rule."""


def domain_from(producers: list[str], explicit: str | None) -> str:
    """The domain prefix: the explicit option, else the first producer minus a '-service' suffix."""
    if explicit is not None:
        if not DOMAIN_PATTERN.match(explicit):
            raise NamingError(
                f"options.domain {explicit!r} is not allowed: use 1-40 lower-case letters, digits or '-', starting "
                "with a letter (e.g. 'orders')"
            )
        return explicit
    base = re.sub(r"[-_.]?(service|svc|api|app)$", "", producers[0].lower()) if producers else ""
    base = re.sub(r"[^a-z0-9-]+", "-", base).strip("-")[:40] or "events"
    if not base[0].isalpha():
        base = "d-" + base
    return base[:40]


def check_service(name: str) -> str:
    if not SERVICE_PATTERN.match(name):
        raise NamingError(
            f"service name {name!r} cannot be used in channel or group names: use letters, digits, '.', '_' or '-' "
            "(at most 100 characters, starting with a letter or digit)"
        )
    return name


def kafka_topic(name: str) -> str:
    if not KAFKA.match(name) or name in (".", ".."):
        raise NamingError(f"Kafka topic {name!r}: only [a-zA-Z0-9._-], 1-249 characters, not '.' or '..'")
    if name.startswith("__"):
        raise NamingError(f"Kafka topic {name!r}: names starting with '__' are reserved for internal topics")
    return name


def rabbitmq_name(name: str) -> str:
    if not name or len(name.encode()) > RABBITMQ_MAX_BYTES or name.startswith("amq."):
        raise NamingError(f"RabbitMQ name {name!r}: 1-255 bytes of UTF-8 and not starting with 'amq.' (reserved)")
    if not KAFKA.match(name):  # stricter than RabbitMQ needs: keeps names safe in JSON, shells and URLs
        raise NamingError(f"RabbitMQ name {name!r}: this planner only emits [a-zA-Z0-9._-]")
    return name


def sqs_queue(name: str, fifo: bool) -> str:
    base = name.replace(".", "-")
    full = base + (".fifo" if fifo else "")
    if not SQS.match(base) or len(full) > 80:
        raise NamingError(f"SQS queue {full!r}: alphanumerics, '-' and '_', at most 80 characters including '.fifo'")
    return full


def nats_stream(name: str) -> str:
    stream = re.sub(r"[.]", "_", name).upper()
    if not NATS_STREAM.match(stream):
        raise NamingError(f"NATS stream {stream!r}: letters, digits, '-' and '_' (no '.', '*', '>' or spaces), "
                          "at most 255 characters (under 32 recommended)")
    return stream


def nats_subject(name: str) -> str:
    if not NATS_SUBJECT.match(name):
        raise NamingError(f"NATS subject {name!r}: dot-separated tokens of [a-z0-9_-]")
    return name


def nats_lane_consumers(group: str, lanes: int) -> list[str]:
    """The durable consumers of a group: one, or one per ordered lane (``<group>-lane-<i>``)."""
    return [nats_consumer(group)] if lanes <= 1 else [nats_consumer(f"{group}-lane-{i}") for i in range(lanes)]


def nats_consumer(name: str) -> str:
    durable = re.sub(r"[.]", "-", name)
    if not NATS_STREAM.match(durable) and not re.match(r"^[A-Za-z0-9_-]{1,100}\Z", durable):
        raise NamingError(f"NATS consumer {durable!r}: letters, digits, '-' and '_' only")
    return durable


def redis_key(name: str) -> str:
    key = name.replace(".", ":")
    if not REDIS_KEY.match(key):
        raise NamingError(f"Redis key {key!r}: this planner only emits [a-z0-9:_.-]")
    return key


def pulsar_topic(name: str, tenant: str = "public", namespace: str = "default") -> str:
    if not PULSAR_LOCAL.match(name):
        raise NamingError(f"Pulsar topic {name!r}: [a-zA-Z0-9._-] only")
    return f"persistent://{tenant}/{namespace}/{name}"

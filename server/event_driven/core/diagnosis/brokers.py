"""Broker names and broker inference: which broker the evidence speaks of when the user does not say."""

from __future__ import annotations

import re

from event_driven.core.diagnosis.result import BrokerInference
from event_driven.core.evidence import KEY_BROKERS, ParsedConfig
from event_driven.vocab import SELECTABLE_BROKERS

BROKER_ALIASES = {
    "kafka": "kafka", "apache kafka": "kafka", "apache_kafka": "kafka", "confluent": "kafka",
    "rabbitmq": "rabbitmq", "rabbit": "rabbitmq", "rabbit mq": "rabbitmq", "amqp": "rabbitmq",
    "sqs": "sqs", "aws sqs": "sqs", "amazon sqs": "sqs", "aws_sqs": "sqs",
    "pulsar": "pulsar", "apache pulsar": "pulsar",
    "nats": "nats_jetstream", "jetstream": "nats_jetstream", "nats jetstream": "nats_jetstream",
    "nats_jetstream": "nats_jetstream", "nats-jetstream": "nats_jetstream",
    "redis": "redis_streams", "redis streams": "redis_streams", "redis_streams": "redis_streams",
    "redis-streams": "redis_streams",
}


# Brokers the knowledge base has failure modes for, and the ones select_broker ranks (only 'any' entries apply there).
KNOWN_BROKERS = frozenset(SELECTABLE_BROKERS)


def normalize_broker(name: str | None) -> str | None:
    """Canonical broker id for common spellings (``'nats'`` -> ``'nats_jetstream'``); others lower-cased."""
    if name is None or not name.strip():
        return None
    key = name.strip().lower()
    return BROKER_ALIASES.get(key, key.replace(" ", "_"))


# (regex, broker, weight, label)
_BROKER_WORDS: list[tuple[re.Pattern[str], str, float, str]] = [
    (re.compile(p, re.IGNORECASE), b, w, lbl)
    for p, b, w, lbl in [
        (r"\bkafka\b", "kafka", 3, "the word 'kafka'"),
        (r"\b(librdkafka|rdkafka|kafkajs|kafka-python|aiokafka|kcat|kafkacat|confluent)\b", "kafka", 3,
         "a Kafka client name"),
        (r"\b(zookeeper|kraft|__consumer_offsets|isr)\b", "kafka", 2, "Kafka terms (ISR, ZooKeeper, KRaft)"),
        (r"max\.poll|\bpoll\(\)|poll interval", "kafka", 2, "the Kafka poll loop"),
        (r"\bpartitions?\b", "kafka", 1, "the word 'partition'"),
        (r"\boffsets?\b", "kafka", 1, "the word 'offset'"),
        (r"\brebalanc", "kafka", 1, "the word 'rebalance'"),
        (r"\b(rabbitmq|rabbit|amqp|pika|php-amqplib|spring-amqp)\b", "rabbitmq", 3, "RabbitMQ / AMQP named"),
        (r"\b(exchange|vhost|routing.key|binding key|quorum queue|prefetch|x-queue-type|x-dead-letter)",
         "rabbitmq", 2, "RabbitMQ terms (exchange, vhost, routing key, prefetch)"),
        (r"\bbasic[._](publish|consume|qos|ack|nack|reject|get)\b|precondition_failed", "rabbitmq", 2,
         "AMQP methods / errors"),
        (r"\bunacked\b", "rabbitmq", 1, "the word 'unacked'"),
        (r"\b(sqs|amazon sqs|aws sqs)\b", "sqs", 3, "SQS named"),
        (r"visibility ?timeout|receipt ?handle|receive_?message|approximatenumberofmessages|redrive|"
         r"messagegroupid|message group id|waittimeseconds|long polling|short polling", "sqs", 2,
         "SQS terms (visibility timeout, receipt handle, redrive)"),
        (r"\bpulsar\b", "pulsar", 3, "Pulsar named"),
        (r"\b(bookkeeper|backlog quota|key_shared|pulsar-admin|ledger|negative ack)", "pulsar", 2,
         "Pulsar terms (backlog quota, BookKeeper, Key_Shared)"),
        (r"\b(nats|jetstream)\b", "nats_jetstream", 3, "NATS / JetStream named"),
        (r"\b(ack_?wait|max_?ack_?pending|max_?deliver|no responders|nats-server)\b", "nats_jetstream", 2,
         "NATS terms (AckWait, MaxAckPending, no responders)"),
        (r"\b(bunny|lapin|amqplib|amqp-client|dart_amqp|rabbitpy|kombu\.transport\.pyamqp|shovel|federation)\b",
         "rabbitmq", 2, "an AMQP client or RabbitMQ plugin named"),
        (r"\b(heartbeats?|publisher confirms?|confirm\.select|basic\.return|channel\.close|connection\.blocked)\b",
         "rabbitmq", 1, "AMQP connection terms"),
        (r"\b(lambda|event source mapping|batchitemfailures|reportbatchitemfailures|receivecount|"
         r"maxreceivecount|messagegroupid|cloudwatch)\b", "sqs", 2, "SQS / Lambda terms"),
        (r"\b(async-nats|nats\.py|nats\.go|nats\.net|nats\.rs|stan|nats streaming|max_payload|slow consumer|"
         r"pubAck|ackwait|nak)\b", "nats_jetstream", 2, "NATS client or terms"),
        (r"\b(burrow|kafka-python|spring-kafka|alpakka|sarama|kafka-go|franz|debezium|ksql|kafka streams)\b",
         "kafka", 2, "a Kafka client or tool named"),
        (r"\b(celery|kombu|bull|bullmq|\brq\b|python-rq|sidekiq|resque|pub/sub|pubsub|xrange|xinfo)\b",
         "redis_streams", 1.5, "a Redis-backed queue or Redis command named"),
        (r"\b(bookie|topic stats|dispatcher|broker\.conf|pulsar-client|subscription type)\b", "pulsar", 1.5,
         "Pulsar terms"),
        (r"\bredis\b", "redis_streams", 3, "Redis named"),
        (r"\b(xreadgroup|xadd|xack|xclaim|xautoclaim|xpending|xtrim|xgroup|nogroup|busygroup|maxlen|"
         r"pending entries list)\b", "redis_streams", 2.5, "Redis stream commands (XREADGROUP, XADD...)"),
    ]
]


def infer_broker(text: str, parsed: ParsedConfig, sig_brokers: list[tuple[str, str]]) -> BrokerInference:
    scores: dict[str, float] = {}
    why: dict[str, list[str]] = {}

    def add(b: str, w: float, reason: str) -> None:
        scores[b] = scores.get(b, 0.0) + w
        why.setdefault(b, []).append(reason)

    seen_sig: set[str] = set()
    for b, pattern in sig_brokers:
        if pattern not in seen_sig:
            seen_sig.add(pattern)
            add(b, 3.0, f"error signature {pattern!r} is printed by {b}")
    cfg_hits: dict[str, list[str]] = {}
    for e in parsed.entries:
        b = KEY_BROKERS.get(e.key.removeprefix("dlq.").removeprefix("source."))
        if b and b != "any":
            cfg_hits.setdefault(b, []).append(e.original_key)
    for b, keys in cfg_hits.items():
        add(b, min(4.0, 1.0 * len(keys)), f"config key style: {', '.join(keys[:4])}")
    for rx, b, w, label in _BROKER_WORDS:
        m = rx.search(text)
        if m:
            add(b, w, f"{label} ({m.group(0)!r})")
    if not scores:
        return BrokerInference(broker=None, how="unknown", reasons=["no broker-specific words, keys or errors"])
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    cands = {b: round(s, 2) for b, s in ranked}
    if (top >= 2.0 and top >= 1.5 * second) or (top >= 1.0 and second == 0.0):
        return BrokerInference(broker=best, how="inferred", reasons=why[best], candidates=cands)
    return BrokerInference(broker=None, how="unknown", candidates=cands,
                           reasons=[f"evidence is ambiguous: {', '.join(f'{b} {s:g}' for b, s in ranked[:3])}"])


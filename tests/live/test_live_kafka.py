"""inspect_broker on Kafka through confluent-kafka's AdminClient.

No Kafka-protocol broker can be installed on this machine from the registries it reaches, so the incident test runs
only where ``KAFKA_BOOTSTRAP`` names one (host:port) and skips with that reason otherwise, also under CI: an absent
Kafka is the machine's limit, not a missing install step. librdkafka's built-in mock cluster (shipped in the
confluent-kafka wheel) serves Metadata but not DescribeConfigs, ListGroups or DescribeGroups; the reader is run
against it for what it does serve.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from event_driven.live.inspect import inspect_target
from live_support import diagnosis_rank, target

BOOTSTRAP = os.environ.get("KAFKA_BOOTSTRAP", "")


def test_mock_cluster_topics_are_read_and_unsupported_reads_are_noted() -> None:
    from confluent_kafka import Producer

    producer = Producer({"test.mock.num.brokers": 1, "log_level": 3})
    broker = next(iter(producer.list_topics(timeout=10).brokers.values()))
    topic = f"live-{uuid.uuid4().hex[:10]}"
    for i in range(10):
        producer.produce(topic, f"event {i}".encode())
    producer.flush(10)
    tgt = target("kafka", f"{broker.host}:{broker.port}", timeout_s=1, sampling={"samples": 1})
    result = inspect_target(tgt, pattern=topic)
    snap: Any = result.snapshot
    partitions = len(producer.list_topics(topic, timeout=10).topics[topic].partitions)  # the cluster's own answer
    assert [(t.name, t.partitions, t.replication_factor) for t in snap.topics] == [(topic, partitions, 1)]
    assert snap.brokers == 1
    assert result.summary.channels_matched == 1
    assert snap.unread and "DescribeConfigs" in snap.unread[0]  # the mock does not serve it; the rest stands


def _committed(admin: Any, group: str) -> dict[tuple[str, int], int]:
    from confluent_kafka import ConsumerGroupTopicPartitions

    futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])
    return {(tp.topic, tp.partition): tp.offset for tp in futures[group].result(10).topic_partitions}


def test_group_with_lag_and_no_members() -> None:
    if not BOOTSTRAP:
        pytest.skip("KAFKA_BOOTSTRAP is not set: no Kafka broker on this machine")
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic  # pyright: ignore[reportPrivateImportUsage]

    topic, group = f"live-{uuid.uuid4().hex[:10]}", f"live-group-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(20)
    try:
        producer = Producer({"bootstrap.servers": BOOTSTRAP})
        for i in range(10):
            producer.produce(topic, f"event {i}".encode())
        producer.flush(20)
        consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": group, "enable.auto.commit": False})
        consumer.commit(offsets=[TopicPartition(topic, 0, 3)], asynchronous=False)
        consumer.close()  # the group's only member is gone: 7 records wait
        before = _committed(admin, group)
        result = inspect_target(target("kafka", BOOTSTRAP, sampling={"window_s": 1, "samples": 3}), pattern=topic)
        assert _committed(admin, group) == before, "the inspection must not commit offsets"
    finally:
        admin.delete_topics([topic])[topic].result(20)
        admin.delete_consumer_groups([group])[group].result(20)
    g: Any = next(x for x in result.snapshot.groups if x.group == group)  # type: ignore[union-attr]
    assert (g.members, g.partitions[0].committed_offset, g.partitions[0].log_end_offset) == (0, 3, 10)
    first = result.findings[0]
    assert (first.rule_id, first.failure_mode_id) == ("backlog_without_consumers", "consumers_disconnected_backlog")
    assert diagnosis_rank(result, "consumers_disconnected_backlog") == 1

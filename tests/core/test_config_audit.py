"""Config parsing (core/evidence/) and the config audit (core/audit/).

Each audit test states the documented figure it relies on; the findings must cite an http(s) source.
"""

from __future__ import annotations

import functools

import pytest

from event_driven.core import audit
from event_driven.core.context import NormalizedContext
from event_driven.core.evidence import parse_config
from event_driven.kb.loader import knowledge

audit_config = functools.partial(audit.audit_config, kb=knowledge())

AT_LEAST_ONCE = NormalizedContext(delivery="at_least_once")
EXACTLY_ONCE = NormalizedContext(delivery="exactly_once")


def ids(findings):
    return {f.id for f in findings}


def by_id(findings, fid):
    matches = [f for f in findings if f.id == fid]
    assert matches, f"no finding {fid!r} in {sorted(ids(findings))}"
    return matches[0]


# ---------------------------------------------------------------------------------------------------- parsing


def test_properties_yaml_json_and_object_give_the_same_keys():
    props = "enable.auto.commit=false\nmax.poll.records = 100\n# comment\nacks=all"
    yml = "enable.auto.commit: false\nmax.poll.records: 100\nacks: all\n"
    js = '{"enable.auto.commit": false, "max.poll.records": 100, "acks": "all"}'
    obj = {"enable.auto.commit": False, "max.poll.records": 100, "acks": "all"}
    flats = [parse_config(c).flat() for c in (props, yml, js, obj)]
    for flat in flats:
        assert flat == {"enable.auto.commit": False, "max.poll.records": 100, "acks": "all"}
    assert [parse_config(c).format for c in (props, yml, js, obj)] == ["properties", "yaml", "json", "object"]


def test_client_library_spellings_map_to_canonical_keys():
    flat = parse_config({
        "enable_auto_commit": "true (default)",  # kafka-python, with a remark
        "AutoOffsetReset": "Latest",  # .NET
        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": 1,  # docker env
        "request.required.acks": "1",  # librdkafka alias
        "spring": {"kafka": {"consumer": {"max-poll-records": 50}}},  # Spring, nested YAML
    }).flat()
    assert flat["enable.auto.commit"] is True
    assert flat["auto.offset.reset"] == "Latest"
    assert flat["offsets.topic.replication.factor"] == 1
    assert flat["acks"] == 1
    assert flat["max.poll.records"] == 50


def test_rabbitmq_definitions_policies_sqs_and_nats_shapes():
    rabbit = parse_config({
        "queues": [{"name": "orders", "arguments": {"x-queue-type": "quorum"}}],
        "policies": [{"name": "dlx", "definition": {"dead-letter-exchange": "dlx", "max-length": 1000}}],
    }).flat()
    assert rabbit["x-queue-type"] == "quorum"
    assert rabbit["x-dead-letter-exchange"] == "dlx"  # policy key without the x- prefix
    assert rabbit["x-max-length"] == 1000

    sqs = parse_config({"Attributes": {
        "VisibilityTimeout": "30",
        "RedrivePolicy": '{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:1:dlq","maxReceiveCount":"5"}',
        "QueueUrl": "https://sqs.eu-west-1.amazonaws.com/1/orders.fifo",
    }}).flat()
    assert sqs["VisibilityTimeout"] == 30
    assert sqs["RedrivePolicy.maxReceiveCount"] == 5
    assert sqs["FifoQueue"] is True  # from the .fifo queue name

    nats = parse_config({"AckWait": "30s", "MaxDeliver": 5, "max_ack_pending": 1000}).flat()
    assert nats["ack_wait"] == 30_000_000_000  # JetStream API unit is nanoseconds
    assert nats["max_deliver"] == 5


def test_durations_and_sizes_are_converted_to_the_key_unit():
    flat = parse_config("session.timeout.ms=45s\nmax.message.bytes=2MiB\nconsumer_timeout=30min").flat()
    assert flat["session.timeout.ms"] == 45_000
    assert flat["max.message.bytes"] == 2 * 1_048_576
    assert flat["consumer_timeout"] == 1_800_000


def test_unreadable_config_reports_a_problem_instead_of_raising():
    parsed = parse_config("just some words without settings")
    assert parsed.entries == []
    assert parsed.problems


# ---------------------------------------------------------------------------------------------------- Kafka


def test_auto_commit_under_at_least_once_is_a_finding():
    f = by_id(audit_config("enable.auto.commit=true\ngroup.id=g", context=AT_LEAST_ONCE),
              "kafka_auto_commit_at_least_once")
    assert f.severity == "high" and f.key == "enable.auto.commit" and f.current_value == "true"
    assert "enable.auto.commit=false" in f.fix
    assert f.source == "https://kafka.apache.org/documentation/#consumerconfigs_enable.auto.commit"


def test_auto_commit_default_counts_when_the_consumer_config_omits_it():
    f = by_id(audit_config("group.id=g\nmax.poll.records=100", broker="kafka", context=AT_LEAST_ONCE),
              "kafka_auto_commit_at_least_once")
    assert f.current_value == "(default true)"


def test_manual_commit_with_durable_producer_is_clean():
    cfg = ("enable.auto.commit=false\ngroup.id=g\nacks=all\nenable.idempotence=true\nmin.insync.replicas=2\n"
           "replication.factor=3\nunclean.leader.election.enable=false")
    assert audit_config(cfg, context=AT_LEAST_ONCE) == []


def test_acks_min_isr_and_replication_factor():
    found = audit_config("acks=1\nmin.insync.replicas=3\nreplication.factor=3", context=AT_LEAST_ONCE)
    assert by_id(found, "kafka_acks_not_all").severity == "high"
    assert by_id(found, "kafka_min_isr_not_below_rf").key == "min.insync.replicas"
    found = audit_config("acks=all\nmin.insync.replicas=1\nreplication.factor=2")
    assert {"kafka_min_isr_1", "kafka_replication_below_3"} <= ids(found)


def test_internal_topic_replication_against_broker_count_and_min_isr():
    found = audit_config({"offsets.topic.replication.factor": 3, "brokers": 1})
    assert by_id(found, "kafka_internal_topic_rf_above_brokers").severity == "high"
    found = audit_config({"offsets.topic.replication.factor": 1, "min.insync.replicas": 2})
    assert "kafka_internal_topic_rf_below_min_isr" in ids(found)


def test_exactly_once_without_idempotence_or_read_committed():
    found = audit_config("enable.idempotence=false\nisolation.level=read_uncommitted\ngroup.id=g",
                         context=EXACTLY_ONCE)
    assert {"kafka_eos_idempotence_off", "kafka_eos_read_uncommitted"} <= ids(found)
    clean = audit_config("enable.idempotence=true\nisolation.level=read_committed\ntransactional.id=t-1\n"
                         "enable.auto.commit=false\ngroup.id=g", context=EXACTLY_ONCE)
    assert not {"kafka_eos_idempotence_off", "kafka_eos_read_uncommitted", "kafka_eos_no_transactional_id"} & ids(clean)


def test_idempotence_conflicts():
    # explicit idempotence with more than 5 in-flight requests: ConfigException
    f = by_id(audit_config("enable.idempotence=true\nmax.in.flight.requests.per.connection=10"),
              "kafka_idempotence_conflict")
    assert f.severity == "high" and "ConfigException" in f.message
    # idempotence not set: silently disabled (Kafka >= 3.0 default true)
    f = by_id(audit_config("acks=1\nlinger.ms=5"), "kafka_idempotence_conflict")
    assert f.severity == "medium" and "silently disabled" in f.message


def test_poll_interval_against_processing_time():
    f = by_id(audit_config("max.poll.interval.ms=300000", processing_time_ms=400_000),
              "kafka_processing_exceeds_poll_interval")
    assert f.severity == "critical" and f.current_value == "300000"
    # 2 s per record x 500 records (default max.poll.records) = 1000 s > 300 s
    f = by_id(audit_config("group.id=g", broker="kafka", processing_time_ms=2_000),
              "kafka_poll_batch_may_exceed_interval")
    assert f.key == "max.poll.records" and "150" in f.fix
    assert f.judgement  # worst case per record assumed for the whole batch
    assert "kafka_poll_batch_may_exceed_interval" not in ids(
        audit_config("group.id=g\nmax.poll.records=10", broker="kafka", processing_time_ms=2_000))


def test_session_and_heartbeat():
    assert "kafka_heartbeat_above_third_of_session" in ids(audit_config("session.timeout.ms=30000\n"
                                                                        "heartbeat.interval.ms=15000"))
    assert "kafka_heartbeat_not_below_session" in ids(audit_config("session.timeout.ms=10000\n"
                                                                   "heartbeat.interval.ms=10000"))
    f = by_id(audit_config("session.timeout.ms=3000\nheartbeat.interval.ms=1000"), "kafka_session_outside_broker_range")
    assert "6000" in f.message  # group.min.session.timeout.ms default
    assert audit_config("session.timeout.ms=45000\nheartbeat.interval.ms=3000") == []


def test_unclean_leader_election_and_message_size():
    f = by_id(audit_config("unclean.leader.election.enable=true", context=AT_LEAST_ONCE),
              "kafka_unclean_leader_election")
    assert f.severity == "critical"
    big = NormalizedContext(message_size_bytes=2_000_000)
    f = by_id(audit_config("acks=all", context=big), "kafka_message_over_limit")
    assert "1048588" in f.message  # broker message.max.bytes default
    assert "kafka_request_size_above_broker_limit" in ids(audit_config("max.request.size=5242880\n"
                                                                       "max.message.bytes=1048588"))


def test_retention_shorter_than_replay_need():
    ctx = NormalizedContext(replay="window", replay_hours=30 * 24)
    f = by_id(audit_config("retention.ms=86400000", context=ctx), "kafka_retention_shorter_than_replay")
    assert f.current_value == "86400000"
    assert audit_config("retention.ms=-1", context=ctx) == []


# ---------------------------------------------------------------------------------------------------- others


def test_rabbitmq_prefetch_zero_and_very_large():
    f = by_id(audit_config({"prefetch_count": 0}), "rabbitmq_prefetch_unlimited")
    assert f.severity == "high" and "100-300" in f.fix
    assert f.source.startswith("https://www.rabbitmq.com/docs/confirms")
    assert "rabbitmq_prefetch_very_large" in ids(audit_config({"prefetch_count": 5000}))
    assert audit_config({"prefetch_count": 200}) == []


def test_quorum_queue_without_dead_letter_target():
    f = by_id(audit_config({"x-queue-type": "quorum", "prefetch_count": 100}), "rabbitmq_quorum_no_dead_letter")
    assert "delivery-limit" in f.message and "20" in f.message
    assert "rabbitmq_quorum_no_dead_letter" not in ids(audit_config({"x-queue-type": "quorum",
                                                                     "x-dead-letter-exchange": "dlx"}))


def test_rabbitmq_consumer_timeout_default_against_long_tasks():
    f = by_id(audit_config({"prefetch_count": 1}, processing_time_ms=2 * 3_600_000),
              "rabbitmq_processing_exceeds_consumer_timeout")
    assert f.current_value == "(default 1800000)"


def test_sqs_visibility_timeout_shorter_than_processing():
    f = by_id(audit_config({"VisibilityTimeout": 30}, processing_time_ms=90_000),
              "sqs_visibility_shorter_than_processing")
    assert f.severity == "high" and f.key == "VisibilityTimeout" and f.current_value == "30"
    assert audit_config({"VisibilityTimeout": 120}, processing_time_ms=90_000) == []
    assert "sqs_visibility_zero" in ids(audit_config({"VisibilityTimeout": 0}))


def test_sqs_fifo_redrive_when_order_matters_and_dlq_retention():
    ordered = NormalizedContext(ordering="partition")
    cfg = {"FifoQueue": "true", "RedrivePolicy": '{"deadLetterTargetArn": "arn:x", "maxReceiveCount": 3}'}
    assert by_id(audit_config(cfg, context=ordered), "sqs_fifo_redrive_breaks_order").severity == "medium"
    assert "sqs_fifo_redrive_breaks_order" not in ids(audit_config(cfg, context=NormalizedContext(ordering="none")))
    f = by_id(audit_config({"dlq": {"MessageRetentionPeriod": 345600}, "source": {"MessageRetentionPeriod": 604800}}),
              "sqs_dlq_retention_not_longer")
    assert f.key == "dlq.MessageRetentionPeriod"


def test_nats_ack_wait_shorter_than_processing():
    f = by_id(audit_config({"ack_wait": "30s", "max_deliver": 5}, processing_time_ms=45_000),
              "nats_ack_wait_shorter_than_processing")
    assert f.broker == "nats_jetstream"


@pytest.mark.parametrize("cfg", [
    "enable.auto.commit=true\nacks=0\nunclean.leader.election.enable=true\nmax.in.flight.requests.per.connection=9",
    {"prefetch_count": 0, "x-queue-type": "quorum", "x-delivery-limit": -1},
    {"VisibilityTimeout": 0, "FifoQueue": True, "RedrivePolicy": "{}", "ReceiveMessageWaitTimeSeconds": 0},
])
def test_every_finding_is_sourced_and_actionable(cfg):
    findings = audit_config(cfg, context=AT_LEAST_ONCE, processing_time_ms=3_600_000)
    assert findings
    for f in findings:
        assert f.source.startswith("https://")
        assert f.fix and f.message and f.key
    order = ["critical", "high", "medium", "low", "info"]
    assert [order.index(f.severity) for f in findings] == sorted(order.index(f.severity) for f in findings)

"""plan_topology: the seed output schema and the design a demanding user expects, per use case and broker."""

from __future__ import annotations

import copy

import pytest
from jsonschema import Draft202012Validator

from event_driven.app.plan import PlanInputError, plan_topology
from event_driven.kb.loader import knowledge

BASE = {
    "use_case": "pub_sub",
    "requirements": {"throughput": "10K msg/s", "latency": "100ms", "ordering": "partition",
                     "delivery": "at_least_once", "retention": "7 days"},
    "producers": ["order-service"],
    "consumers": ["billing", "analytics"],
}
BROKERS = ["kafka", "rabbitmq", "sqs", "pulsar", "nats_jetstream", "redis_streams"]
USE_CASES = ["pub_sub", "work_queue", "event_sourcing", "cqrs", "saga"]


def ctx(**req):
    data = copy.deepcopy(BASE)
    for k, v in req.items():
        if k in ("use_case", "producers", "consumers"):
            data[k] = v
        elif v is None:
            data["requirements"].pop(k, None)
        else:
            data["requirements"][k] = v
    return data


def plan(context=None, broker=None, options=None):
    return plan_topology(context or ctx(), knowledge(), broker, options)


def test_seed_output_schema():
    p = plan(broker="kafka")
    body = p.model_dump(by_alias=True)
    assert {"broker", "topology", "message_schema", "consumer_config"} <= set(body)
    assert body["broker"]["technology"] == "Apache Kafka" and body["broker"]["rationale"]
    # 10 computed partitions, doubled for the keyed topic (partitions added later would break per-key order)
    assert body["topology"] == {"topics": ["order.events.v1"], "partitions": 20, "replication_factor": 3}
    assert {"format", "schema", "versioning"} <= set(body["message_schema"])
    assert {"group_strategy", "error_handling", "dlq"} <= set(body["consumer_config"])
    # one dead-letter topic per consumer group: a failure in one group is not reprocessed by another
    assert body["consumer_config"]["dlq"]["channels"] == ["order.events.v1.billing.dlq",
                                                          "order.events.v1.analytics.dlq"]


def test_partition_math_is_shown_and_uses_options():
    p = plan(broker="kafka", options={"consumer_msg_per_s_per_partition": 3500, "message_size_bytes": 2048})
    sizing = p.sizing
    # t/p = 10000 / (10 MB/s / 2048 B) = 2.05; t/c = 10000 / 3500 = 2.86; ceil -> 3; even -> 4; keyed: x2 -> 8
    assert sizing.partitions.producer_bound == pytest.approx(2.048)
    assert sizing.partitions.consumer_bound == pytest.approx(2.857, rel=1e-3)
    assert sizing.partitions.partitions == 4 and p.topology.partitions == 8
    assert any("headroom 2" in a for a in sizing.assumptions)
    assert plan(broker="kafka", options={"consumer_msg_per_s_per_partition": 3500, "message_size_bytes": 2048,
                                         "partitions_headroom": 1}).topology.partitions == 4
    assert "max(" in sizing.partitions.explanation
    assert sizing.storage.formula.startswith("rate x size x retention x replication")
    assert sizing.storage.value == pytest.approx(10_000 * 2048 * 7 * 86400 * 3 / 1e9, rel=1e-3)
    assert sizing.network_out.inputs["consumer_groups"] == 2


def test_global_ordering_means_one_partition_and_single_active_consumers():
    p = plan(ctx(ordering="global", throughput="5K msg/s"), broker="kafka")
    assert p.topology.partitions == 1
    assert {g.strategy for g in p.consumer_groups} == {"single_active"}
    assert all(g.instances == 1 for g in p.consumer_groups)


@pytest.mark.parametrize("use_case", USE_CASES)
@pytest.mark.parametrize("broker", BROKERS)
def test_every_use_case_plans_on_every_broker(use_case, broker):
    p = plan(ctx(use_case=use_case), broker=broker)
    roles = {c.role for c in p.logical_channels}
    expected = {"pub_sub": {"events"}, "work_queue": {"jobs"}, "event_sourcing": {"events"},
                "cqrs": {"commands", "events"}, "saga": {"commands", "replies", "events"}}[use_case]
    assert expected <= roles
    assert "dead_letter" in roles
    assert p.diagram.startswith("flowchart LR")
    assert p.retry.steps and p.client_settings.reasons
    for c in p.channels:
        assert c.name and c.naming_rule


def test_pub_sub_gives_each_subscriber_its_own_group():
    p = plan(broker="kafka")
    assert [(g.name, g.strategy) for g in p.consumer_groups] == [("billing", "fan_out_subscriber"),
                                                                  ("analytics", "fan_out_subscriber")]


def test_work_queue_has_one_group_of_competing_consumers():
    p = plan(ctx(use_case="work_queue", ordering="none"), broker="rabbitmq")
    assert [(g.name, g.strategy) for g in p.consumer_groups] == [("workers", "competing_consumers")]
    queue = next(c for c in p.channels if c.kind == "queue" and c.role == "jobs")
    assert queue.settings["arguments"]["x-queue-type"] == "quorum"
    assert queue.settings["arguments"]["x-delivery-limit"] == 4  # redeliveries: 5 deliveries in all
    assert queue.settings["arguments"]["x-dead-letter-exchange"] == "order.dlx"


def test_event_sourcing_keeps_events_forever_or_compacts():
    forever = plan(ctx(use_case="event_sourcing", retention=None, replay="full"), broker="kafka")
    events = next(c for c in forever.channels if c.role == "events")
    assert events.keep_forever and events.settings["retention.ms"] == -1
    compacted = plan(ctx(use_case="event_sourcing", retention=None), broker="kafka", options={"compaction": True})
    snap = next(c for c in compacted.channels if c.role == "snapshots")
    assert snap.cleanup_policy == "compact"
    assert {g.strategy for g in forever.consumer_groups} == {"projection"}


def test_saga_choreography_and_outbox():
    p = plan(ctx(use_case="saga"), broker="kafka", options={"saga_style": "choreography"})
    assert "outbox" in p.shape and "choreography" in p.shape
    assert {c.role for c in p.logical_channels if c.role not in ("retry", "dead_letter")} == {"events"}


def test_request_reply_adds_reply_channel_per_requester():
    p = plan(broker="rabbitmq", options={"request_reply": True})
    keys = {c.key for c in p.logical_channels}
    assert {"requests", "replies.order-service"} <= keys
    assert any(g.strategy == "reply_listener" for g in p.consumer_groups)


@pytest.mark.parametrize(
    ("delivery", "producer", "consumer"),
    [
        ("at_least_once", {"acks": "all", "enable.idempotence": True}, {"enable.auto.commit": False}),
        ("exactly_once", {"transactional.id": "order-producer-{instance}"}, {"isolation.level": "read_committed"}),
        ("at_most_once", {"acks": "1", "retries": 0}, {"enable.auto.commit": True}),
    ],
)
def test_kafka_client_settings_deliver_the_guarantee(delivery, producer, consumer):
    p = plan(ctx(delivery=delivery), broker="kafka")
    assert producer.items() <= p.client_settings.producer.items()
    assert consumer.items() <= p.client_settings.consumer.items()
    assert all(key in p.client_settings.reasons for key in producer)


def test_sqs_fifo_redrive_and_visibility():
    p = plan(ctx(use_case="work_queue"), broker="sqs", options={"processing_timeout_ms": 90_000})
    queue = next(c for c in p.channels if c.role == "jobs")
    attrs = queue.settings["attributes"]
    assert queue.name.endswith(".fifo") and attrs["FifoQueue"] is True
    assert attrs["VisibilityTimeout"] == 90 and attrs["RedrivePolicy"]["maxReceiveCount"] == 5
    assert any("FIFO" in w.message and "ordering" in w.message for w in p.warnings)


def test_nats_max_deliver_and_nak_delays():
    p = plan(ctx(use_case="work_queue"), broker="nats_jetstream", options={"max_attempts": 4})
    consumer = next(iter(p.client_settings.consumer["consumers"].values()))
    assert consumer["max_deliver"] == 4
    assert consumer["ack_wait_ns"] == 30_000_000_000  # the default processing budget
    # A plain nak is redelivered at once; each retry's nak carries the tier's delay (tests/e2e/test_behaviour_nats.py).
    assert consumer["backoff_ns"] == [] and p.client_settings.consumer["nak_delay_s"] == [1.0, 2.0, 4.0]


def test_envelope_schema_and_cloudevents_mapping():
    p = plan(broker="kafka")
    schema = p.message_schema.schema_
    Draft202012Validator.check_schema(schema)
    good = {"event_id": "4a0c6a0e-5a5e-4d0e-9d7e-2b1f8b9d6b11", "event_type": "OrderPlaced", "aggregate_id": "order-1",
            "aggregate_version": 1, "timestamp": "2025-01-01T00:00:00Z", "payload": {},
            "metadata": {"correlation_id": "c", "causation_id": "d"}}
    assert not list(Draft202012Validator(schema).iter_errors(good))
    assert list(Draft202012Validator(schema).iter_errors({**good, "aggregate_version": 0}))
    assert p.message_schema.cloudevents_mapping["id"] == "event_id"
    assert p.message_schema.compatibility == "BACKWARD"
    es = plan(ctx(use_case="event_sourcing", retention=None), broker="kafka")
    assert es.message_schema.compatibility == "BACKWARD_TRANSITIVE"


def test_observability_has_seed_metrics_and_alerts():
    obs = plan(broker="kafka").observability
    assert [m.name for m in obs.metrics] == ["messages_produced_total", "messages_consumed_total", "consumer_lag",
                                             "message_processing_duration_seconds", "dlq_messages_total"]
    assert {a.name for a in obs.alerts} >= {"ConsumerLagGrowing", "DeadLetterGrowing", "DeadLetterBacklogHigh"}


def test_validation_warnings_become_plan_warnings_with_actions():
    p = plan(ctx(ordering="global", throughput="100K msg/s"), broker="rabbitmq")
    w = next(w for w in p.warnings if w.rule_id == "global_ordering_throughput")
    assert w.action and w.severity == "high"


@pytest.mark.parametrize(
    ("kwargs", "path"),
    [
        ({"context": ctx(throughput=None)}, "$.requirements.throughput"),
        ({"context": ctx(use_case="stream")}, "$.use_case"),
        ({"broker": "kafak"}, "$.broker"),
        ({"options": {"domain": "Orders Domain"}}, "$.options.domain"),
        ({"options": {"replication_factor": 0}}, "$.options.replication_factor"),
        ({"options": {"colour": "blue"}}, "$.options.colour"),
        ({"context": ctx(producers=["svc\nXFLUSHALL"])}, "$.producers[0]"),
        ({"context": ctx(consumers=['a"b'])}, "$.consumers[0]"),
        ({"context": ctx(consumers=["rm -rf /"])}, "$.consumers[0]"),
    ],
)
def test_bad_input_names_the_field(kwargs, path):
    with pytest.raises(PlanInputError) as info:
        plan(kwargs.get("context"), kwargs.get("broker"), kwargs.get("options"))
    assert path in [e.path for e in info.value.errors], info.value.errors


def test_errors_are_collected_not_stopped_at_the_first():
    with pytest.raises(PlanInputError) as info:
        plan(ctx(use_case="stream"), "kafak", {"domain": "X Y"})
    assert {"$.use_case", "$.broker", "$.options.domain"} <= {e.path for e in info.value.errors}


def test_default_broker_is_the_best_plannable_fit():
    p = plan(ctx(use_case="event_sourcing", retention=None, replay="full"))
    assert p.broker.technology == "Apache Kafka"
    assert p.broker.rationale.startswith("best plannable fit")


@pytest.mark.parametrize(
    ("context", "path"),
    [
        (ctx(consumers=["billing", "billing"]), "$.consumers"),
        (ctx(retention="0 hours"), "$.requirements.retention"),
        (ctx(retention="99999999 weeks"), "$.requirements.retention"),
        (ctx(throughput="0 msg/s"), "$.requirements.throughput"),
    ],
)
def test_values_a_plan_cannot_be_built_from_are_field_errors(context, path):
    with pytest.raises(PlanInputError) as info:
        plan(context, "kafka")
    assert path in [e.path for e in info.value.errors]


def test_names_that_collide_on_the_broker_are_refused():
    with pytest.raises(PlanInputError, match="collide"):
        plan(ctx(consumers=["pay.ments", "pay-ments"]), "sqs")


def test_at_most_once_plans_no_redelivery_machinery():
    p = plan(ctx(delivery="at_most_once"), "nats_jetstream")
    assert p.retry_policy.backoff.max_attempts == 1 and not p.retry_policy.dead_letter_enabled
    assert not [c for c in p.channels if c.role in ("retry", "dead_letter")]


def test_kafka_notes_state_what_min_insync_replicas_buys():
    note = plan(broker="kafka").notes[0]
    assert "writes continue with up to 1 replica(s) down" in note and "survives the loss of 1" in note


def test_huge_partition_counts_are_warned_about():
    p = plan(ctx(throughput="100M msg/s"), "kafka")
    assert any("partition replicas" in w.message and w.severity == "high" for w in p.warnings)

"""diagnose(): the behaviour a user relies on (core/diagnosis/)."""

from __future__ import annotations

import pytest

from event_driven.core.diagnosis import (
    DiagnoseRequest,
    Diagnosis,
    Reader,
    diagnose,
    normalize_broker,
)
from event_driven.errors import InputError
from event_driven.kb.loader import knowledge

T0 = 1_700_000_000_000
READER = Reader(knowledge().vocabulary)
MIN = 60_000


@pytest.fixture(scope="module")
def kb():
    return knowledge()


def run(kb, **kw) -> Diagnosis:
    return diagnose(DiagnoseRequest(**kw), kb)


def ranked(d: Diagnosis) -> list[str]:
    return [h.failure_mode_id for h in d.hypotheses]


def hyp(d: Diagnosis, fid: str):
    for h in d.hypotheses:
        if h.failure_mode_id == fid:
            return h
    raise AssertionError(f"{fid} not among {ranked(d)}")


def offsets(partition: int, committed: list[int | None], log_end: list[int], group: str = "billing") -> dict:
    return {"group": group, "topic": "orders", "partition": partition,
            "samples": [{"timestamp_ms": T0 + i * MIN, "committed_offset": c, "log_end_offset": e}
                        for i, (c, e) in enumerate(zip(committed, log_end, strict=True))]}


# ---------------------------------------------------------------------------------------------------- input


@pytest.mark.parametrize("kw", [{}, {"broker": "kafka"}, {"symptoms": "   "}, {"symptoms": [], "error_lines": ""},
                                {"event_context": {"use_case": "work_queue"}}])
def test_no_evidence_is_an_input_error_naming_the_fields(kb, kw):
    with pytest.raises(InputError) as exc:
        run(kb, **kw)
    (err,) = exc.value.errors
    assert (err.path, err.code) == ("$", "missing")
    assert err.allowed == "symptoms, error_lines, config, metrics"
    for name in ("symptoms", "error_lines", "config", "metrics"):
        assert name in str(exc.value)


def test_unknown_request_fields_are_rejected():
    with pytest.raises(ValueError):
        DiagnoseRequest(symptom="typo")  # type: ignore[call-arg]


# ---------------------------------------------------------------------------------------------------- ranking


def test_commit_failed_with_poll_interval_and_slow_processing_ranks_poll_interval_first(kb):
    d = run(kb,
            error_lines=["org.apache.kafka.clients.consumer.CommitFailedException: Commit cannot be completed since "
                         "the group has already rebalanced and assigned the partitions to another member."],
            config="max.poll.interval.ms=300000\ngroup.id=billing",
            metrics={"processing_time_ms": {"max_ms": 400_000}})
    top = d.hypotheses[0]
    assert top.failure_mode_id == "kafka_max_poll_interval_exceeded"
    quotes = [e.quote or "" for e in top.evidence_for]
    assert any("max.poll.interval.ms=300000" in q for q in quotes), quotes
    assert any(e.kind == "error_signature" and "CommitFailedException" in (e.quote or "") for e in top.evidence_for)
    assert any(e.kind == "metric_pattern" and e.matched == "processing_time_over_poll_interval"
               for e in top.evidence_for)
    assert 0 < top.confidence <= 1
    assert top.resolutions and top.next_diagnostics and top.sources and top.causes
    assert d.broker.broker == "kafka" and d.broker.how == "inferred"
    # the same exception without the slow processing is ambiguous between the two commit-failure entries
    plain = run(kb, error_lines=["CommitFailedException"])
    assert set(ranked(plain)[:2]) == {"kafka_max_poll_interval_exceeded", "kafka_commit_failed_duplicates"}


def test_free_text_symptoms_use_synonyms(kb):
    d = run(kb, broker="kafka", symptoms="our consumer keeps getting kicked out of the group during long batches")
    assert ranked(d)[0] in {"kafka_max_poll_interval_exceeded", "kafka_session_timeout_rebalance_storm"}
    d = run(kb, broker="sqs", symptoms="the same SQS message gets processed twice when a job runs long")
    assert ranked(d)[0] == "sqs_visibility_timeout_too_short"
    d = run(kb, broker="rabbitmq", symptoms=["messages vanished from the queue while the consumer was offline",
                                              "we set a TTL on the queue"])
    assert "rabbitmq_message_ttl_expiry_loss" in ranked(d)[:3]


def test_error_signature_outweighs_loose_symptoms(kb):
    d = run(kb, symptoms="consumer is slow", error_lines=[
        "NOGROUP No such key 'stream.orders' or consumer group 'g1' in XREADGROUP with GROUP option"])
    assert ranked(d)[0] == "redis_nogroup_error"
    assert d.broker.broker == "redis_streams"


def test_exception_names_match_across_client_spellings_but_not_inside_other_names(kb):
    d = run(kb, broker="kafka", error_lines=["aiokafka.errors.UnknownMemberIdError"])
    assert "kafka_session_timeout_rebalance_storm" in ranked(d)  # signature UNKNOWN_MEMBER_ID
    d = run(kb, error_lines=["com.rabbitmq.client.ConnectionBlockedTimeoutException"])
    assert ranked(d)[0] == "rabbitmq_resource_alarm_blocked"  # signature ConnectionBlockedTimeout
    for h in d.hypotheses:  # 'TimeoutException' (Kafka) is a different class: no signature evidence
        if h.failure_mode_id == "kafka_advertised_listeners_misconfig":
            assert not [e for e in h.evidence_for if e.kind == "error_signature"]


# Lines as the broker or client prints them (from the format strings cited by each signature's source); each is
# recognised by its signature alone, with no telling symptom, and names the broker.
PRINTED_ERRORS = [
    ("%4|1700000000.123|SESSTMOUT|rdkafka#consumer-1| [thrd:main]: Consumer group session timed out (in join-state "
     "steady) after 45000 ms without a successful response from the group coordinator",
     "kafka_session_timeout_rebalance_storm"),
    ("kafka-go: [19] the number of in-sync replicas is lower than the configured minimum", "kafka_not_enough_replicas"),
    ("[warning] <0.912.0> Consumer 'amq.ctag-x1' on channel 1 and queue 'jobs' in vhost '/' has timed out waiting for "
     "a consumer acknowledgement of a delivery with delivery tag = 7. Timeout used: 1800000 ms.",
     "rabbitmq_consumer_ack_timeout"),
    ("Publishers will be blocked until this alarm clears", "rabbitmq_resource_alarm_blocked"),
    ("nats: no response from stream", "nats_no_responders_or_stream_not_found"),
    ("[ERR] 10.0.0.7:51234 - cid:12 - Maximum Payload Violation", "nats_max_payload_exceeded"),
    ("WARN  org.apache.pulsar.broker.service.BacklogQuotaManager - Backlog quota type destination_storage exceeded "
     "for topic [persistent://public/default/orders]", "pulsar_backlog_quota_exceeded"),
    ("botocore.errorfactory.MessageNotInflight: An error occurred (AWS.SimpleQueueService.MessageNotInflight) when "
     "calling the ChangeMessageVisibility operation", "sqs_visibility_timeout_too_short"),
    ("Moved to FailedJobRegistry, due to AbandonedJobError", "redis_fetch_loses_inflight_job_on_crash"),
]


@pytest.mark.parametrize(("line", "expected"), PRINTED_ERRORS, ids=[e for _, e in PRINTED_ERRORS])
def test_a_pasted_error_names_its_mechanism_and_broker(kb, line, expected):
    d = run(kb, symptoms="the consumer has a problem", error_lines=[line])
    top = d.hypotheses[0]
    assert top.failure_mode_id == expected
    assert [e for e in top.evidence_for if e.kind == "error_signature"]
    assert d.broker.broker is not None and d.broker.broker in top.brokers


def test_lag_stall_boosts_stalled_consumer_hypotheses(kb):
    symptoms = "consumer group is stuck on one partition"
    without = run(kb, broker="kafka", symptoms=symptoms)
    stalled = {"consumer_group_offsets": [offsets(0, [500, 500, 500, 500], [900, 950, 1000, 1100]),
                                          offsets(1, [10, 20, 30, 40], [10, 20, 30, 40])]}
    with_m = run(kb, broker="kafka", symptoms=symptoms, metrics=stalled)
    assert with_m.lag_verdict is not None and with_m.lag_verdict.status == "ERROR"
    statuses = {p.partition: p.status for p in with_m.lag_verdict.groups[0].partitions}
    assert statuses == {0: "STALL", 1: "OK"}
    assert any(p.name == "lag_stalled" for p in with_m.metric_patterns)
    for fid in ("kafka_deserialization_poison_pill", "kafka_hanging_transaction_lso_stuck"):
        before = {h.failure_mode_id: h.score for h in without.hypotheses}.get(fid, 0.0)
        h = hyp(with_m, fid)
        assert h.score > before
        assert any(e.matched == "lag_stalled" for e in h.evidence_for)
    slow = [h for h in with_m.hypotheses if h.failure_mode_id == "kafka_slow_consumer_processing"]
    assert not slow or any(e.matched == "lag_stalled" and e.weight < 0 for e in slow[0].evidence_against)
    window = with_m.lag_verdict.groups[0].partitions[0].window
    assert window.samples_used == 4 and window.first_timestamp_ms == T0
    assert any(r.startswith("STALL") for r in with_m.lag_verdict.groups[0].partitions[0].reasons)


def test_growing_lag_supports_slow_consumer(kb):
    warn = {"consumer_group_offsets": [offsets(p, [100, 200, 300, 400], [200, 350, 500, 650]) for p in range(2)]}
    d = run(kb, broker="kafka", symptoms="consumer lag keeps growing", metrics=warn)
    assert ranked(d)[0] == "kafka_slow_consumer_processing"
    assert any(e.matched == "lag_growing" for e in d.hypotheses[0].evidence_for)


def test_queue_metrics_patterns(kb):
    d = run(kb, broker="rabbitmq", symptoms="messages pile up",
            metrics={"queue_depths": [{"name": "orders", "samples": [{"timestamp_ms": T0 + i * MIN, "depth": v}
                                                                     for i, v in enumerate([10, 50, 90, 200])]}],
                     "consumer_counts": [{"samples": [{"timestamp_ms": T0, "value": 2},
                                                      {"timestamp_ms": T0 + MIN, "value": 0}]}]})
    names = {p.name for p in d.metric_patterns}
    assert {"queue_depth_growing", "consumer_count_zero"} <= names
    assert ranked(d)[0] == "consumers_disconnected_backlog"


def test_broker_mismatch_penalises_entries(kb):
    line = "org.apache.kafka.common.errors.RecordTooLargeException: The message is 2000000 bytes when serialized"
    as_kafka = hyp(run(kb, broker="kafka", error_lines=[line]), "kafka_record_too_large")
    as_rabbit = run(kb, broker="rabbitmq", error_lines=[line])
    wrong = hyp(as_rabbit, "kafka_record_too_large")
    assert wrong.score < as_kafka.score / 2
    assert any(e.kind == "broker" for e in wrong.evidence_against)


def test_broker_aliases():
    assert normalize_broker("NATS") == "nats_jetstream"
    assert normalize_broker("redis") == "redis_streams"
    assert normalize_broker("RabbitMQ") == "rabbitmq"
    assert normalize_broker(None) is None


# ---------------------------------------------------------------------------------------------------- broker inference


@pytest.mark.parametrize("config, expected", [
    ("bootstrap.servers=kafka:9092\ngroup.id=orders\nenable.auto.commit=false", "kafka"),
    ({"arguments": {"x-queue-type": "quorum", "x-dead-letter-exchange": "dlx"}}, "rabbitmq"),
    ({"VisibilityTimeout": "30", "RedrivePolicy": '{"maxReceiveCount": "3"}'}, "sqs"),
    ("ack_wait: 30s\nmax_deliver: 5\nmax_ack_pending: 1000", "nats_jetstream"),
])
def test_broker_is_inferred_from_config_key_style(kb, config, expected):
    d = run(kb, config=config)
    assert d.broker.broker == expected and d.broker.how == "inferred"
    assert any("config key style" in r for r in d.broker.reasons)
    assert any("Broker inferred" in n for n in d.notes)


def test_broker_inferred_from_words_and_unknown_when_ambiguous(kb):
    d = run(kb, symptoms="JetStream consumer stopped receiving messages")
    assert d.broker.broker == "nats_jetstream"
    d = run(kb, symptoms="messages are processed twice")
    assert d.broker.broker is None and d.broker.how == "unknown"


# ---------------------------------------------------------------------------------------------------- audit, checklist


def test_context_guarantee_drives_audit_and_checklist(kb):
    d = run(kb, broker="kafka", symptoms="messages lost after the consumer crashed",
            config="enable.auto.commit=true\ngroup.id=g\nacks=all\nreplication.factor=3\nschema.registry.url=http://sr",
            event_context={"use_case": "work_queue", "requirements": {"delivery": "at_least_once",
                                                                      "idempotent_consumers": True},
                           "producers": ["a"], "consumers": ["b"]})
    assert ranked(d)[0] == "kafka_auto_commit_message_loss"
    assert any(f.id == "kafka_auto_commit_at_least_once" for f in d.config_findings)
    status = {c.id: c.status for c in d.checklist}
    assert [c.id for c in d.checklist] == ["producer_acks", "offsets_committed", "replication_factor",
                                           "lag_monitored", "dlq_alerts", "idempotency", "schema_registry"]
    assert status == {"producer_acks": "pass", "offsets_committed": "fail", "replication_factor": "pass",
                      "lag_monitored": "unknown", "dlq_alerts": "unknown", "idempotency": "pass",
                      "schema_registry": "pass"}
    for c in d.checklist:
        assert c.reason and c.sources


def test_checklist_fail_cases(kb):
    d = run(kb, broker="rabbitmq", config={"publisher_confirms": False, "x-queue-type": "quorum",
                                           "x-quorum-initial-group-size": 1},
            event_context={"requirements": {"idempotent_consumers": False, "delivery": "at_least_once"}})
    status = {c.id: c.status for c in d.checklist}
    assert status["producer_acks"] == "fail"
    assert status["replication_factor"] == "fail"
    assert status["dlq_alerts"] == "fail"
    assert status["idempotency"] == "fail"
    assert any(f.id == "rabbitmq_quorum_no_dead_letter" for f in d.config_findings)


def test_config_only_rabbitmq_prefetch_zero(kb):
    d = run(kb, config={"prefetch_count": 0})
    assert d.broker.broker == "rabbitmq"
    assert ranked(d)[0] == "rabbitmq_prefetch_unlimited"
    assert any(f.id == "rabbitmq_prefetch_unlimited" for f in d.config_findings)


def test_processing_time_read_from_symptoms(kb):
    d = run(kb, broker="sqs", symptoms="each job takes about 5 minutes and then it is picked up again",
            config={"VisibilityTimeout": 60})
    assert ranked(d)[0] == "sqs_visibility_timeout_too_short"
    assert any(f.id == "sqs_visibility_shorter_than_processing" for f in d.config_findings)
    assert any("Processing time read from the symptoms" in n for n in d.notes)


def test_notes_name_missing_evidence(kb):
    d = run(kb, broker="kafka", symptoms="consumer lag keeps growing")
    text = " ".join(d.notes)
    assert "No error lines" in text and "No config" in text and "kafka-consumer-groups.sh" in text
    assert "event_context" in text


# ---------------------------------------------------------------------------------------------------- mechanics


def test_tokenizer_folds_synonyms_stems_and_negation():
    tokenize = READER.tokenize
    assert "dup" in tokenize("processed twice") and "dup" in tokenize("duplicate messages")
    assert "lag" in tokenize("we are falling behind") and "lag" in tokenize("the backlog")
    assert set(tokenize("rebalancing")) == set(tokenize("rebalances")) == {"rebalance"}
    assert {"leave", "group", "rebalance"} <= set(tokenize("kicked out of the group"))
    assert "lost" in tokenize("events disappear") and "lost" in tokenize("records are missing")
    assert "dup" not in tokenize("the message is not reprocessed")
    assert "empty" not in tokenize("non-unique messages")


def test_deterministic_output(kb):
    kw = dict(symptoms=["duplicates after restart", "consumer lag"], config="enable.auto.commit=false")
    a, b = run(kb, **kw), run(kb, **kw)
    assert a.model_dump_json() == b.model_dump_json()
    scores = [h.score for h in a.hypotheses]
    assert scores == sorted(scores, reverse=True)
    assert [h.rank for h in a.hypotheses] == list(range(1, len(a.hypotheses) + 1))


def test_event_context_accepts_normalized_and_raw(kb):
    raw = {"event_context": {"use_case": "work_queue", "requirements": {"delivery": "exactly_once"},
                             "producers": ["a"], "consumers": ["b"]}}
    d1 = run(kb, config="isolation.level=read_uncommitted\ngroup.id=g", **raw)
    d2 = run(kb, config="isolation.level=read_uncommitted\ngroup.id=g", event_context={"delivery": "exactly_once"})
    for d in (d1, d2):
        assert any(f.id == "kafka_eos_read_uncommitted" for f in d.config_findings)


def test_a_given_broker_drops_other_brokers_failure_modes():
    from event_driven.core.diagnosis import DiagnoseRequest, diagnose
    from event_driven.kb.loader import knowledge

    d = diagnose(DiagnoseRequest(symptoms="producer fails with backlog quota exceeded", broker="pulsar"), knowledge())
    assert d.hypotheses and d.hypotheses[0].failure_mode_id == "pulsar_backlog_quota_exceeded"
    assert all("pulsar" in h.brokers or "any" in h.brokers for h in d.hypotheses)


# ---------------------------------------------------------------------------------------- issue-14 classes

# Reports written for these tests in a reporter's words (not taken from tests/diagnose_cases): each names a symptom,
# never the cause.
REPORTS = [
    ("lag_exporter_phantom_lag", "kafka", "Our Grafana panel shows consumer lag of 40k for the payments group, but "
     "kafka-consumer-groups shows LAG 0 on every partition", None),
    ("health_check_green_while_broken", "rabbitmq", "The health endpoint keeps returning ok while our producers hang "
     "on every publish", None),
    ("sqs_lambda_batch_failure_handling", "sqs", "Our Lambda processes SQS batches of 10. When one record throws, all "
     "10 come back and the 9 good ones get processed again", None),
    ("sqs_lambda_throttle_receive_count", "sqs", "Messages end up in the DLQ without the Lambda ever logging an "
     "invocation. The function has reserved concurrency 5 and the queue maxReceiveCount is 1", None),
    ("nats_max_payload_exceeded", "nats", "Publishing a 3 MB JSON document fails", "nats: maximum payload exceeded"),
    ("rabbitmq_consumer_ack_timeout", "rabbitmq", "RabbitMQ closes our consumer channel after about 30 minutes while "
     "long reports are still being generated, then the report starts again", None),
    ("nats_ack_wait_redelivery", "nats", "JetStream redelivers the message every 30 seconds while our handler, which "
     "takes 2 minutes, is still running", None),
    ("amqp_heartbeat_missed_connection_closed", "rabbitmq", "With pika BlockingConnection the connection is gone after "
     "a long job; the next basic_ack fails", "pika.exceptions.StreamLostError: Stream connection lost"),
    ("unchecked_publish_result_loss", "nats", "Our Go service calls js.PublishAsync in a loop and returns; the stream "
     "ends up with fewer messages than we sent and no error is logged", None),
    ("redis_task_queue_visibility_timeout_redelivery", "redis", "A Celery task with acks_late runs for 2 hours and a "
     "second worker starts the same task after an hour", None),
    ("sqs_fifo_group_id_treated_as_partition", "sqs", "We receive 10 messages from our SQS FIFO queue and hand them to "
     "a thread pool; messages with the same MessageGroupId run concurrently and finish out of order", None),
    ("known_bug_fixed_by_upgrade", "pulsar", "After upgrading pulsar-client to 3.1.0 our consumers stop receiving "
     "after a few hours; downgrading to 3.0.0 fixes it", None),
    ("pubsub_fire_and_forget_drop", "redis", "Redis pub/sub subscriber restarts during deploys and all messages "
     "published in the meantime are gone", None),
    ("dlq_metric_misreads_dead_letters", "sqs", "Our CloudWatch alarm on the dead-letter queue never fired although "
     "hundreds of messages failed and were moved there", None),
    ("autoscale_metric_ignores_in_flight", "sqs", "ECS scales our worker service down to zero while the last task is "
     "still processing a 20 minute message, then the message is processed again", None),
]


@pytest.mark.parametrize(("cause", "broker", "symptoms", "error"), REPORTS, ids=[r[0] for r in REPORTS])
def test_reports_in_the_reporters_words_rank_their_cause_first(kb, cause, broker, symptoms, error):
    d = run(kb, broker=broker, symptoms=symptoms, error_lines=error)
    assert ranked(d)[0] == cause, ranked(d)[:3]


def test_close_causes_come_with_the_question_that_separates_them(kb):
    d = run(kb, broker="rabbitmq", symptoms="our worker's connection is closed in the middle of long jobs and the job "
            "is delivered again")
    sq = d.separating_question
    assert sq is not None and sq.basis == "knowledge_base"
    assert set(sq.between) == {"amqp_heartbeat_missed_connection_closed", "rabbitmq_consumer_ack_timeout"}
    assert "heartbeat" in sq.question and sq.command
    assert any(n.startswith("Close call between") for n in d.notes)
    clear = run(kb, broker="nats", error_lines="nats: maximum payload exceeded")
    assert clear.separating_question is None or clear.separating_question.between[0] == "nats_max_payload_exceeded"


def test_a_consumer_that_leaves_its_group_is_asked_which_timeout_expired(kb):
    d = run(kb, broker="kafka", symptoms="one consumer keeps leaving the group and the group rebalances every few "
            "minutes; then it rejoins")
    sq = d.separating_question
    assert sq is not None and sq.basis == "knowledge_base", sq
    assert set(sq.between) == {"kafka_max_poll_interval_exceeded", "kafka_session_timeout_rebalance_storm"}
    assert "poll timeout has expired" in sq.command


def test_a_stated_version_inside_a_known_bug_range_is_evidence(kb):
    d = run(kb, broker="nats", symptoms="on our nats-server 2.9.16 cluster, publishing to a work-queue stream past "
            "the per-subject limit with discard new returns no error and the message is dropped")
    h = hyp(d, "known_bug_fixed_by_upgrade")
    versions = [e for e in h.evidence_for if e.kind == "version"]
    assert any("2.9.16" in (e.quote or "") and "<2.10.0" in e.matched for e in versions)
    fixed = run(kb, broker="nats", symptoms="on our nats-server 2.10.4 cluster, publishing to a work-queue stream past "
                "the per-subject limit with discard new returns no error and the message is dropped")
    assert not any(e.kind == "version" and "<2.10.0" in e.matched
                   for h in fixed.hypotheses for e in h.evidence_for)


def test_ack_deadline_default_is_compared_with_the_stated_processing_time(kb):
    d = run(kb, broker="nats", symptoms="messages are redelivered although the handler acks them; each handler run "
            "takes 20 minutes")
    finding = next(f for f in d.config_findings if f.id == "nats_ack_wait_shorter_than_processing")
    assert finding.current_value == "(default 30 s)"
    assert ranked(d)[0] == "nats_ack_wait_redelivery"


def test_a_voiced_complaint_the_mechanism_cannot_produce_ranks_it_down(kb):
    """At-most-once pub/sub never redelivers: a report of redeliveries refutes it, a report of loss does not."""
    redelivered = run(kb, broker="redis", symptoms="the redis pub/sub subscriber receives the same message twice "
                      "after a restart")
    drop = hyp(redelivered, "pubsub_fire_and_forget_drop") if "pubsub_fire_and_forget_drop" in ranked(redelivered) \
        else None
    assert drop is None or any("cannot produce" in e.why for e in drop.evidence_against)
    assert ranked(redelivered)[0] != "pubsub_fire_and_forget_drop"
    lost = run(kb, broker="redis", symptoms="our pub/sub subscriber restarts and misses the messages published "
               "meanwhile")
    assert ranked(lost)[0] == "pubsub_fire_and_forget_drop"
    assert not any("cannot produce" in e.why for e in hyp(lost, "pubsub_fire_and_forget_drop").evidence_against)


def test_a_setting_that_only_makes_a_mode_possible_counts_weakly(kb):
    """Every Key_Shared subscription makes the joining-consumer hold possible; the type alone is not a fault."""
    d = run(kb, broker="pulsar", symptoms="consumers stop receiving", config={"subscriptionType": "Key_Shared"})
    h = hyp(d, "pulsar_key_shared_joining_consumer_waits")
    cfg = [e for e in h.evidence_for if e.kind == "config_condition"]
    assert cfg and all(e.weight <= 0.5 and "makes this possible" in e.matched for e in cfg)
    # A setting that is the fault itself still counts fully.
    dlq = run(kb, broker="pulsar", symptoms="nacked messages are redelivered forever and never reach the dead letter "
              "topic", config={"subscriptionType": "Exclusive", "maxRedeliverCount": 3})
    full = [e for e in hyp(dlq, "pulsar_dlq_requires_shared_subscription").evidence_for if e.kind == "config_condition"]
    assert any(e.weight >= 1.5 for e in full)


def test_a_reclaim_timeout_below_the_processing_time_points_to_claiming_too_early(kb):
    d = run(kb, broker="redis", symptoms="each task takes 5 minutes and the same message is delivered again by the "
            "dapr component before it finishes", config={"processingTimeout": 60000})
    assert ranked(d)[0] == "redis_claim_min_idle_too_short"
    h = hyp(d, "redis_claim_min_idle_too_short")
    assert any(e.kind == "config_condition" and "processingTimeout" in e.matched for e in h.evidence_for)


def test_a_client_library_version_is_compared_with_a_client_bug_range():
    from event_driven.core.diagnosis.versions import matching_notes, stated_versions
    from event_driven.kb.failure_modes import VersionNote

    note = VersionNote(broker="kafka", component="confluent-kafka", versions="<1.4.2",
                       note="producer flush hangs forever after a broker restart", source="https://example.org/x")
    inside = stated_versions(["we run confluent_kafka 1.4.0"], {}, READER)
    assert [(n.component, sv.text) for n, sv in matching_notes([note], inside, "kafka") if sv] == [
        ("confluent-kafka", "confluent_kafka 1.4.0")]
    assert matching_notes([note], stated_versions([], {"confluent-kafka": "1.5.0"}, READER), "kafka") == []
    # The broker's own release says nothing about the client's: the note stays conditional.
    assert matching_notes([note], stated_versions(["kafka 1.4.0"], {}, READER), "kafka") == [(note, None)]
    assert matching_notes([note], inside, "rabbitmq") == []


def test_a_monitoring_or_scaling_mechanism_needs_its_actor_named(kb):
    """Scaling in on a metric without in-flight work needs an autoscaler in the story; naming one restores it."""
    unnamed = run(kb, broker="sqs", symptoms="the queue looks empty while one worker is still busy with the last "
                  "message, and then the worker is killed mid-message")
    assert ranked(unnamed)[0] != "autoscale_metric_ignores_in_flight"
    h = hyp(unnamed, "autoscale_metric_ignores_in_flight")
    assert any("names none of" in e.matched for e in h.evidence_against)
    named = run(kb, broker="sqs", symptoms="the service scales in while one worker is still busy with the last "
                "message, and the worker is killed mid-message")
    assert ranked(named)[0] == "autoscale_metric_ignores_in_flight"


def test_actor_words_are_matched_as_written_not_as_generic_tokens():
    """'another consumer' tokenises to the generic 'consumer'; the actor gate reads the words as written."""
    from event_driven.core.diagnosis.text import names_any

    stray = ["another consumer", "old instance", "work queue", "monitor"]
    assert not names_any(stray, "the consumer stops receiving messages from the queue")
    assert names_any(stray, "Another consumer on the same queue takes half the messages")
    assert names_any(stray, "it is a work-queue stream")
    assert names_any(stray, "our monitoring shows lag")  # a word start names its longer forms
    assert not names_any(["scaler"], "the service scales in")


@pytest.mark.parametrize(("line", "expected"), [
    ("after upgrading pulsar-client to 3.1.0 our consumers stop", [("pulsar-client", (3, 1, 0))]),
    ("we upgraded RabbitMQ from 3.8 to 3.12 last week", [("rabbitmq", (3, 12))]),
    ("after upgrading to v1.3.1 the worker hangs", [("release", (1, 3, 1))]),
    ("upgrading pulsar-client 2.10.1 to 2.10.2 did not help", [("pulsar-client", (2, 10, 2))]),  # not the old one
    ("we rolled back to 3.0.0 and it works", [("release", (3, 0, 0))]),
    ("we went from 10 to 20 consumers", []),
    ("we raised the threshold to 1.5", []),
    ("after the upgrade we moved prefetch to 2.5 and messages are redelivered", []),
    ("after we upgraded the backoff from 1.5 to 2.5 seconds it still loops", []),
    ("we upgraded the backoff from 1.5 to 2.5 and it still loops", []),
    ("updated the timeout to 2.5", []),
    ("processing takes 2.5 seconds", []),
    ("p99 went above 2.5 s and the load average is 3.5", []),
    ("backoff.multiplier=1.5", []),
    ("RabbitMQ version 3.12.1", [("rabbitmq", (3, 12, 1))]),
    ("Kafka version: 3.6.0", [("kafka", (3, 6, 0))]),
    ("upgraded the client library to 2.3.0", [("client library", (2, 3, 0))]),
    ("kafka_2.13-3.6.0", [("kafka_2.13", (3, 6, 0))]),
    ("latency rose from 2.5 to 4.0 seconds", []),
    ("we migrated the broker to 10.0.0.2", []),
])
def test_a_release_change_names_the_release_now_in_use(line, expected):
    from event_driven.core.diagnosis.versions import stated_versions

    assert [(v.component, v.version) for v in stated_versions([line], {}, READER)] == expected


@pytest.mark.parametrize(("component", "broker"), [
    ("nats_server", "nats_jetstream"), ("nats-server", "nats_jetstream"), ("kafka_version", "kafka"),
    ("redis-server-version", "redis_streams"), ("RabbitMQ", "rabbitmq"), ("confluent_kafka", None),
    ("kafka_server_version", "kafka"), ("rabbitmq-server", "rabbitmq"), ("kafka_2.13", "kafka"),
])
def test_a_stated_component_names_its_broker_however_it_is_spelled(component, broker):
    from event_driven.core.diagnosis.versions import StatedVersion, same_component

    sv = StatedVersion(component, (2, 9, 19), f"{component}: 2.9.19")
    assert sv.broker == broker
    assert same_component(sv, component.replace("_", "-").removesuffix("-version"))


def test_the_cluster_named_without_its_broker_is_the_broker_in_use():
    from event_driven.core.diagnosis.versions import StatedVersion

    cluster = StatedVersion("cluster", (3, 7, 0), "upgraded the cluster to 3.7.0")
    assert cluster.names_broker("kafka") and not cluster.names_broker(None)
    assert not StatedVersion("celery", (5, 3), "celery 5.3").names_broker("redis_streams")


def test_a_likely_release_defect_without_a_version_asks_for_the_versions(kb):
    report = "after upgrading pulsar-client our consumers stop receiving after a few hours; downgrading fixes it"
    d = run(kb, broker="pulsar", symptoms=report)
    assert "known_bug_fixed_by_upgrade" in ranked(d)[:3]
    assert any(n.startswith("No version stated") for n in d.notes)
    named = run(kb, broker="pulsar", symptoms=report.replace("pulsar-client", "pulsar-client to 3.1.0"))
    assert not any(n.startswith("No version stated") for n in named.notes)


def test_the_diagnosis_reads_with_the_vocabulary_of_the_knowledge_base_it_is_given():
    """A knowledge base passed in is read with its own vocabulary, not with the process-wide default one."""
    kb = knowledge()
    report = "the consumer group keeps rebalancing and messages are processed twice"
    words = set(Reader(kb.vocabulary).tokenize(report))
    muted = kb.model_copy(update={"vocabulary": kb.vocabulary.model_copy(
        update={"stop_words": f"{kb.vocabulary.stop_words} {report}", "concepts": {}, "multi": {}})})
    assert words and Reader(muted.vocabulary).tokenize(report) == []
    assert ranked(run(kb, broker="kafka", symptoms=report))
    assert ranked(run(muted, broker="kafka", symptoms=report)) == []
    assert ranked(run(kb, broker="kafka", symptoms=report))  # the default knowledge base still reads its own words

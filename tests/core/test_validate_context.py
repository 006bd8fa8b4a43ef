"""validate_context: schema, normalisation, field-level errors and the consistency rules."""

from __future__ import annotations

import copy

import pytest

from event_driven import validate_context

BASE = {
    "use_case": "pub_sub",
    "requirements": {
        "throughput": "10K msg/s",
        "latency": "100ms",
        "ordering": "partition",
        "delivery": "at_least_once",
        "retention": "7 days",
    },
    "producers": ["order-service"],
    "consumers": ["notification-service", "analytics-service"],
}


def ctx(**changes):
    data = copy.deepcopy(BASE)
    for key, value in changes.items():
        if key in data["requirements"] or key in ("message_size", "replay", "idempotent_consumers"):
            if value is None:
                data["requirements"].pop(key, None)
            else:
                data["requirements"][key] = value
        else:
            data[key] = value
    return data


def rule_ids(result):
    return [w.rule_id for w in result.warnings]


def test_accepts_context_with_and_without_outer_key():
    assert validate_context(BASE).valid
    assert validate_context({"event_context": BASE}).valid


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("throughput", "10K msg/s", 10_000),
        ("throughput", "2M msg/s", 2_000_000),
        ("throughput", "750 msg/s", 750),
        ("throughput", "5Kmsg/s", 5_000),
        ("latency", "100ms", 100),
        ("latency", "2 s", 2_000),
        ("retention", "7 days", 168),
        ("retention", "1 hour", 1),
        ("retention", "2 weeks", 336),
    ],
)
def test_normalises_units(field, text, expected):
    result = validate_context(ctx(**{field: text}))
    assert result.valid, result.errors
    attr = {"throughput": "throughput_msg_per_s", "latency": "latency_ms", "retention": "retention_hours"}[field]
    assert getattr(result.normalized, attr) == expected


def test_normalises_extensions_and_counts():
    result = validate_context(ctx(message_size="2 KiB", replay="30 days", idempotent_consumers=True))
    n = result.normalized
    assert (n.message_size_bytes, n.replay, n.replay_hours, n.idempotent_consumers) == (2048, "window", 720, True)
    assert (n.producer_count, n.consumer_count) == (1, 2)


@pytest.mark.parametrize(
    ("changes", "path", "code", "suggestion"),
    [
        ({"throughput": "10k msg/s"}, "$.requirements.throughput", "pattern_mismatch", "10K msg/s"),
        ({"throughput": "10000 msg/sec"}, "$.requirements.throughput", "pattern_mismatch", "10000 msg/s"),
        ({"throughput": "1.5K msg/s"}, "$.requirements.throughput", "pattern_mismatch", "1500 msg/s"),
        ({"latency": "100 milliseconds"}, "$.requirements.latency", "pattern_mismatch", "100ms"),
        ({"retention": "7d"}, "$.requirements.retention", "pattern_mismatch", "7 days"),
        ({"ordering": "per-key"}, "$.requirements.ordering", "not_allowed", None),
        ({"delivery": "exactly-once"}, "$.requirements.delivery", "not_allowed", "exactly_once"),
        ({"use_case": "pubsub"}, "$.use_case", "not_allowed", "pub_sub"),
        ({"producers": []}, "$.producers", "too_short", None),
        ({"consumers": "billing"}, "$.consumers", "wrong_type", None),
    ],
)
def test_field_errors_name_path_code_and_what_is_allowed(changes, path, code, suggestion):
    result = validate_context(ctx(**changes))
    assert result.valid is False
    (err,) = [e for e in result.errors if e.path == path]
    assert err.code == code
    assert err.allowed and err.allowed in err.message
    assert err.suggestion == suggestion


def test_unknown_field_is_reported_with_a_near_miss():
    data = ctx()
    data["requirements"]["throughtput"] = "10K msg/s"
    (err,) = validate_context(data).errors
    assert (err.path, err.code, err.suggestion) == ("$.requirements.throughtput", "unknown_field", "throughput")


def test_missing_required_fields_each_reported():
    result = validate_context({"event_context": {}})
    assert {e.path for e in result.errors} == {
        "$.event_context.use_case",
        "$.event_context.requirements",
        "$.event_context.producers",
        "$.event_context.consumers",
    }
    assert all(e.code == "missing" for e in result.errors)


@pytest.mark.parametrize("bad", [None, 42, ["pub_sub"], "use_case: [unclosed"])
def test_wrong_shapes_are_results_not_exceptions(bad):
    result = validate_context(bad)
    assert result.valid is False and result.errors
    assert result.errors[0].path == "$"


def test_yaml_text_is_accepted():
    text = "use_case: work_queue\nrequirements: {throughput: 500 msg/s}\nproducers: [a]\nconsumers: [b]\n"
    result = validate_context(text)
    assert result.valid and result.normalized.throughput_msg_per_s == 500


def test_valid_fields_still_normalised_and_warned_when_others_are_wrong():
    result = validate_context(ctx(use_case="bogus", ordering="global", throughput="100K msg/s"))
    assert not result.valid
    assert result.normalized.throughput_msg_per_s == 100_000
    assert "global_ordering_throughput" in rule_ids(result)


# --- rules: each fires on its trigger and stays quiet on the nearest valid neighbour --------------------------------

RULE_CASES = [
    ("global_ordering_throughput", {"ordering": "global", "throughput": "100K msg/s"}, {"ordering": "global", "throughput": "10K msg/s"}),
    ("exactly_once_complexity", {"delivery": "exactly_once"}, {"delivery": "at_least_once"}),
    ("exactly_once_without_idempotent_consumers", {"delivery": "exactly_once", "idempotent_consumers": False}, {"delivery": "exactly_once", "idempotent_consumers": True}),
    ("at_least_once_duplicates", {"idempotent_consumers": False}, {"idempotent_consumers": True}),
    ("exactly_once_low_latency", {"delivery": "exactly_once", "latency": "5ms"}, {"delivery": "exactly_once", "latency": "500ms"}),
    ("work_queue_global_ordering", {"use_case": "work_queue", "ordering": "global", "throughput": "100 msg/s"}, {"use_case": "work_queue", "ordering": "none"}),
    ("work_queue_per_key_ordering", {"use_case": "work_queue"}, {"use_case": "pub_sub"}),
    ("global_ordering_many_producers", {"ordering": "global", "throughput": "1K msg/s", "producers": ["a", "b"]}, {"ordering": "global", "throughput": "1K msg/s"}),
    ("event_sourcing_finite_retention", {"use_case": "event_sourcing"}, {"use_case": "event_sourcing", "retention": None}),
    ("event_sourcing_unordered", {"use_case": "event_sourcing", "ordering": "none"}, {"use_case": "event_sourcing"}),
    ("event_sourcing_without_replay", {"use_case": "event_sourcing", "replay": "none"}, {"use_case": "event_sourcing", "replay": "full"}),
    ("saga_at_most_once", {"use_case": "saga", "delivery": "at_most_once"}, {"use_case": "saga"}),
    ("projections_at_most_once", {"use_case": "cqrs", "delivery": "at_most_once"}, {"use_case": "cqrs"}),
    ("work_queue_replay", {"use_case": "work_queue", "replay": "7 days"}, {"use_case": "work_queue", "replay": "none"}),
    ("pub_sub_single_subscriber", {"consumers": ["only-one"]}, {}),
    ("retention_exceeds_sqs", {"retention": "15 days"}, {"retention": "14 days"}),
    ("retention_shorter_than_replay", {"retention": "7 days", "replay": "30 days"}, {"retention": "30 days", "replay": "30 days"}),
    ("full_replay_with_finite_retention", {"replay": "full"}, {"replay": "full", "retention": None}),
    ("retention_above_kafka_default", {"retention": "8 days"}, {"retention": "7 days"}),
    ("message_over_broker_default_limit", {"message_size": "2 MB"}, {"message_size": "1 MB"}),
    ("message_over_cloudevents_forwarding", {"message_size": "65 KiB"}, {"message_size": "64 KiB"}),
]


@pytest.mark.parametrize(("rule", "fires", "quiet"), RULE_CASES, ids=[c[0] for c in RULE_CASES])
def test_rule_fires_and_stays_quiet(rule, fires, quiet):
    hit = validate_context(ctx(**fires))
    assert rule in rule_ids(hit), rule_ids(hit)
    warning = next(w for w in hit.warnings if w.rule_id == rule)
    assert warning.sources and all(s.startswith("https://") for s in warning.sources)
    assert warning.fields and warning.recommendation
    assert rule not in rule_ids(validate_context(ctx(**quiet)))


def test_every_rule_in_the_book_is_exercised():
    from event_driven.kb.loader import knowledge

    assert {r.id for r in knowledge().rules.rules} == {c[0] for c in RULE_CASES}
    assert len(RULE_CASES) >= 14


def test_warning_messages_quote_the_numbers():
    result = validate_context(ctx(ordering="global", throughput="100K msg/s"))
    warning = result.warnings[0]
    assert warning.rule_id == "global_ordering_throughput" and warning.severity == "high"
    assert "100,000" in warning.message and "10,000" in warning.message
    assert warning.fields == ["requirements.ordering", "requirements.throughput"]


def test_warnings_sorted_most_severe_first():
    result = validate_context(ctx(use_case="event_sourcing", delivery="exactly_once", retention="30 days"))
    ranks = {"high": 0, "medium": 1, "low": 2, "info": 3}
    severities = [ranks[w.severity] for w in result.warnings]
    assert severities == sorted(severities) and len(severities) >= 3

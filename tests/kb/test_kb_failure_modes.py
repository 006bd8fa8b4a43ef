"""Tests for the failure-mode knowledge base (knowledge/failure_modes.yaml + kb/failure_modes.py)."""

from __future__ import annotations

import copy
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from conftest import ROOT
from event_driven.kb.common import SourcedNumber
from event_driven.kb.failure_modes import (
    BROKERS,
    CHECKLIST_ITEMS,
    METRIC_PATTERNS,
    SEED_ISSUES,
    ConfigCondition,
    ConfigConditionGroup,
    ErrorSignature,
    FailureModeCatalog,
    default_catalog_path,
    find_unsourced_numbers,
    read_taxonomy_ids,
)
from event_driven.kb.loader import KnowledgeError, knowledge, parse

REPO = ROOT
YAML_PATH = REPO / "knowledge" / "failure_modes.yaml"
TAXONOMY_PATH = REPO / "knowledge" / "failure_mode_ids.txt"


@pytest.fixture(scope="module")
def raw() -> dict:
    with YAML_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def catalog() -> FailureModeCatalog:
    return knowledge().failure_modes


# --------------------------------------------------------------------------------------------------------------
# The file as a whole
# --------------------------------------------------------------------------------------------------------------


def test_default_path_points_at_the_repository_file() -> None:
    assert default_catalog_path() == YAML_PATH


def test_yaml_validates(catalog: FailureModeCatalog) -> None:
    assert isinstance(catalog, FailureModeCatalog)


def test_at_least_40_entries(catalog: FailureModeCatalog) -> None:
    assert len(catalog.failure_modes) >= 40


def test_taxonomy_file_is_well_formed() -> None:
    lines = [ln for ln in TAXONOMY_PATH.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    ids = read_taxonomy_ids(TAXONOMY_PATH)
    assert len(ids) == len(lines)
    assert len(ids) == len(set(ids)), "duplicate ids in failure_mode_ids.txt"
    for line, fid in zip(lines, ids):
        assert re.fullmatch(r"[a-z][a-z0-9_]*", fid), fid
        assert " — " in line and len(line.split(" — ", 1)[1].strip()) > 10, f"missing meaning: {line!r}"


def test_every_taxonomy_id_is_covered(catalog: FailureModeCatalog) -> None:
    taxonomy = read_taxonomy_ids(TAXONOMY_PATH)
    missing = sorted(set(taxonomy) - set(catalog.ids))
    assert not missing, f"taxonomy ids without an entry: {missing}"


def test_no_entry_outside_the_taxonomy(catalog: FailureModeCatalog) -> None:
    extra = sorted(set(catalog.ids) - set(read_taxonomy_ids(TAXONOMY_PATH)))
    assert not extra, f"entries whose id is not in failure_mode_ids.txt: {extra}"


def test_ids_unique(catalog: FailureModeCatalog) -> None:
    counts = Counter(catalog.ids)
    assert all(n == 1 for n in counts.values())


@pytest.mark.parametrize("broker", BROKERS)
def test_every_broker_has_at_least_three_entries(catalog: FailureModeCatalog, broker: str) -> None:
    entries = [fm.id for fm in catalog.failure_modes if broker in fm.brokers]
    assert len(entries) >= 3, f"{broker}: only {entries}"


def test_every_entry_has_required_minimums(catalog: FailureModeCatalog) -> None:
    for fm in catalog.failure_modes:
        assert len(fm.symptoms) >= 2, fm.id
        assert len(fm.resolutions) >= 1, fm.id
        assert len(fm.next_diagnostics) >= 1, fm.id
        assert len(fm.sources) >= 1, fm.id
        assert fm.causes, fm.id


def test_every_number_is_sourced(raw: dict, catalog: FailureModeCatalog) -> None:
    assert find_unsourced_numbers(raw) == []

    def walk(obj: object) -> None:
        if isinstance(obj, SourcedNumber):
            assert obj.source.startswith("https://"), obj
            assert obj.unit
            return
        if isinstance(obj, (list, tuple)):
            for item in obj:
                walk(item)
        elif isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                walk(getattr(obj, name))
        else:
            assert not (isinstance(obj, (int, float)) and not isinstance(obj, bool)), f"bare number {obj!r}"

    walk(catalog)


def test_all_sources_are_https_urls(catalog: FailureModeCatalog) -> None:
    for fm in catalog.failure_modes:
        for url in fm.sources:
            assert url.startswith("https://"), (fm.id, url)
        for sig in fm.error_signatures:
            assert sig.source is None or sig.source.startswith("https://"), (fm.id, sig.pattern)


def test_seed_rows_and_checklist_items_are_all_used(catalog: FailureModeCatalog) -> None:
    seeds = {fm.seed_issue for fm in catalog.failure_modes if fm.seed_issue}
    assert seeds == set(SEED_ISSUES)
    checklist = {item for fm in catalog.failure_modes for item in fm.checklist_items}
    assert checklist == set(CHECKLIST_ITEMS)


def test_metric_patterns_used_are_documented(catalog: FailureModeCatalog) -> None:
    for fm in catalog.failure_modes:
        for mp in fm.metric_patterns:
            assert mp.name in METRIC_PATTERNS


def test_next_diagnostics_and_separating_commands_are_read_only(catalog: FailureModeCatalog) -> None:
    """Receiving is not reading: an SQS receive hides the message, a RabbitMQ get takes it off the queue."""
    forbidden = re.compile(
        r"--execute\b|--alter\b|--delete\b|set-queue-attributes|purge|set_policy|delete_queue|\bXDEL\b|\bXTRIM\b|"
        r"\bXACK\b|\bXCLAIM\b|\bXAUTOCLAIM\b|\bDEL\b|clear-backlog|unsubscribe|\bedit\b|\brm\b|receive-message|"
        r"rabbitmqadmin\b.*\bget\b|\bXREADGROUP\b|nats\s+consumer\s+next|pulsar-client\s+consume|"
        r"pulsar-admin\s+topics\s+(?:skip|reset-cursor|expire-messages)|kcat\b.*\s-G\b|"
        r"kafka-console-consumer\S*\s.*--group\b|delete-message|change-message-visibility",
        re.IGNORECASE,
    )
    for fm in catalog.failure_modes:
        commands = [d.command for d in fm.next_diagnostics] + [d.command for d in fm.distinguish if d.command]
        for command in commands:
            assert not forbidden.search(command), (fm.id, command)


def test_version_specific_facts_are_recorded(catalog: FailureModeCatalog) -> None:
    dl = catalog.by_id("rabbitmq_quorum_delivery_limit_drop")
    assert any(v.versions == ">=4.0" and "20" in v.note for v in dl.versions)
    st = catalog.by_id("kafka_session_timeout_rebalance_storm")
    leaf = next(c for c in st.config_conditions if isinstance(c, ConfigCondition) and c.key == "session.timeout.ms")
    assert isinstance(leaf.value, SourcedNumber) and leaf.value.value == 45000 and leaf.value.versions == ">=3.0"
    acks = catalog.by_id("kafka_acks_not_all_message_loss")
    assert any(v.versions == "<3.0" for v in acks.versions)


# --------------------------------------------------------------------------------------------------------------
# Signatures and conditions behave as the engine will use them
# --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "org.apache.kafka.clients.consumer.CommitFailedException: Commit cannot be completed since the group "
            "has already rebalanced and assigned the partitions to another member.",
            "kafka_commit_failed_duplicates",
        ),
        (
            "PRECONDITION_FAILED - delivery acknowledgement on channel 1 timed out. Timeout value used: 1800000 ms.",
            "rabbitmq_consumer_ack_timeout",
        ),
        (
            "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'q' in vhost '/': received none but "
            "current is the value 'quorum' of type 'longstr'",
            "rabbitmq_inequivalent_queue_args",
        ),
        ("NOGROUP No such key 'jobs' or consumer group 'g' in XREADGROUP with GROUP option", "redis_nogroup_error"),
        ("BUSYGROUP Consumer Group name already exists", "redis_nogroup_error"),
        ("nats: no responders available for request", "nats_no_responders_or_stream_not_found"),
        (
            "org.apache.kafka.common.errors.RecordTooLargeException: The message is 4021051 bytes when serialized "
            "which is larger than 1048576, which is the value of the max.request.size configuration.",
            "kafka_record_too_large",
        ),
        ("Error: NOT_ENOUGH_REPLICAS (org.apache.kafka.clients.producer.internals.Sender)", "kafka_not_enough_replicas"),
        ("KafkaError{code=_MAX_POLL_EXCEEDED,val=-147,str=\"Application maximum poll interval (300000ms) exceeded by 88ms\"}", "kafka_max_poll_interval_exceeded"),
        ("One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes.", "sqs_message_too_large"),
        ("org.apache.kafka.common.errors.ProducerFencedException: There is a newer producer with the same transactionalId which fences the current one.", "kafka_producer_fenced"),
    ],
)
def test_real_error_lines_match_their_entry(catalog: FailureModeCatalog, text: str, expected: str) -> None:
    matched = {fm.id for fm in catalog.failure_modes if any(sig.matches(text) for sig in fm.error_signatures)}
    assert expected in matched, matched


def test_regex_signatures_compile(catalog: FailureModeCatalog) -> None:
    for fm in catalog.failure_modes:
        for sig in fm.error_signatures:
            if sig.kind == "regex":
                re.compile(sig.pattern)


def test_config_conditions_evaluate(catalog: FailureModeCatalog) -> None:
    acks = catalog.by_id("kafka_acks_not_all_message_loss")
    leaf = next(c for c in acks.config_conditions if isinstance(c, ConfigCondition) and c.key == "acks")
    assert leaf.evaluate({"acks": "1"}) is True
    assert leaf.evaluate({"acks": "all"}) is False
    assert leaf.evaluate({}) is False  # documented default (all since 3.0) is not 0/1

    reorder = catalog.by_id("kafka_retries_reordering")
    group = next(c for c in reorder.config_conditions if isinstance(c, ConfigConditionGroup))
    cfg = {"max.in.flight.requests.per.connection": "5", "enable.idempotence": "false", "retries": "2147483647"}
    assert group.evaluate(cfg) is True
    assert group.evaluate({**cfg, "enable.idempotence": "true"}) is False
    assert group.evaluate({"enable.idempotence": "false"}) is None  # undecided, not a false positive

    auto = catalog.by_id("kafka_auto_commit_message_loss")
    supports = next(c for c in auto.config_conditions if isinstance(c, ConfigCondition) and c.effect == "supports")
    assert supports.evaluate({}) is True  # default enable.auto.commit=true


# --------------------------------------------------------------------------------------------------------------
# Malformed input is rejected, naming where
# --------------------------------------------------------------------------------------------------------------


def _problems(data: dict) -> str:
    with pytest.raises(KnowledgeError) as exc:
        parse(data, FailureModeCatalog, Path("test.yaml"), knowledge().sources)
    return str(exc.value)


def test_malformed_entry_rejected_naming_its_path(raw: dict) -> None:
    data = copy.deepcopy(raw)
    entry = data["failure_modes"][5]
    entry["error_signatures"] = [{"pattern": "CommitFailedException", "kind": "stacktrace"}]
    message = _problems(data)
    assert f"failure_modes[5] (id={entry['id']}).error_signatures[0].kind" in message


def test_bare_number_rejected_naming_its_path(raw: dict) -> None:
    data = copy.deepcopy(raw)
    fm = data["failure_modes"][1]
    fm["config_conditions"][0]["value"] = 300000
    message = _problems(data)
    assert "bare numbers at failure_modes[1].config_conditions[0].value" in message


def test_unknown_key_broker_and_bad_regex_rejected(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["failure_modes"][0]["severity"] = "high"
    assert "failure_modes[0] (id=kafka_slow_consumer_processing).severity" in _problems(data)

    data = copy.deepcopy(raw)
    data["failure_modes"][0]["brokers"] = ["activemq"]
    assert "failure_modes[0] (id=kafka_slow_consumer_processing).brokers[0]" in _problems(data)

    data = copy.deepcopy(raw)
    data["failure_modes"][0]["error_signatures"] = [{"pattern": "foo((", "kind": "regex"}]
    assert "does not compile" in _problems(data)


def test_missing_required_parts_rejected(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["failure_modes"][2]["symptoms"] = ["only one"]
    assert "failure_modes[2] (id=kafka_session_timeout_rebalance_storm).symptoms" in _problems(data)

    data = copy.deepcopy(raw)
    data["failure_modes"][3]["sources"] = []
    assert "failure_modes[3] (id=kafka_insufficient_partitions).sources" in _problems(data)

    data = copy.deepcopy(raw)
    data["failure_modes"][3]["sources"] = ["ftp://example.org/x"]
    assert "unknown source id" in _problems(data)


def test_duplicate_ids_and_dangling_related_rejected(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["failure_modes"].append(copy.deepcopy(data["failure_modes"][0]))
    assert "duplicate failure-mode ids" in _problems(data)

    data = copy.deepcopy(raw)
    data["failure_modes"][0]["related"] = ["no_such_mode"]
    assert "no_such_mode" in _problems(data)


def test_condition_value_must_fit_its_operator(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["failure_modes"][0]["config_conditions"] = [
        {"key": "acks", "op": "in", "value": "1", "effect": "supports", "why": "a list is needed for 'in'"}
    ]
    assert "needs a non-empty list value" in _problems(data)

    data = copy.deepcopy(raw)
    data["failure_modes"][0]["config_conditions"] = [
        {"key": "retries", "op": "gt", "value": "0", "effect": "supports", "why": "numeric ops take sourced numbers"}
    ]
    assert "value must be a number or a threshold" in _problems(data)

    data = copy.deepcopy(raw)
    data["failure_modes"][0]["config_conditions"] = [
        {"all": [{"key": "a", "op": "exists"}], "any": [{"key": "b", "op": "exists"}], "effect": "supports", "why": "only one group kind allowed"}
    ]
    assert "exactly one of 'all', 'any' or 'not'" in _problems(data)


def test_error_signature_matching_is_case_insensitive() -> None:
    sig = ErrorSignature(pattern="NOT_ENOUGH_REPLICAS", kind="exception")
    assert sig.matches("error: not_enough_replicas")
    rx = ErrorSignature(pattern=r"timed out\. Timeout value used: \d+ ms", kind="regex")
    assert rx.matches("... TIMED OUT. Timeout value used: 15000 ms")


def test_unknown_observed_key_rejected(raw: dict) -> None:
    data = copy.deepcopy(raw)
    data["failure_modes"][0]["config_conditions"] = [
        {"key": "observed.typo", "op": "exists", "effect": "supports", "why": "observed keys come from a fixed list"}
    ]
    assert "unknown observed key 'observed.typo'" in _problems(data)


@pytest.mark.parametrize(
    "phrase",
    ["consumer lag keeps growing", "same message processed twice", "messages disappear", "consumers keep rebalancing"],
)
def test_common_user_phrases_are_symptoms(catalog: FailureModeCatalog, phrase: str) -> None:
    assert any(phrase in fm.symptoms for fm in catalog.failure_modes), phrase


def test_thresholds_named_by_conditions_are_in_the_rule_book():
    # A failure-mode condition may compare with a rules.yaml threshold instead of repeating the figure.
    from event_driven.kb.loader import knowledge
    from event_driven.kb.predicates import threshold_refs

    kb = knowledge()
    named = {n for fm in kb.failure_modes.failure_modes for c in fm.config_conditions for n in threshold_refs(c)}
    assert "kafka_default_max_message_bytes" in named
    assert named <= set(kb.rules.thresholds)

"""Tests for ``knowledge/brokers.yaml`` and its models (``event_driven.kb.brokers``)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, ValidationError

from conftest import ROOT
from event_driven.kb.brokers import (
    PROFILE_SECTIONS,
    SEED_NOTE,
    Broker,
    BrokerKnowledge,
    BrokerProfile,
    BrokerVariant,
    EnvelopeFigure,
    GuaranteeSupport,
    ThroughputEnvelope,
)
from event_driven.kb.common import SourcedNumber
from event_driven.kb.loader import knowledge
from event_driven.kb.sources import SEED_SOURCE_ID, source_url

BROKERS_YAML = ROOT / "knowledge" / "brokers.yaml"

EXPECTED = {
    "kafka": set(),
    "rabbitmq": {"classic", "quorum", "stream"},
    "sqs": {"standard", "fifo", "fifo_high_throughput"},
    "pulsar": set(),
    "nats_jetstream": set(),
    "redis_streams": set(),
    "kinesis": set(),
    "google_pubsub": set(),
    "azure_event_hubs": set(),
    "nats_core": set(),
    "redis_pubsub": set(),
}

SOURCES = {"sources": knowledge().sources}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load(BROKERS_YAML.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kb(raw: dict[str, Any]) -> BrokerKnowledge:
    return BrokerKnowledge.model_validate(raw, context=SOURCES)


def _index(raw: dict[str, Any], broker_id: str, variant_id: str | None = None) -> tuple[int, int | None]:
    bi = next(i for i, b in enumerate(raw["brokers"]) if b["id"] == broker_id)
    if variant_id is None:
        return bi, None
    vi = next(i for i, v in enumerate(raw["brokers"][bi]["variants"]) if v["id"] == variant_id)
    return bi, vi


# --- the file validates and is complete -------------------------------------------------------------------------------


def test_yaml_validates(kb: BrokerKnowledge) -> None:
    assert {b.id: {v.id for v in b.variants} for b in kb.brokers} == EXPECTED


def test_loader_accepts_file() -> None:
    from event_driven.kb.loader import load_file

    assert isinstance(load_file(BROKERS_YAML, BrokerKnowledge, knowledge().sources), BrokerKnowledge)


def test_every_profile_resolves_and_states_all_guarantees(kb: BrokerKnowledge) -> None:
    profiles = kb.profiles()
    assert len(profiles) == len(EXPECTED) + sum(len(v) for v in EXPECTED.values())
    for name, profile in profiles.items():
        assert isinstance(profile, BrokerProfile), name
        assert {g.guarantee for g in profile.delivery} == {"at_most_once", "at_least_once", "exactly_once"}, name
        for g in profile.delivery:
            if g.support == "supported":
                assert g.requires and g.source, (name, g.guarantee)


def test_variant_fields_mirror_profile_sections() -> None:
    profile_fields = set(BrokerProfile.model_fields) - {"gaps"}
    assert set(PROFILE_SECTIONS) == profile_fields
    assert set(PROFILE_SECTIONS) <= set(BrokerVariant.model_fields)


# --- every number is sourced ------------------------------------------------------------------------------------------


def _walk(node: Any, path: str, found: list[SourcedNumber], bare: list[str]) -> None:
    if isinstance(node, SourcedNumber):
        found.append(node)
        return
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            _walk(getattr(node, name), f"{path}.{name}", found, bare)
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            _walk(item, f"{path}[{i}]", found, bare)
    elif isinstance(node, dict):
        for key, item in node.items():
            _walk(item, f"{path}.{key}", found, bare)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        bare.append(f"{path} = {node!r}")


def test_every_number_is_a_sourced_number(kb: BrokerKnowledge) -> None:
    found: list[SourcedNumber] = []
    bare: list[str] = []
    _walk(kb, "brokers", found, bare)
    assert not bare, "numbers outside a SourcedNumber:\n" + "\n".join(bare)
    assert len(found) > 100
    for number in found:
        assert number.source.startswith(("https://", "http://")), number
        assert number.unit.strip(), number


def test_raw_yaml_has_no_unsourced_numbers(raw: dict[str, Any]) -> None:
    """Same check on the raw YAML: a number may only sit under the 'value' key of a mapping that has a 'source'."""
    bad: list[str] = []

    def visit(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "value" and isinstance(item, (int, float)) and not isinstance(item, bool):
                    if str(node.get("source", "")) not in knowledge().sources.sources:
                        bad.append(path)
                    continue
                visit(item, f"{path}.{key}")
        elif isinstance(node, list):
            for i, item in enumerate(node):
                visit(item, f"{path}[{i}]")
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            bad.append(f"{path} = {node!r}")

    visit(raw, "")
    assert not bad, bad


def test_seed_figures_are_labelled(kb: BrokerKnowledge) -> None:
    found: list[SourcedNumber] = []
    _walk(kb, "brokers", found, [])
    seed = [n for n in found if n.source == source_url(SEED_SOURCE_ID)]
    assert seed, "the seed envelopes (Kafka/RabbitMQ/SQS/Pulsar) should be present as labelled estimates"
    for number in seed:
        assert SEED_NOTE in (number.note or ""), number


# --- spot checks against facts.md -------------------------------------------------------------------------------------


def test_sqs_max_retention_is_336_hours(kb: BrokerKnowledge) -> None:
    retention = kb.broker("sqs").retention
    assert retention.max_retention is not None
    assert retention.max_retention.value == 336 and retention.max_retention.unit == "hours"
    assert "1,209,600" in (retention.max_retention.note or "")
    assert retention.default_retention is not None and retention.default_retention.value == 96
    assert retention.replay.supported is False


def test_kafka_topic_name_rules(kb: BrokerKnowledge) -> None:
    rule = kb.broker("kafka").naming[0]
    assert rule.max_length is not None and rule.max_length.value == 249 and rule.max_length.unit == "characters"
    assert {"__consumer_offsets", "__transaction_state", "__cluster_metadata"} <= set(rule.reserved_names)
    assert rule.matches("orders.v1-events_x") is True
    assert rule.matches("__consumer_offsets") is False
    assert rule.matches("bad topic") is False
    assert rule.matches("a" * 249) is True
    assert rule.matches("a" * 250) is False


def test_rabbitmq_quorum_delivery_limit_20_since_4_0(kb: BrokerKnowledge) -> None:
    rabbit = kb.broker("rabbitmq")
    limit = rabbit.profile("quorum").dead_lettering.default_delivery_limit
    assert limit is not None and limit.value == 20 and limit.unit == "deliveries"
    assert limit.versions and ">=4.0" in limit.versions
    assert "x-delivery-limit" in rabbit.profile("quorum").dead_lettering.config_names
    assert "x-dead-letter-exchange" in rabbit.profile("classic").dead_lettering.config_names
    changes = [c for c in rabbit.version_changes if c.version == "4.0"]
    values = [v.figure for c in changes for v in c.values]
    assert any(f.value == 20 and ">=4.0" in (f.versions or "") for f in values)
    assert any("mirroring removed" in c.summary for c in changes)


def test_sqs_message_size_history_and_disagreement(kb: BrokerKnowledge) -> None:
    size = kb.broker("sqs").max_message_size
    assert size.max_bytes is not None and size.max_bytes.value == 1048576
    assert [h.value for h in size.history] == [262144]
    assert size.disagreements


def test_delivery_requirements(kb: BrokerKnowledge) -> None:
    kafka_eos = kb.broker("kafka").guarantee("exactly_once")
    assert kafka_eos.support == "supported"
    text = " ".join(kafka_eos.requires)
    assert "transactional.id" in text and "read_committed" in text and "enable.idempotence" in text
    assert kafka_eos.scope and "within Kafka" in kafka_eos.scope

    profiles = kb.profiles()
    assert profiles["sqs.standard"].guarantee("exactly_once").support == "not_supported"
    fifo_eos = profiles["sqs.fifo"].guarantee("exactly_once")
    assert fifo_eos.support == "supported"
    window = {p.name: p.figure for p in fifo_eos.parameters}["deduplication_interval"]
    assert (window.value, window.unit) == (5, "minutes")
    assert "MessageDeduplicationId" in " ".join(fifo_eos.requires)


def test_kafka_3_0_defaults_recorded_with_caveat(kb: BrokerKnowledge) -> None:
    changes = [c for c in kb.broker("kafka").version_changes if c.version == "3.0"]
    idem = next(c for c in changes if "enable.idempotence" in c.settings)
    assert idem.caveat and "KAFKA-13598" in idem.caveat
    session = next(c for c in changes if "session.timeout.ms" in c.settings)
    assert {v.figure.value for v in session.values} == {10000, 45000}


def test_per_unit_limits(kb: BrokerKnowledge) -> None:
    def limits(broker: str, variant: str | None = None) -> dict[str, SourcedNumber]:
        return {n.name: n.figure for n in kb.broker(broker).profile(variant).parallelism.per_unit_limits}

    kinesis = limits("kinesis")
    assert kinesis["write_bytes_per_shard"].value == 1 and kinesis["write_records_per_shard"].value == 1000
    fifo = limits("sqs", "fifo")
    assert fifo["api_tps_per_action"].value == 300 and fifo["batched_msgs_per_action"].value == 3000
    hubs = limits("azure_event_hubs")
    assert hubs["tu_ingress_bytes"].value == 1 and hubs["tu_ingress_events"].value == 1000
    assert limits("google_pubsub")["publish_throughput_per_ordering_key"].value == 1
    # Cluster-wide benchmarks are not one quorum queue's rate: they live under other_limits.
    quorum = kb.broker("rabbitmq").profile("quorum").parallelism
    assert not quorum.per_unit_limits and {n.figure.value for n in quorum.other_limits} >= {20000, 40000}


def test_one_sqs_message_group_has_the_same_limit_with_or_without_high_throughput(kb: BrokerKnowledge) -> None:
    def ordered_unit(variant: str) -> list[tuple[float, str]]:
        figures = kb.broker("sqs").profile(variant).parallelism.ordered_unit_figures()
        return [(n.figure.value, n.figure.unit) for n in figures]

    assert ordered_unit("fifo") == ordered_unit("fifo_high_throughput") == [(3000, "msg/s")]


def test_ordered_unit_limits_must_name_a_per_unit_throughput_limit(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    bi, _ = _index(data, "kafka")
    data["brokers"][bi]["parallelism"]["ordered_unit_limits"] = ["no_such_limit"]
    with pytest.raises(ValidationError, match="not one of the per_unit_limits"):
        BrokerKnowledge.model_validate(data, context=SOURCES)
    data["brokers"][bi]["parallelism"]["ordered_unit_limits"] = []
    nats, _ = _index(data, "nats_jetstream")  # max_ack_pending_default counts messages, not a rate
    data["brokers"][nats]["parallelism"]["ordered_unit_limits"] = ["max_ack_pending_default"]
    with pytest.raises(ValidationError, match="ordered unit limit"):
        BrokerKnowledge.model_validate(data, context=SOURCES)


# --- variant merging and naming helpers -------------------------------------------------------------------------------


def test_variant_profile_overrides_and_inherits(kb: BrokerKnowledge) -> None:
    rabbit = kb.broker("rabbitmq")
    quorum = rabbit.profile("quorum")
    assert {f.figure.value for f in quorum.throughput.figures} == {20000, 40000}
    assert quorum.operations == rabbit.operations  # inherited
    stream = rabbit.profile("stream")
    assert stream.ordering[0].scope == "per_stream"
    assert stream.retention.replay.supported is True and "x-stream-offset" in (stream.retention.replay.mechanism or "")
    assert rabbit.profile().retention.replay.supported is False

    fifo_name = kb.broker("sqs").profile("fifo").naming[0]
    assert fifo_name.required_suffix == ".fifo"
    assert fifo_name.matches("orders.fifo") is True
    assert fifo_name.matches("orders") is False
    assert fifo_name.matches("x" * 76 + ".fifo") is False  # 81 characters


def test_nats_stream_name_rules(kb: BrokerKnowledge) -> None:
    rule = kb.broker("nats_jetstream").naming[0]
    assert rule.matches("ORDERS") is True
    for bad in ("a.b", "a*b", "a>b", "a b", "a/b", "a\\b"):
        assert rule.matches(bad) is False, bad


def test_gaps_are_explained(kb: BrokerKnowledge) -> None:
    pubsub = kb.broker("google_pubsub")
    assert pubsub.max_message_size.max_bytes is None and pubsub.max_message_size.gap
    nats = kb.broker("nats_jetstream")
    assert not nats.throughput.figures and nats.throughput.gap
    assert kb.broker("azure_event_hubs").naming[0].gaps


# --- malformed input is rejected with the path ------------------------------------------------------------------------


def _errors(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    with pytest.raises(ValidationError) as info:
        BrokerKnowledge.model_validate(data, context=SOURCES)
    return [(err["loc"], err["msg"]) for err in info.value.errors()]


def test_variant_number_without_source_is_rejected_with_path(raw: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(raw)
    bi, vi = _index(data, "rabbitmq", "quorum")
    data["brokers"][bi]["variants"][vi]["max_message_size"] = {
        "max_bytes": {"value": 1048576, "unit": "bytes"},
        "gap": None,
    }
    errors = _errors(data)
    expected = ("brokers", bi, "variants", vi, "max_message_size", "max_bytes", "source")
    assert (expected, "Field required") in errors

    # The loader's message names the same path.
    from event_driven.kb.loader import KnowledgeError, load_file

    path = tmp_path / "brokers.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_file(path, BrokerKnowledge, knowledge().sources)
    where = f"brokers[{bi}] (id=rabbitmq).variants[{vi}] (id=quorum).max_message_size.max_bytes.source"
    assert where in str(info.value)


def test_bare_number_is_rejected(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    bi, vi = _index(data, "sqs", "fifo")
    data["brokers"][bi]["variants"][vi]["retention"] = copy.deepcopy(data["brokers"][bi]["retention"])
    data["brokers"][bi]["variants"][vi]["retention"]["max_retention"] = 336
    locs = [loc for loc, _ in _errors(data)]
    assert ("brokers", bi, "variants", vi, "retention", "max_retention") in locs


def test_supported_guarantee_needs_requirements(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    bi, _ = _index(data, "kafka")
    eos = next(g for g in data["brokers"][bi]["delivery"] if g["guarantee"] == "exactly_once")
    eos["requires"] = []
    errors = _errors(data)
    assert any("requires" in msg and loc[:3] == ("brokers", bi, "delivery") for loc, msg in errors), errors


def test_missing_guarantee_is_rejected(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    bi, _ = _index(data, "kinesis")
    data["brokers"][bi]["delivery"] = [g for g in data["brokers"][bi]["delivery"] if g["guarantee"] != "at_most_once"]
    assert any("missing ['at_most_once']" in msg for _, msg in _errors(data))


def test_duplicate_broker_ids_rejected(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["brokers"].append(copy.deepcopy(data["brokers"][0]))
    assert any("duplicate broker ids" in msg for _, msg in _errors(data))


def test_variant_parent_must_match(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    bi, vi = _index(data, "sqs", "fifo")
    data["brokers"][bi]["variants"][vi]["parent"] = "rabbitmq"
    assert any("names parent 'rabbitmq'" in msg for _, msg in _errors(data))

    data["brokers"][bi]["variants"][vi]["parent"] = "no_such_broker"
    assert any("no_such_broker" in msg for _, msg in _errors(data))


def test_unknown_key_rejected(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    data["brokers"][0]["retention"]["max_retension"] = {"value": 1, "unit": "hours", "source": "kafka-semantics"}
    assert (("brokers", 0, "retention", "max_retension"), "Extra inputs are not permitted") in _errors(data)


def test_retention_unit_enforced(raw: dict[str, Any]) -> None:
    data = copy.deepcopy(raw)
    bi, _ = _index(data, "sqs")
    data["brokers"][bi]["retention"]["max_retention"]["unit"] = "seconds"
    assert any("max_retention must be in one of ['hours']" in msg for _, msg in _errors(data))


def test_envelope_rules() -> None:
    seed = {"value": 1, "unit": "msg/s", "source": source_url(SEED_SOURCE_ID), "assumptions": "x"}
    with pytest.raises(ValidationError, match="must carry the note"):
        EnvelopeFigure.model_validate({"basis": "seed_estimate", "figure": seed})
    with pytest.raises(ValidationError, match="basis 'seed_estimate'"):
        EnvelopeFigure.model_validate({"basis": "benchmark", "figure": {**seed, "note": SEED_NOTE}})
    with pytest.raises(ValidationError, match="must state its assumptions"):
        EnvelopeFigure.model_validate(
            {"basis": "benchmark", "figure": {"value": 1, "unit": "msg/s", "source": "https://a.example"}}
        )
    with pytest.raises(ValidationError, match="'gap' note"):
        ThroughputEnvelope.model_validate({"figures": []})
    with pytest.raises(ValidationError, match="unit 'ms'"):
        ThroughputEnvelope.model_validate(
            {"figures": [{"basis": "benchmark", "figure": {**seed, "unit": "ms", "source": "https://a.example"}}]}
        )


def test_unconfirmed_guarantee_needs_note() -> None:
    with pytest.raises(ValidationError, match="unconfirmed"):
        GuaranteeSupport.model_validate({"guarantee": "at_most_once", "support": "unconfirmed"})


def test_models_are_frozen(kb: BrokerKnowledge) -> None:
    broker: Broker = kb.brokers[0]
    with pytest.raises(ValidationError):
        broker.name = "other"  # type: ignore[misc]

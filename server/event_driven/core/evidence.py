"""Evidence parsing for ``diagnose_issue``: configuration text / objects and metric samples.

Pure functions, no I/O.

Configuration
-------------
:func:`parse_config` accepts Java properties text, YAML, JSON or an already-parsed object and returns a
:class:`ParsedConfig`: one :class:`ConfigEntry` per setting, nested YAML/JSON flattened to dotted keys. Keys are
mapped to the canonical names the knowledge base uses (``enable.auto.commit``, ``x-dead-letter-exchange``,
``VisibilityTimeout``, ``ack_wait`` ...) by comparing "squashed" spellings (lower case, punctuation removed), so
client-library variants match: ``enable_auto_commit`` (kafka-python), ``EnableAutoCommit`` / ``AutoOffsetReset``
(.NET), ``spring.kafka.consumer.enable-auto-commit`` (Spring), ``KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR`` (Docker
env), RabbitMQ policy keys (``dead-letter-exchange`` for ``x-dead-letter-exchange``), Go NATS fields (``AckWait``).
A small alias table covers genuinely different names for the same setting (librdkafka ``request.required.acks``,
the SQS console's ``DefaultVisibilityTimeout``, ``WaitTimeSeconds``). SQS ``RedrivePolicy`` JSON strings are
expanded; ``dlq.`` / ``source.`` prefixes mark the dead-letter and source queue. Durations and sizes written with
units (``30s``, ``10MB``) are converted to the unit of the canonical key.

Metrics
-------
:class:`Metrics` is the typed shape of the metric samples a user can give; :func:`compute_metric_patterns` derives
the named patterns of :data:`event_driven.kb.failure_modes.METRIC_PATTERNS` it can compute, each with the numbers
behind it. Where a threshold is a judgement (no documented figure), the pattern says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from statistics import mean
from typing import Any, Literal

import yaml
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from event_driven.core.lag import GroupLagResult, LagEvaluationConfig, OffsetSample

__all__ = [
    "ConfigEntry",
    "CountSample",
    "CountSeries",
    "DepthSample",
    "DepthSeries",
    "GroupPartitionOffsets",
    "KEY_BROKERS",
    "KNOWN_KEYS",
    "Metrics",
    "ObservedPattern",
    "ParsedConfig",
    "ProcessingTime",
    "RebalanceEvent",
    "RedeliverySample",
    "RedeliverySeries",
    "compute_metric_patterns",
    "parse_config",
    "parse_duration_ms",
    "squash",
]

# --------------------------------------------------------------------------------------------------------------
# Known configuration keys (canonical spelling -> broker) and aliases
# --------------------------------------------------------------------------------------------------------------

_KAFKA_KEYS = """
bootstrap.servers group.id group.instance.id client.id acks enable.idempotence max.in.flight.requests.per.connection
retries delivery.timeout.ms transactional.id transaction.timeout.ms isolation.level enable.auto.commit
auto.commit.interval.ms auto.offset.reset max.poll.interval.ms max.poll.records session.timeout.ms
heartbeat.interval.ms group.min.session.timeout.ms group.max.session.timeout.ms partition.assignment.strategy
group.protocol min.insync.replicas replication.factor default.replication.factor offsets.topic.replication.factor
transaction.state.log.replication.factor transaction.state.log.min.isr unclean.leader.election.enable retention.ms
retention.bytes log.retention.hours log.retention.minutes log.retention.ms cleanup.policy message.max.bytes
max.message.bytes max.request.size max.partition.fetch.bytes fetch.max.bytes batch.size linger.ms compression.type
num.partitions auto.create.topics.enable advertised.listeners listeners key.serializer value.serializer
key.deserializer value.deserializer schema.registry.url partitioner.class vm.max_map_count
""".split()
_RABBIT_KEYS = """
prefetch_count consumer_timeout publisher_confirms delivery_mode durable mandatory alternate-exchange x-queue-type
x-dead-letter-exchange x-dead-letter-routing-key x-delivery-limit x-max-length x-max-length-bytes x-overflow
x-message-ttl x-expires x-single-active-consumer x-quorum-initial-group-size expiration dead-letter-strategy auto_ack
""".split()
_SQS_KEYS = """
VisibilityTimeout ReceiveMessageWaitTimeSeconds MessageRetentionPeriod MaximumMessageSize DelaySeconds FifoQueue
ContentBasedDeduplication RedrivePolicy RedrivePolicy.maxReceiveCount RedrivePolicy.deadLetterTargetArn
FifoThroughputLimit DeduplicationScope MaxNumberOfMessages QueueUrl QueueName
""".split()
_NATS_KEYS = """
ack_wait max_deliver max_ack_pending ack_policy deliver_policy durable_name retention max_age max_msgs max_bytes
discard num_replicas max_payload
""".split()
_PULSAR_KEYS = """
subscriptionType ackTimeoutMillis backlogQuota.policy retentionTimeInMinutes retentionSizeInMB
negativeAckRedeliveryDelay
""".split()
_REDIS_KEYS = "MAXLEN MINID NOACK".split()
_ANY_KEYS = "compatibility".split()

KEY_BROKERS: dict[str, str] = {
    **{k: "kafka" for k in _KAFKA_KEYS},
    **{k: "rabbitmq" for k in _RABBIT_KEYS},
    **{k: "sqs" for k in _SQS_KEYS},
    **{k: "nats_jetstream" for k in _NATS_KEYS},
    **{k: "pulsar" for k in _PULSAR_KEYS},
    **{k: "redis_streams" for k in _REDIS_KEYS},
    **{k: "any" for k in _ANY_KEYS},
}
"""Canonical configuration keys this module knows, with the broker whose style they are."""

KNOWN_KEYS: frozenset[str] = frozenset(KEY_BROKERS)

# Different names for the same setting (squashed alias -> canonical key). Only genuine synonyms across clients,
# consoles and policy syntaxes; RabbitMQ policy keys (x- argument without the prefix) are derived automatically.
_ALIASES: dict[str, str] = {
    "requestrequiredacks": "acks",  # librdkafka / kcat
    "defaultvisibilitytimeout": "VisibilityTimeout",  # SQS console label
    "waittimeseconds": "ReceiveMessageWaitTimeSeconds",  # ReceiveMessage parameter with the same effect
    "prefetch": "prefetch_count",
    "basicqos": "prefetch_count",
    "qos": "prefetch_count",
    "prefetchcount": "prefetch_count",
    "consumertimeout": "consumer_timeout",
    "confirmselect": "publisher_confirms",
    "confirmdelivery": "publisher_confirms",
    "publisherconfirms": "publisher_confirms",
    "confirms": "publisher_confirms",
    "autoack": "auto_ack",
    "partitions": "num.partitions",
    "partitioncount": "num.partitions",
    "numpartitions": "num.partitions",
    "brokers": "observed.broker_count",
    "brokercount": "observed.broker_count",
    "numbrokers": "observed.broker_count",
    "consumercount": "observed.consumer_count",
    "consumerreplicas": "observed.consumer_count",
    "numconsumers": "observed.consumer_count",
    "consumerinstances": "observed.consumer_count",
    "processingtime": "observed.max_processing_time_ms",
    "processingtimems": "observed.max_processing_time_ms",
    "maxprocessingtime": "observed.max_processing_time_ms",
    "maxprocessingtimems": "observed.max_processing_time_ms",
    "handlerduration": "observed.max_processing_time_ms",
    "taskduration": "observed.max_processing_time_ms",
    "maxdelivery": "max_deliver",
    "maxdeliver": "max_deliver",
    "replicationfactor": "replication.factor",
}

# Unit of each canonical key whose value is a duration or a size.
_MS_KEYS = {
    "max.poll.interval.ms", "session.timeout.ms", "heartbeat.interval.ms", "group.min.session.timeout.ms",
    "group.max.session.timeout.ms", "retention.ms", "log.retention.ms", "delivery.timeout.ms", "linger.ms",
    "auto.commit.interval.ms", "transaction.timeout.ms", "consumer_timeout", "x-message-ttl", "x-expires",
    "expiration", "ackTimeoutMillis", "observed.max_processing_time_ms", "negativeAckRedeliveryDelay",
}
_S_KEYS = {"VisibilityTimeout", "ReceiveMessageWaitTimeSeconds", "MessageRetentionPeriod", "DelaySeconds",
           "observed.max_processing_time_s"}
_NS_KEYS = {"ack_wait", "max_age", "observed.max_processing_time_ns"}
_MIN_KEYS = {"retentionTimeInMinutes", "log.retention.minutes"}
_H_KEYS = {"log.retention.hours"}
_BYTE_KEYS = {"message.max.bytes", "max.message.bytes", "max.request.size", "max.partition.fetch.bytes",
              "fetch.max.bytes", "batch.size", "retention.bytes", "MaximumMessageSize", "x-max-length-bytes",
              "max_bytes", "max_payload"}
_UNIT_OF: dict[str, str] = {
    **{k: "ms" for k in _MS_KEYS}, **{k: "s" for k in _S_KEYS}, **{k: "ns" for k in _NS_KEYS},
    **{k: "min" for k in _MIN_KEYS}, **{k: "h" for k in _H_KEYS}, **{k: "bytes" for k in _BYTE_KEYS},
}
_MS_PER = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1000.0, "min": 60_000.0, "h": 3_600_000.0, "d": 86_400_000.0}
_DURATION_RE = re.compile(
    r"^~?\s*(-?\d+(?:\.\d+)?)\s*(ns|nanoseconds?|us|µs|microseconds?|ms|millis(?:econds?)?|s|secs?|seconds?|"
    r"m|mins?|minutes?|h|hrs?|hours?|d|days?)$",
    re.IGNORECASE,
)
_SIZE_RE = re.compile(r"^(\d+(?:\.\d+)?)\s*(b|bytes?|kb|kib|k|mb|mib|m|gb|gib|g)$", re.IGNORECASE)
_SIZE_MULT = {"b": 1, "byte": 1, "bytes": 1, "kb": 1000, "k": 1024, "kib": 1024, "mb": 1_000_000, "m": 1_048_576,
              "mib": 1_048_576, "gb": 1_000_000_000, "g": 1_073_741_824, "gib": 1_073_741_824}

_DLQ_PREFIXES = {"dlq", "deadletterqueue", "deadletter", "dlqqueue"}
_SOURCE_PREFIXES = {"source", "sourcequeue", "mainqueue", "main"}
_ENV_PREFIXES = ("KAFKA_CFG_", "SPRING_KAFKA_CONSUMER_PROPERTIES_", "SPRING_KAFKA_PRODUCER_PROPERTIES_",
                 "SPRING_KAFKA_CONSUMER_", "SPRING_KAFKA_PRODUCER_", "KAFKA_", "RABBITMQ_")


def squash(key: str) -> str:
    """Lower case with every non-alphanumeric character removed: the spelling-insensitive form of a key."""
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _unit_name(unit: str) -> str:
    u = unit.lower()
    if u in ("ns",) or u.startswith("nano"):
        return "ns"
    if u in ("us", "µs") or u.startswith("micro"):
        return "us"
    if u == "ms" or u.startswith("milli"):
        return "ms"
    if u in ("s", "sec", "secs") or u.startswith("second"):
        return "s"
    if u in ("m", "min", "mins") or u.startswith("minute"):
        return "min"
    if u in ("h", "hr", "hrs") or u.startswith("hour"):
        return "h"
    return "d"


def parse_duration_ms(text: str) -> float | None:
    """``'30s'`` -> 30000.0, ``'~7 minutes'`` -> 420000.0; ``None`` when ``text`` has no unit."""
    m = _DURATION_RE.match(text.strip())
    if m is None:
        return None
    return float(m.group(1)) * _MS_PER[_unit_name(m.group(2))]


# --------------------------------------------------------------------------------------------------------------
# Parsed configuration
# --------------------------------------------------------------------------------------------------------------

ConfigValue = str | bool | int | float


class ConfigEntry(BaseModel):
    """One setting as read from the user's configuration."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(description="Canonical key (the knowledge base's spelling) or the user's key when unknown")
    original_key: str = Field(description="The key as the user wrote it (dotted path for nested input)")
    value: ConfigValue = Field(description="Value in the canonical unit of the key (ms, s, ns, bytes...)")
    raw: str = Field(description="The value as written")
    note: str | None = Field(default=None, description="How the key or value was interpreted, when not verbatim")

    def quote(self) -> str:
        return f"{self.original_key}={self.raw}"


class ParsedConfig(BaseModel):
    """The user's configuration, flattened."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["object", "json", "yaml", "properties", "empty"]
    entries: list[ConfigEntry] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)

    def flat(self) -> dict[str, ConfigValue]:
        """Canonical key -> value (first occurrence wins)."""
        out: dict[str, ConfigValue] = {}
        for e in self.entries:
            out.setdefault(e.key, e.value)
        return out

    def entry(self, key: str) -> ConfigEntry | None:
        for e in self.entries:
            if e.key == key:
                return e
        return None

    def quote(self, key: str) -> str | None:
        e = self.entry(key)
        return e.quote() if e is not None else None

    def __bool__(self) -> bool:  # pragma: no cover - convenience
        return bool(self.entries)


def _key_index(extra_keys: Iterable[str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for key in [*KNOWN_KEYS, *extra_keys]:
        index.setdefault(squash(key), key)
        if key.startswith("x-"):  # RabbitMQ policy keys are the argument names without the x- prefix
            index.setdefault(squash(key[2:]), key)
    for alias, key in _ALIASES.items():
        index.setdefault(alias, key)
    return index


def _flatten(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(obj, Mapping):
        if not obj and prefix:
            out.append((prefix, "{}"))
        for k, v in obj.items():
            out.extend(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list):
        if all(not isinstance(v, (Mapping, list)) for v in obj):
            out.append((prefix, ",".join(str(v) for v in obj)))
        else:
            for i, v in enumerate(obj):
                out.extend(_flatten(v, f"{prefix}[{i}]"))
    else:
        out.append((prefix, obj))
    return out


def _clean_raw(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value).strip()


def _strip_remark(text: str) -> str:
    """``'true (default)'`` -> ``'true'``; quotes removed."""
    t = re.sub(r"\s*\([^)]*\)\s*$", "", text).strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'":
        t = t[1:-1]
    return t


def _coerce(key: str, raw: Any) -> tuple[ConfigValue, str | None]:
    """Value in the key's canonical unit, plus a note when converted."""
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, (int, float)):
        if key == "ack_wait" and 0 < raw < 1000:
            return raw * 1e9, f"{raw} read as seconds (ack_wait is in nanoseconds in the JetStream API)"
        return raw, None
    text = _strip_remark(_clean_raw(raw))
    low = text.lower()
    if low in ("true", "false", "yes", "no", "on", "off") and key not in ("acks",):
        return low in ("true", "yes", "on"), None
    num = _number(text)
    if num is not None:
        if key == "ack_wait" and 0 < num < 1000:
            return num * 1e9, f"{text} read as seconds (ack_wait is in nanoseconds in the JetStream API)"
        return num, None
    unit = _UNIT_OF.get(re.sub(r"^(dlq|source)\.", "", key))
    if unit in ("ms", "s", "ns", "min", "h"):
        ms = parse_duration_ms(text)
        if ms is not None:
            factor = {"ms": 1.0, "s": 1000.0, "ns": 1e-6, "min": 60_000.0, "h": 3_600_000.0}[unit]
            val = ms / factor
            val = int(val) if float(val).is_integer() else val
            return val, f"{text} converted to {unit}"
    if unit == "bytes":
        m = _SIZE_RE.match(text)
        if m:
            val = int(float(m.group(1)) * _SIZE_MULT[m.group(2).lower()])
            return val, f"{text} converted to bytes"
    if text.startswith("~"):
        num = _number(text[1:])
        if num is not None:
            return num, None
    return text, None


def _number(text: str) -> int | float | None:
    t = text.strip().replace("_", "")
    if re.fullmatch(r"-?\d+", t):
        return int(t)
    if re.fullmatch(r"-?\d+\.\d+", t):
        return float(t)
    return None


def _candidates(key: str) -> list[str]:
    """Spellings to try for ``key``, most specific first."""
    key = key.strip()
    cands: list[str] = []
    words = key.split()
    if len(words) > 1:  # 'broker message.max.bytes'
        cands.append(key)
        key = words[-1]
    if re.fullmatch(r"[A-Z0-9_]+", key) and "_" in key:  # environment-variable style
        for pre in _ENV_PREFIXES:
            if key.startswith(pre):
                cands.append(key[len(pre):].lower().replace("_", "."))
                break
    parts = re.split(r"\.(?![^\[]*\])", key)
    parts = [re.sub(r"\[\d+\]$", "", p) for p in parts]
    for i in range(len(parts)):
        cands.append(".".join(parts[i:]))
    return cands


def _canonical(key: str, index: Mapping[str, str]) -> tuple[str, bool]:
    segs = key.split(".")
    prefix = ""
    if len(segs) > 1 and squash(segs[0]) in _DLQ_PREFIXES:
        prefix, key = "dlq.", ".".join(segs[1:])
    elif len(segs) > 1 and squash(segs[0]) in _SOURCE_PREFIXES:
        prefix, key = "source.", ".".join(segs[1:])
    for cand in _candidates(key):
        hit = index.get(squash(cand))
        if hit is not None:
            if prefix and hit.startswith(("dlq.", "source.")):
                return hit, True
            return prefix + hit, True
    return prefix + key, False


def _looks_like_properties(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith(("#", "!"))]
    if not lines:
        return False
    eq = sum(1 for ln in lines if re.match(r"^\s*[^\s=:{}\[\]]+\s*=", ln))
    return eq >= max(1, len(lines) // 2)


def _parse_properties(text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for ln in text.splitlines():
        s = ln.strip()
        if not s or s.startswith(("#", "!", "//")):
            continue
        m = re.match(r"^([^=:]+?)\s*[=:]\s*(.*)$", s)
        if m:
            out.append((m.group(1).strip(), m.group(2).strip()))
    return out


def parse_config(config: str | Mapping[str, Any] | None, known_keys: Iterable[str] = ()) -> ParsedConfig:
    """Flatten and canonicalise a configuration given as text (properties, YAML, JSON) or as an object.

    ``known_keys`` adds canonical keys (e.g. every key the knowledge base's conditions test) to the built-in list.
    Never raises on malformed text: unreadable input comes back with ``problems``.
    """
    if config is None:
        return ParsedConfig(format="empty")
    problems: list[str] = []
    pairs: list[tuple[str, Any]]
    fmt: Literal["object", "json", "yaml", "properties", "empty"]
    if isinstance(config, Mapping):
        fmt, pairs = "object", _flatten(config)
    else:
        text = str(config).strip()
        if not text:
            return ParsedConfig(format="empty")
        data: Any = None
        fmt = "json"
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, (Mapping, list)):
            if _looks_like_properties(text):
                fmt, data = "properties", None
            else:
                fmt = "yaml"
                try:
                    data = yaml.safe_load(text)
                except yaml.YAMLError as exc:
                    problems.append(f"config is not valid YAML/JSON ({getattr(exc, 'problem', exc)}); "
                                    "read as properties")
                    data = None
                if not isinstance(data, (Mapping, list)):
                    fmt, data = "properties", None
        if data is None:
            pairs = _parse_properties(text)
            if not pairs:
                problems.append("no 'key=value' or 'key: value' settings could be read from the config text")
        else:
            pairs = _flatten(data)
    index = _key_index(known_keys)
    entries: list[ConfigEntry] = []
    for original, raw in pairs:
        if not original:
            continue
        key, known = _canonical(original, index)
        value, note = _coerce(key, raw)
        if key.startswith("observed.max_processing_time") and isinstance(value, str):
            ms = parse_duration_ms(_strip_remark(value))
            if ms is not None:
                value, note = ms, f"{value} converted to ms"
        if known and key != original and note is None:
            note = f"read as {key}"
        elif known and key != original:
            note = f"read as {key}; {note}"
        entries.append(ConfigEntry(key=key, original_key=original, value=value, raw=_clean_raw(raw), note=note))
        # Expand JSON-valued SQS policies (RedrivePolicy is a JSON string in the attribute API).
        if isinstance(value, str) and value.startswith("{") and key.endswith(("RedrivePolicy", "RedriveAllowPolicy")):
            try:
                sub = json.loads(value)
            except ValueError:
                sub = None
            if isinstance(sub, Mapping):
                for k, v in sub.items():
                    ck = f"{key}.{k}"
                    cv, cnote = _coerce(ck, v)
                    entries.append(ConfigEntry(key=ck, original_key=f"{original}.{k}", value=cv, raw=_clean_raw(v),
                                               note=cnote or "expanded from the RedrivePolicy JSON"))
    # A queue named *.fifo is a FIFO queue even when FifoQueue is not listed.
    keys = {e.key for e in entries}
    if "FifoQueue" not in keys:
        for e in entries:
            if e.key in ("QueueUrl", "QueueName") and isinstance(e.value, str) and e.value.endswith(".fifo"):
                entries.append(ConfigEntry(key="FifoQueue", original_key=e.original_key, value=True, raw=e.raw,
                                           note="the queue name ends in .fifo"))
                break
    # Processing time in other units for the conditions that compare against seconds / nanoseconds.
    pt = next((e for e in entries if e.key == "observed.max_processing_time_ms"), None)
    if pt is not None and isinstance(pt.value, (int, float)):
        for k, f in (("observed.max_processing_time_s", 1e-3), ("observed.max_processing_time_ns", 1e6)):
            if k not in keys:
                entries.append(ConfigEntry(key=k, original_key=pt.original_key, value=pt.value * f, raw=pt.raw,
                                           note=f"derived from {pt.original_key}"))
    return ParsedConfig(format=fmt, entries=entries, problems=problems)


# --------------------------------------------------------------------------------------------------------------
# Metrics model
# --------------------------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class GroupPartitionOffsets(_Strict):
    """Committed and log-end offsets of one partition over time (core/lag.py's OffsetSample)."""

    group: str | None = Field(default=None, description="Consumer group; partitions without one form group 'default'")
    topic: str
    partition: int
    samples: list[OffsetSample] = Field(min_length=1)


class DepthSample(_Strict):
    timestamp_ms: int
    depth: float = Field(validation_alias=AliasChoices("depth", "value", "count"))


class DepthSeries(_Strict):
    """Queue depth over time (RabbitMQ messages_ready, SQS ApproximateNumberOfMessagesVisible, NATS num_pending...)."""

    name: str | None = None
    samples: list[DepthSample] = Field(min_length=1)


class CountSample(_Strict):
    timestamp_ms: int
    value: float = Field(validation_alias=AliasChoices("value", "count", "depth", "age_ms"))


class CountSeries(_Strict):
    """A gauge over time: unacknowledged count, DLQ depth, oldest-message age (ms), consumer count."""

    name: str | None = None
    samples: list[CountSample] = Field(min_length=1)


class RedeliverySample(_Strict):
    timestamp_ms: int
    redelivered: int = Field(ge=0, description="Messages delivered again (redelivered flag / receive count > 1)")
    delivered: int | None = Field(default=None, ge=0, description="All deliveries in the same interval")


class RedeliverySeries(_Strict):
    name: str | None = None
    samples: list[RedeliverySample] = Field(default_factory=list)
    max_delivery_count: int | None = Field(
        default=None, ge=0,
        description="Highest delivery count seen for one message (x-delivery-count, ApproximateReceiveCount, "
        "num_delivered, XPENDING counter, redeliveryCount)",
    )


class ProcessingTime(_Strict):
    """How long the consumer takes. ``scope`` says whether one sample is one message or one poll batch."""

    scope: Literal["message", "batch"] = "message"
    samples_ms: list[float] = Field(default_factory=list)
    max_ms: float | None = Field(default=None, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            return {"max_ms": data}
        if isinstance(data, list):
            return {"samples_ms": data}
        return data

    @property
    def worst_ms(self) -> float | None:
        vals = list(self.samples_ms) + ([self.max_ms] if self.max_ms is not None else [])
        return max(vals) if vals else None

    @property
    def mean_ms(self) -> float | None:
        return mean(self.samples_ms) if self.samples_ms else self.max_ms


class RebalanceEvent(_Strict):
    timestamp_ms: int
    group: str | None = None
    generation: int | None = None
    reason: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, int) and not isinstance(data, bool):
            return {"timestamp_ms": data}
        return data


class Metrics(_Strict):
    """Metric samples a user can give ``diagnose_issue``. Every field is optional."""

    consumer_group_offsets: list[GroupPartitionOffsets] = Field(
        default_factory=list, description="Per partition: committed and log-end offsets over time (Kafka-style lag)"
    )
    queue_depths: list[DepthSeries] = Field(default_factory=list, description="Ready/visible backlog over time")
    unacked_counts: list[CountSeries] = Field(default_factory=list, description="Delivered but unacked over time")
    dlq_depths: list[CountSeries] = Field(default_factory=list, description="Dead-letter queue depth over time")
    oldest_message_age_ms: list[CountSeries] = Field(default_factory=list, description="Age of the oldest message")
    consumer_counts: list[CountSeries] = Field(default_factory=list, description="Attached consumers over time")
    redelivery_counts: list[RedeliverySeries] = Field(default_factory=list)
    processing_time_ms: ProcessingTime | None = None
    rebalances: list[RebalanceEvent] = Field(default_factory=list, description="Consumer-group rebalance events")
    broker_count: int | None = Field(default=None, ge=0, description="Live brokers in the cluster")
    lag_evaluation: LagEvaluationConfig | None = Field(default=None, description="Burrow evaluator settings")

    def is_empty(self) -> bool:
        return not any([
            self.consumer_group_offsets, self.queue_depths, self.unacked_counts, self.dlq_depths,
            self.oldest_message_age_ms, self.consumer_counts, self.redelivery_counts, self.processing_time_ms,
            self.rebalances, self.broker_count is not None,
        ])


# --------------------------------------------------------------------------------------------------------------
# Metric patterns
# --------------------------------------------------------------------------------------------------------------

JUDGEMENT = "threshold is a judgement, not a documented figure"
PARTITIONS_URL = "https://www.confluent.io/blog/how-choose-number-topics-partitions-kafka-cluster/"
VISIBILITY_URL = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html"


class ObservedPattern(BaseModel):
    """A named metric pattern seen in the samples, with the numbers behind it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    detail: str
    judgement: bool = Field(default=False, description="True when the threshold used is a judgement call")
    source: str | None = None


def _series(values: list[tuple[int, float]]) -> list[float]:
    return [v for _, v in sorted(values, key=lambda x: x[0])]


def _growing(vals: list[float]) -> bool:
    """At least 3 samples, last above first, and more rises than falls."""
    if len(vals) < 3 or vals[-1] <= vals[0]:
        return False
    ups = sum(1 for a, b in zip(vals, vals[1:]) if b > a)
    downs = sum(1 for a, b in zip(vals, vals[1:]) if b < a)
    return ups > downs


def _fmt(v: float) -> str:
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


def compute_metric_patterns(
    metrics: Metrics | None,
    lag_groups: list[GroupLagResult],
    config: Mapping[str, Any],
    broker: str | None,
    processing_time_ms: float | None = None,
) -> list[ObservedPattern]:
    """Named patterns (see METRIC_PATTERNS) that the samples show. Patterns that cannot be computed are absent."""
    out: list[ObservedPattern] = []
    m = metrics or Metrics()

    # ---- consumer-group lag (Burrow statuses)
    parts = [p for g in lag_groups for p in g.partitions]
    committed = [p for p in parts if p.status != "NOT_COMMITTED"]
    by_status: dict[str, list[str]] = {}
    for p in parts:
        by_status.setdefault(p.status, []).append(f"{p.topic}:{p.partition}")
    if by_status.get("WARNING"):
        out.append(ObservedPattern(name="lag_growing", detail=f"Burrow WARNING (lag never decreased while offsets "
                                   f"advanced) on {', '.join(by_status['WARNING'][:5])}",
                                   source="https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules"))
    stalled = by_status.get("STALL", []) + by_status.get("STOP", [])
    if stalled:
        kinds = "/".join(s for s in ("STALL", "STOP") if by_status.get(s))
        out.append(ObservedPattern(name="lag_stalled", detail=f"Burrow {kinds} (committed offset not moving while "
                                   f"lag > 0) on {', '.join(stalled[:5])}",
                                   source="https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules"))
    if by_status.get("REWIND"):
        out.append(ObservedPattern(name="lag_rewind", detail=f"Burrow REWIND (committed offset moved backwards) on "
                                   f"{', '.join(by_status['REWIND'][:5])}",
                                   source="https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules"))
    if committed and all(p.status == "OK" for p in committed) and any(
        c.rule in ("current_lag", "zero_lag_in_window") and c.outcome == "triggered"
        for p in committed for c in p.checks
    ):
        out.append(ObservedPattern(name="lag_zero", detail="every committed partition is OK and lag is zero (or "
                                   "returned to zero) within the window",
                                   source="https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules"))
    for series in m.consumer_group_offsets:
        commits = sorted((s for s in series.samples if s.committed_offset is not None), key=lambda s: s.timestamp_ms)
        lags = [max(0, s.log_end_offset - (s.committed_offset or 0)) for s in commits]
        for i in range(2, len(commits)):
            before = lags[:i]
            if lags[i] == 0 and before[-1] > 0 and all(b >= a for a, b in zip(before, before[1:])):
                out.append(ObservedPattern(
                    name="lag_jumps_to_zero", judgement=True,
                    detail=f"{series.topic}:{series.partition}: lag rose or held at {_fmt(before[-1])} and then fell "
                    f"to 0 in one step (offset {commits[i - 1].committed_offset} -> {commits[i].committed_offset}); "
                    f"'a backlog that vanishes in one step' is a heuristic ({JUDGEMENT})"))
                break
        else:
            continue
        break
    if len(committed) >= 3:
        total = sum(p.current_lag for p in committed)
        top = max(committed, key=lambda p: p.current_lag)
        if total > 0 and top.current_lag > total / 2:
            out.append(ObservedPattern(
                name="one_partition_hot", judgement=True,
                detail=f"{top.topic}:{top.partition} holds {top.current_lag} of the total lag {total} across "
                f"{len(committed)} partitions (more than half; {JUDGEMENT})"))

    # ---- queue gauges
    def grow(series_list: list[Any], attr: str, name: str, what: str) -> None:
        for s in series_list:
            vals = _series([(x.timestamp_ms, getattr(x, attr)) for x in s.samples])
            if _growing(vals):
                label = f" {s.name!r}" if s.name else ""
                out.append(ObservedPattern(name=name, detail=f"{what}{label} rose from {_fmt(vals[0])} to "
                                           f"{_fmt(vals[-1])} over {len(vals)} samples"))
                return

    grow(m.queue_depths, "depth", "queue_depth_growing", "queue depth")
    grow(m.unacked_counts, "value", "unacked_growing", "unacknowledged count")
    grow(m.dlq_depths, "value", "dlq_growing", "dead-letter depth")
    grow(m.oldest_message_age_ms, "value", "oldest_message_age_growing", "oldest message age (ms)")

    limit_key = next((k for k in ("prefetch_count", "max_ack_pending") if k in config), None)
    if limit_key is not None:
        try:
            limit = float(config[limit_key])
        except (TypeError, ValueError):
            limit = None
        for s in m.unacked_counts:
            vals = _series([(x.timestamp_ms, x.value) for x in s.samples])
            if limit and len(vals) >= 3 and vals[-3:] == [limit] * 3:
                out.append(ObservedPattern(name="unacked_at_limit", detail=f"unacknowledged count flat at "
                                           f"{_fmt(limit)} = {limit_key} for the last 3 samples"))
                break

    for s in m.consumer_counts:
        vals = _series([(x.timestamp_ms, x.value) for x in s.samples])
        if vals and vals[-1] == 0:
            out.append(ObservedPattern(name="consumer_count_zero", detail=f"consumer count is 0 in the latest sample"
                                       f"{' of ' + repr(s.name) if s.name else ''}"))
            break
    consumers = config.get("observed.consumer_count")
    partitions = config.get("num.partitions")
    if isinstance(consumers, (int, float)) and isinstance(partitions, (int, float)) and consumers > partitions:
        out.append(ObservedPattern(name="consumers_exceed_partitions",
                                   detail=f"{_fmt(consumers)} consumers for {_fmt(partitions)} partition(s)",
                                   source=PARTITIONS_URL))

    # ---- redeliveries (heuristic thresholds)
    for s in m.redelivery_counts:
        red = sum(x.redelivered for x in s.samples)
        dels = [x.delivered for x in s.samples if x.delivered is not None]
        if dels and sum(dels) > 0 and red / sum(dels) >= 0.1:
            out.append(ObservedPattern(name="redelivery_count_high", judgement=True,
                                       detail=f"{red} of {sum(dels)} deliveries were redeliveries "
                                       f"({red / sum(dels):.0%} >= 10%; {JUDGEMENT})"))
        elif s.max_delivery_count is not None and s.max_delivery_count >= 3:
            out.append(ObservedPattern(name="redelivery_count_high", judgement=True,
                                       detail=f"a message was delivered {s.max_delivery_count} times (>= 3; "
                                       f"{JUDGEMENT})"))
        if s.max_delivery_count is not None and s.max_delivery_count >= 5:
            out.append(ObservedPattern(name="same_message_redelivered", judgement=True,
                                       detail=f"one message was delivered {s.max_delivery_count} times (>= 5; "
                                       f"{JUDGEMENT})"))
        if any(p.name == "redelivery_count_high" for p in out):
            break

    # ---- rebalances (>= 3 within 10 minutes: heuristic)
    stamps = sorted(r.timestamp_ms for r in m.rebalances)
    for i in range(len(stamps) - 2):
        if stamps[i + 2] - stamps[i] <= 600_000:
            out.append(ObservedPattern(name="rebalance_frequent", judgement=True,
                                       detail=f"{len(stamps)} rebalances, 3 of them within "
                                       f"{(stamps[i + 2] - stamps[i]) / 1000:g} s (>= 3 in 10 min; {JUDGEMENT})"))
            break

    # ---- processing time against poll interval / ack deadlines
    pt = m.processing_time_ms
    worst = pt.worst_ms if pt else None
    scope = pt.scope if pt else "message"
    if worst is None and processing_time_ms is not None:
        worst, scope = processing_time_ms, "message"
    if worst is not None:
        if broker in (None, "kafka"):
            interval = _num(config.get("max.poll.interval.ms"))
            src_int = "configured"
            if interval is None:
                interval, src_int = 300_000.0, "default"
            records = _num(config.get("max.poll.records"))
            if scope == "batch" or worst > interval:
                if worst > interval:
                    out.append(ObservedPattern(
                        name="processing_time_over_poll_interval",
                        detail=f"{'batch' if scope == 'batch' else 'one message'} took {worst / 1000:g} s > "
                        f"max.poll.interval.ms {_fmt(interval)} ({src_int})",
                        source="https://kafka.apache.org/documentation/#consumerconfigs_max.poll.interval.ms"))
            else:
                per = (pt.mean_ms if pt and pt.mean_ms is not None else worst)
                n = records if records is not None else 500.0
                if per * n > interval:
                    out.append(ObservedPattern(
                        name="processing_time_over_poll_interval",
                        detail=f"estimated batch time {per / 1000:g} s x {_fmt(n)} records "
                        f"({'max.poll.records' if records is not None else 'default max.poll.records'}) = "
                        f"{per * n / 1000:g} s > max.poll.interval.ms {_fmt(interval)} ({src_int})",
                        source="https://kafka.apache.org/documentation/#consumerconfigs_max.poll.records"))
        deadlines = _ack_deadlines(config, broker)
        per_msg = worst if scope == "message" else None
        if per_msg is not None:
            for label, limit_ms, src in deadlines:
                if per_msg > limit_ms:
                    out.append(ObservedPattern(
                        name="processing_time_over_ack_timeout",
                        detail=f"one message takes {per_msg / 1000:g} s > {label} ({limit_ms / 1000:g} s)",
                        source=src))
                    break
    return out


def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        n = _number(v)
        return float(n) if n is not None else None
    return None


def _ack_deadlines(config: Mapping[str, Any], broker: str | None) -> list[tuple[str, float, str]]:
    """(label, deadline in ms, source) for each broker ack deadline that applies."""
    out: list[tuple[str, float, str]] = []
    vt = _num(config.get("VisibilityTimeout"))
    if vt is not None:
        out.append((f"VisibilityTimeout {_fmt(vt)} s",
                    vt * 1000, VISIBILITY_URL))
    elif broker == "sqs":
        out.append(("the default VisibilityTimeout 30 s", 30_000.0, VISIBILITY_URL))
    aw = _num(config.get("ack_wait"))
    if aw is not None:
        out.append((f"ack_wait {aw / 1e9:g} s", aw / 1e6, "https://docs.nats.io/nats-concepts/jetstream/consumers"))
    ct = _num(config.get("consumer_timeout"))
    if ct is not None:
        out.append((f"consumer_timeout {_fmt(ct)} ms", ct,
                    "https://www.rabbitmq.com/docs/consumers#acknowledgement-timeout"))
    elif broker == "rabbitmq":
        out.append(("the default consumer_timeout 1800000 ms (30 min)", 1_800_000.0,
                    "https://www.rabbitmq.com/docs/consumers#acknowledgement-timeout"))
    at = _num(config.get("ackTimeoutMillis"))
    if at is not None and at > 0:
        out.append((f"ackTimeoutMillis {_fmt(at)}", at, "https://pulsar.apache.org/docs/concepts-messaging"))
    return out

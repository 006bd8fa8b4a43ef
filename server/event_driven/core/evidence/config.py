"""Configuration as users paste it: properties, YAML, JSON or an object, flattened to the knowledge base's keys.

:func:`parse_config` returns a :class:`ParsedConfig`: one :class:`ConfigEntry` per setting, nested YAML/JSON
flattened to dotted keys. Keys are mapped to the canonical names the knowledge base uses (``enable.auto.commit``,
``x-dead-letter-exchange``, ``VisibilityTimeout``, ``ack_wait`` ...) by comparing "squashed" spellings (lower case,
punctuation removed), so client-library variants match: ``enable_auto_commit`` (kafka-python), ``EnableAutoCommit``
(.NET), ``spring.kafka.consumer.enable-auto-commit`` (Spring), ``KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR`` (Docker
env), RabbitMQ policy keys (``dead-letter-exchange`` for ``x-dead-letter-exchange``), Go NATS fields (``AckWait``).
A small alias table covers genuinely different names for the same setting (librdkafka ``request.required.acks``,
the SQS console's ``DefaultVisibilityTimeout``, ``WaitTimeSeconds``). SQS ``RedrivePolicy`` JSON strings are
expanded; ``dlq.`` / ``source.`` prefixes mark the dead-letter and source queue. Durations and sizes written with
units (``30s``, ``10MB``) are converted to the unit of the canonical key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

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
key.deserializer value.deserializer schema.registry.url partitioner.class vm.max_map_count CommitInterval
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
discard num_replicas max_payload inactive_threshold
""".split()
_PULSAR_KEYS = """
subscriptionType ackTimeoutMillis backlogQuota.policy retentionTimeInMinutes retentionSizeInMB
negativeAckRedeliveryDelay maxRedeliverCount allowOutOfOrderDelivery
""".split()
_REDIS_KEYS = """
MAXLEN MINID NOACK min_idle_time processingTimeout redeliverInterval removeOnComplete removeOnFail
""".split()
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
    "minidle": "min_idle_time",
    "minidletime": "min_idle_time",
    "minidletimems": "min_idle_time",
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
    "min_idle_time", "processingTimeout", "redeliverInterval",
}
_S_KEYS = {"VisibilityTimeout", "ReceiveMessageWaitTimeSeconds", "MessageRetentionPeriod", "DelaySeconds",
           "observed.max_processing_time_s"}
_NS_KEYS = {"ack_wait", "max_age", "inactive_threshold", "observed.max_processing_time_ns", "CommitInterval"}
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


ConfigFormat = Literal["object", "json", "yaml", "properties", "empty"]


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

    format: ConfigFormat
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


def _read_text(text: str, problems: list[str]) -> tuple[ConfigFormat, list[tuple[str, Any]]]:
    data: Any = None
    fmt: ConfigFormat = "json"
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
                problems.append(f"config is not valid YAML/JSON ({getattr(exc, 'problem', exc)}); read as properties")
                data = None
            if not isinstance(data, (Mapping, list)):
                fmt, data = "properties", None
    if data is not None:
        return fmt, _flatten(data)
    pairs = _parse_properties(text)
    if not pairs:
        problems.append("no 'key=value' or 'key: value' settings could be read from the config text")
    return fmt, pairs


def _entry(original: str, raw: Any, index: Mapping[str, str]) -> ConfigEntry:
    key, known = _canonical(original, index)
    value, note = _coerce(key, raw)
    if key.startswith("observed.max_processing_time") and isinstance(value, str):
        ms = parse_duration_ms(_strip_remark(value))
        if ms is not None:
            value, note = ms, f"{value} converted to ms"
    if known and key != original:
        note = f"read as {key}" if note is None else f"read as {key}; {note}"
    return ConfigEntry(key=key, original_key=original, value=value, raw=_clean_raw(raw), note=note)


def _expanded_policy(entry: ConfigEntry) -> list[ConfigEntry]:
    """JSON-valued SQS policies (RedrivePolicy is a JSON string in the attribute API), one entry per field."""
    value, key = entry.value, entry.key
    if not (isinstance(value, str) and value.startswith("{") and key.endswith(("RedrivePolicy", "RedriveAllowPolicy"))):
        return []
    try:
        sub = json.loads(value)
    except ValueError:
        return []
    if not isinstance(sub, Mapping):
        return []
    out: list[ConfigEntry] = []
    for k, v in sub.items():
        ck = f"{key}.{k}"
        cv, cnote = _coerce(ck, v)
        out.append(ConfigEntry(key=ck, original_key=f"{entry.original_key}.{k}", value=cv, raw=_clean_raw(v),
                               note=cnote or "expanded from the RedrivePolicy JSON"))
    return out


def _derived(entries: list[ConfigEntry]) -> list[ConfigEntry]:
    """Entries implied by others: a queue named *.fifo is FIFO; processing time in seconds and nanoseconds."""
    keys = {e.key for e in entries}
    out: list[ConfigEntry] = []
    if "FifoQueue" not in keys:
        for e in entries:
            if e.key in ("QueueUrl", "QueueName") and isinstance(e.value, str) and e.value.endswith(".fifo"):
                out.append(ConfigEntry(key="FifoQueue", original_key=e.original_key, value=True, raw=e.raw,
                                       note="the queue name ends in .fifo"))
                break
    pt = next((e for e in entries if e.key == "observed.max_processing_time_ms"), None)
    if pt is not None and isinstance(pt.value, (int, float)):
        for k, f in (("observed.max_processing_time_s", 1e-3), ("observed.max_processing_time_ns", 1e6)):
            if k not in keys:
                out.append(ConfigEntry(key=k, original_key=pt.original_key, value=pt.value * f, raw=pt.raw,
                                       note=f"derived from {pt.original_key}"))
    return out


def parse_config(config: str | Mapping[str, Any] | None, known_keys: Iterable[str] = ()) -> ParsedConfig:
    """Flatten and canonicalise a configuration given as text (properties, YAML, JSON) or as an object.

    ``known_keys`` adds canonical keys (e.g. every key the knowledge base's conditions test) to the built-in list.
    Never raises on malformed text: unreadable input comes back with ``problems``.
    """
    if config is None:
        return ParsedConfig(format="empty")
    problems: list[str] = []
    if isinstance(config, Mapping):
        fmt: ConfigFormat = "object"
        pairs = _flatten(config)
    else:
        text = str(config).strip()
        if not text:
            return ParsedConfig(format="empty")
        fmt, pairs = _read_text(text, problems)
    index = _key_index(known_keys)
    entries: list[ConfigEntry] = []
    for original, raw in pairs:
        if original:
            entry = _entry(original, raw, index)
            entries.append(entry)
            entries.extend(_expanded_policy(entry))
    entries.extend(_derived(entries))
    return ParsedConfig(format=fmt, entries=entries, problems=problems)

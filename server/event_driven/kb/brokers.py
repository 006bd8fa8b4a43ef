"""Models for ``knowledge/brokers.yaml``: what each message broker can and cannot do, with the evidence.

The file feeds broker selection and topology planning. Every figure is a :class:`SourcedNumber`; every textual claim
carries a ``source`` URL. Anything the research could not confirm is left ``null`` (or an empty list) and explained in
a ``gap`` / ``gaps`` note instead of being guessed; validators enforce that pairing, so a missing figure can never be
silently mistaken for "no limit".

Shape::

    BrokerKnowledge
      brokers: [Broker]            # one per broker id (kafka, rabbitmq, sqs, ...)
        id, name, summary, model, default_variant
        <profile sections>         # see BrokerProfile
        variants: [BrokerVariant]  # queue types / queue flavours; each may override any profile section

``Broker.profile(variant_id)`` merges a variant's overrides over its broker's sections and returns a
:class:`BrokerProfile`, the flat view a selector or planner should read.

Seed-skill figures (the rough envelopes of the original design doc) are allowed only as ``basis: seed_estimate``,
sourced to the seed repository and labelled "seed skill estimate, not a benchmark".
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import Field, ValidationInfo, model_validator

from event_driven.kb.common import KnowledgeModel, SourcedNumber, SourceUrl, require_unique
from event_driven.kb.sources import SEED_SOURCE_ID, source_url

SEED_NOTE = "seed skill estimate, not a benchmark"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
NonEmptyStr = Annotated[str, Field(min_length=1)]

DeliveryGuarantee = Literal["at_most_once", "at_least_once", "exactly_once"]
DELIVERY_GUARANTEES: tuple[DeliveryGuarantee, ...] = ("at_most_once", "at_least_once", "exactly_once")

SupportLevel = Literal["supported", "not_supported", "unconfirmed"]
"""``unconfirmed``: the research found no source either way; the ``note`` says so."""

OrderingScope = Literal[
    "none",  # no ordering promise at all
    "best_effort",  # usually in order, not guaranteed (SQS standard)
    "per_partition",  # Kafka partition, Pulsar partition, Event Hubs partition
    "per_shard",  # Kinesis shard
    "per_key",  # all messages with one key/ordering key, wherever they land
    "per_message_group",  # SQS FIFO MessageGroupId
    "per_queue",  # one queue, one consumer (RabbitMQ single active consumer)
    "per_stream",  # one stream (NATS JetStream stream, Redis stream key, RabbitMQ stream)
    "per_publisher",  # messages from one publisher, in the order published (NATS Core)
    "per_channel",  # one channel, in the order published (Redis Pub/Sub)
]

BrokerModel = Literal["log", "queue", "hybrid", "pubsub", "ephemeral"]
"""``log``: retained independently of consumption, read by offset. ``queue``: removed once acknowledged.
``hybrid``: offers both (per variant / per retention policy). ``pubsub``: topic fan-out to acknowledged
subscriptions. ``ephemeral``: fire-and-forget fan-out to the subscribers connected at publish time, nothing stored or
acknowledged (NATS Core, Redis Pub/Sub)."""

RetentionModel = Literal["log", "queue", "subscription_backlog", "none"]
"""``none``: nothing is stored; a message reaches only the subscribers connected when it is published."""
ParallelismUnitKind = Literal[
    "partition", "shard", "queue", "message_group", "ordering_key", "consumer", "subscription", "stream"
]
FeatureSupport = Literal["broker_native", "client_library", "application", "none"]
"""Where a capability lives: in the broker, in the official client library, in application/framework code, or
nowhere."""

Complexity = Literal["low", "medium", "high"]
ComplexityBasis = Literal["seed_estimate", "editorial"]
Deployment = Literal["self_hosted", "managed"]
Cloud = Literal["aws", "gcp", "azure", "any"]
EnvelopeBasis = Literal["benchmark", "documented_limit", "rule_of_thumb", "seed_estimate"]

THROUGHPUT_UNITS = frozenset({"msg/s", "MB/s", "MiB/s", "GB/s", "records/s", "events/s", "TPS"})
LATENCY_UNITS = frozenset({"ms"})
RETENTION_UNITS = frozenset({"hours"})
SIZE_UNITS = frozenset({"bytes"})
NAME_LENGTH_UNITS = frozenset({"characters", "bytes"})
DELIVERY_LIMIT_UNITS = frozenset({"deliveries"})


def _require_unit(figure: SourcedNumber | None, allowed: frozenset[str], what: str) -> None:
    if figure is not None and figure.unit not in allowed:
        raise ValueError(f"{what} must be in one of {sorted(allowed)}, got unit {figure.unit!r}")


# --- generic building blocks


class SourcedText(KnowledgeModel):
    """A textual claim and the URL that states it."""

    text: NonEmptyStr
    source: SourceUrl
    see_also: list[SourceUrl] = []
    versions: str | None = None
    note: str | None = None


class NamedFigure(KnowledgeModel):
    """A sourced figure with a name saying what it limits (``write_records_per_shard``, ``dedup_window``...)."""

    name: Identifier
    figure: SourcedNumber


class Disagreement(KnowledgeModel):
    """Two sources disagree; both are recorded rather than one being picked silently."""

    claim: NonEmptyStr
    source: SourceUrl
    note: str | None = None


class Gap(KnowledgeModel):
    """Something asked for but not confirmed. ``field`` is a dotted path within the broker/variant profile."""

    field: NonEmptyStr
    note: NonEmptyStr


# --- performance envelopes


class EnvelopeFigure(KnowledgeModel):
    """One point of a throughput/latency envelope. ``figure.assumptions`` must state hardware, batching, etc."""

    basis: EnvelopeBasis
    figure: SourcedNumber

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> EnvelopeFigure:
        if not (self.figure.assumptions and self.figure.assumptions.strip()):
            raise ValueError("an envelope figure must state its assumptions (figure.assumptions)")
        seed = source_url(SEED_SOURCE_ID, info)
        if self.basis == "seed_estimate":
            if self.figure.source != seed:
                raise ValueError(f"a seed_estimate must be sourced to {SEED_SOURCE_ID}")
            if SEED_NOTE not in (self.figure.note or ""):
                raise ValueError(f"a seed_estimate must carry the note {SEED_NOTE!r}")
        elif self.figure.source == seed:
            raise ValueError("a figure sourced to the seed skill must have basis 'seed_estimate'")
        return self


class _Envelope(KnowledgeModel):
    figures: list[EnvelopeFigure] = []
    caveats: list[SourcedText] = []
    gap: str | None = None

    UNITS: ClassVar[frozenset[str]] = frozenset()
    WHAT: ClassVar[str] = "envelope"

    @model_validator(mode="after")
    def _check(self) -> _Envelope:
        if not self.figures and not (self.gap and self.gap.strip()):
            raise ValueError(f"{self.WHAT}: no figures, so a 'gap' note must say why")
        for item in self.figures:
            _require_unit(item.figure, self.UNITS, f"{self.WHAT} figure")
        return self


class ThroughputEnvelope(_Envelope):
    """Sustained throughput figures, each with its assumptions; empty plus ``gap`` when not sourced.

    ``unbounded`` holds the source's own words when it states no ceiling at all (SQS standard queues: "nearly
    unlimited"), which is different from a ceiling nobody sourced.
    """

    unbounded: SourcedText | None = None

    UNITS: ClassVar[frozenset[str]] = THROUGHPUT_UNITS
    WHAT: ClassVar[str] = "throughput"


class LatencyEnvelope(_Envelope):
    """End-to-end / publish latency figures in ms; empty plus ``gap`` when not sourced."""

    UNITS: ClassVar[frozenset[str]] = LATENCY_UNITS
    WHAT: ClassVar[str] = "latency"


# --- semantics


class OrderingMode(KnowledgeModel):
    """An ordering guarantee and the mechanism that provides it (partition key, MessageGroupId, Key_Shared...)."""

    scope: OrderingScope
    provided_by: NonEmptyStr
    caveats: list[str] = []
    source: SourceUrl
    see_also: list[SourceUrl] = []


class GuaranteeSupport(KnowledgeModel):
    """Whether a delivery guarantee is available and, if so, everything it requires."""

    guarantee: DeliveryGuarantee
    support: SupportLevel
    requires: list[NonEmptyStr] = []
    scope: str | None = Field(default=None, description="Where the guarantee stops, e.g. 'only within Kafka'")
    parameters: list[NamedFigure] = []
    source: SourceUrl | None = None
    see_also: list[SourceUrl] = []
    versions: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> GuaranteeSupport:
        if self.support == "supported":
            if not self.requires:
                raise ValueError(f"{self.guarantee} is marked supported, so 'requires' must list what it needs")
            if self.source is None:
                raise ValueError(f"{self.guarantee} is marked supported, so it needs a 'source'")
        elif self.support == "not_supported":
            if self.source is None:
                raise ValueError(f"{self.guarantee} is marked not_supported, so it needs a 'source'")
        elif not (self.note and self.note.strip()):
            raise ValueError(f"{self.guarantee} is unconfirmed, so a 'note' must say what is missing")
        return self


def _check_guarantee_set(items: list[GuaranteeSupport], where: str) -> None:
    seen = [g.guarantee for g in items]
    require_unique(seen, f"{where}: guarantee listed more than once")
    missing = [g for g in DELIVERY_GUARANTEES if g not in seen]
    if missing:
        raise ValueError(
            f"{where}: every guarantee must be stated (supported/not_supported/unconfirmed); missing {missing}"
        )


# --- retention


class Replay(KnowledgeModel):
    """Can a consumer re-read already-consumed messages, and how (offsets, x-stream-offset, DeliverPolicy, seek...)."""

    supported: bool
    mechanism: str | None = None
    source: SourceUrl
    note: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Replay:
        if self.supported and not self.mechanism:
            raise ValueError("replay is supported, so 'mechanism' must say how")
        return self


class Compaction(KnowledgeModel):
    """Key-based compaction (keep the latest value per key). ``supported: null`` means unconfirmed (see ``gap``)."""

    supported: bool | None
    mechanism: str | None = None
    source: SourceUrl | None = None
    note: str | None = None
    gap: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Compaction:
        if self.supported is None:
            if not (self.gap and self.gap.strip()):
                raise ValueError("compaction support is unknown (null), so a 'gap' note must say so")
        else:
            if self.source is None:
                raise ValueError("a compaction claim needs a 'source'")
            if self.supported and not self.mechanism:
                raise ValueError("compaction is supported, so 'mechanism' must say how")
        return self


class Retention(KnowledgeModel):
    """How long data is kept. ``max_retention`` in hours, or ``unbounded: true`` when it can be kept forever."""

    model: RetentionModel
    max_retention: SourcedNumber | None = None
    unbounded: bool = False
    unbounded_source: SourceUrl | None = None
    unbounded_how: str | None = None
    default_retention: SourcedNumber | None = None
    other_limits: list[NamedFigure] = []
    replay: Replay
    compaction: Compaction
    notes: list[SourcedText] = []
    gaps: list[NonEmptyStr] = []

    @model_validator(mode="after")
    def _check(self) -> Retention:
        if self.model == "none" and (self.unbounded or self.max_retention or self.default_retention
                                     or self.replay.supported):
            raise ValueError("retention model 'none' stores nothing: no retention figures, no replay")
        _require_unit(self.max_retention, RETENTION_UNITS, "max_retention")
        _require_unit(self.default_retention, RETENTION_UNITS, "default_retention")
        if self.unbounded:
            if self.max_retention is not None:
                raise ValueError("retention is either 'unbounded' or has a 'max_retention', not both")
            if self.unbounded_source is None or not self.unbounded_how:
                raise ValueError("unbounded retention needs 'unbounded_source' and 'unbounded_how'")
        elif self.max_retention is None and not self.gaps:
            raise ValueError("no max_retention and not unbounded: add a 'gaps' note explaining why")
        if self.default_retention is None and not self.gaps:
            raise ValueError("no default_retention: add a 'gaps' note explaining why")
        return self


# --- size, DLQ, parallelism, naming


class MessageSize(KnowledgeModel):
    """Largest accepted message. ``history`` holds earlier values (with ``versions``)."""

    max_bytes: SourcedNumber | None
    configurable: bool | None = None
    config_names: list[str] = []
    history: list[SourcedNumber] = []
    related_limits: list[NamedFigure] = []
    disagreements: list[Disagreement] = []
    gap: str | None = None

    @model_validator(mode="after")
    def _check(self) -> MessageSize:
        _require_unit(self.max_bytes, SIZE_UNITS, "max_bytes")
        for old in self.history:
            _require_unit(old, SIZE_UNITS, "history entry")
            if not old.versions:
                raise ValueError("a history entry must say which 'versions' it held for")
        if self.max_bytes is None and not (self.gap and self.gap.strip()):
            raise ValueError("max_bytes is null, so a 'gap' note must say why")
        return self


class DeadLettering(KnowledgeModel):
    """Dead-letter and retry support, the configuration names involved and any default delivery limit."""

    dlq: FeatureSupport
    retry: FeatureSupport
    config_names: list[str] = []
    default_delivery_limit: SourcedNumber | None = None
    parameters: list[NamedFigure] = []
    description: NonEmptyStr
    source: SourceUrl
    see_also: list[SourceUrl] = []
    caveats: list[SourcedText] = []

    @model_validator(mode="after")
    def _check(self) -> DeadLettering:
        _require_unit(self.default_delivery_limit, DELIVERY_LIMIT_UNITS, "default_delivery_limit")
        if self.dlq in ("broker_native", "client_library") and not self.config_names:
            raise ValueError(f"dlq is {self.dlq}, so 'config_names' must name the settings")
        return self


class Parallelism(KnowledgeModel):
    """The unit that bounds consumer parallelism and ordering, with its per-unit limits where sourced.

    ``ordered_unit_limits`` names the ``per_unit_limits`` entries (throughput units) that bound what ONE ordered unit
    carries (a partition, a shard, an ordering key, the partition an SQS message group hashes to); the smallest of them
    applies. Left empty when no source states one unit's rate: cluster-wide or whole-broker figures never stand in for
    one ordered unit, and selection falls back on the project's rule for one ordered channel.
    """

    unit: ParallelismUnitKind
    description: NonEmptyStr
    per_unit_limits: list[NamedFigure] = []
    ordered_unit_limits: list[Identifier] = []
    other_limits: list[NamedFigure] = []
    source: SourceUrl
    see_also: list[SourceUrl] = []
    caveats: list[SourcedText] = []
    gaps: list[NonEmptyStr] = []

    @model_validator(mode="after")
    def _check(self) -> Parallelism:
        if not self.per_unit_limits and not self.gaps:
            raise ValueError("no per_unit_limits: add a 'gaps' note saying none was sourced")
        limits = {n.name: n.figure for n in self.per_unit_limits}
        for name in self.ordered_unit_limits:
            if name not in limits:
                raise ValueError(f"ordered_unit_limits names {name!r}, which is not one of the per_unit_limits")
            _require_unit(limits[name], THROUGHPUT_UNITS, f"ordered unit limit {name!r}")
        return self

    def ordered_unit_figures(self) -> list[NamedFigure]:
        """The per-unit limits that bound one ordered unit's rate (empty: none is sourced)."""
        return [n for n in self.per_unit_limits if n.name in self.ordered_unit_limits]


class NamingRule(KnowledgeModel):
    """Naming rules for one kind of entity (topic, queue, stream, key...). ``pattern`` is a Python regex."""

    entity: NonEmptyStr
    pattern: str | None = None
    format: str | None = Field(default=None, description="Structured form, e.g. persistent://tenant/namespace/topic")
    max_length: SourcedNumber | None = None
    recommended_max_length: SourcedNumber | None = None
    reserved_names: list[str] = []
    reserved_prefixes: list[str] = []
    required_suffix: str | None = None
    case_sensitive: bool | None = None
    notes: list[str] = []
    source: SourceUrl | None = None
    see_also: list[SourceUrl] = []
    gaps: list[NonEmptyStr] = []

    @model_validator(mode="after")
    def _check(self) -> NamingRule:
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern {self.pattern!r} is not a valid regex: {exc}") from exc
        _require_unit(self.max_length, NAME_LENGTH_UNITS, "max_length")
        _require_unit(self.recommended_max_length, NAME_LENGTH_UNITS, "recommended_max_length")
        claims = any(
            [
                self.pattern,
                self.format,
                self.max_length,
                self.recommended_max_length,
                self.reserved_names,
                self.reserved_prefixes,
                self.required_suffix,
                self.notes,
            ]
        )
        if claims and self.source is None:
            raise ValueError(f"naming rules for {self.entity!r} make claims, so they need a 'source'")
        if not claims and not self.gaps:
            raise ValueError(f"naming rules for {self.entity!r} are empty: add a 'gaps' note")
        if self.max_length is None and self.pattern is None and self.format is None and not self.gaps:
            raise ValueError(f"naming rules for {self.entity!r}: no pattern/format/max_length, so add a 'gaps' note")
        return self

    def matches(self, name: str) -> bool | None:
        """Whether ``name`` satisfies the pattern, reserved names/prefixes, suffix and length (None: no pattern)."""
        if self.pattern is None:
            return None
        if not re.fullmatch(self.pattern, name):
            return False
        if name in self.reserved_names or any(name.startswith(p) for p in self.reserved_prefixes):
            return False
        if self.required_suffix and not name.endswith(self.required_suffix):
            return False
        if self.max_length is not None:
            size = len(name.encode()) if self.max_length.unit == "bytes" else len(name)
            if size > self.max_length.value:
                return False
        return True


# --- operations and history


class ManagedOffering(KnowledgeModel):
    name: NonEmptyStr
    provider: NonEmptyStr
    clouds: list[Cloud] = []
    source: SourceUrl
    note: str | None = None


class Operations(KnowledgeModel):
    """Operational complexity (with a one-line reason), deployment options and managed offerings."""

    complexity: Complexity
    complexity_reason: NonEmptyStr
    complexity_basis: ComplexityBasis
    complexity_source: SourceUrl
    deployment: Annotated[list[Deployment], Field(min_length=1)]
    clouds: Annotated[list[Cloud], Field(min_length=1)]
    managed_offerings: list[ManagedOffering] = []
    source: SourceUrl
    notes: list[SourcedText] = []

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Operations:
        seed = source_url(SEED_SOURCE_ID, info)
        if self.complexity_basis == "seed_estimate" and self.complexity_source != seed:
            raise ValueError(f"a seed_estimate complexity must be sourced to {SEED_SOURCE_ID}")
        if "managed" in self.deployment and not self.managed_offerings:
            raise ValueError("deployment includes 'managed', so name at least one managed offering")
        if "any" in self.clouds and len(self.clouds) > 1:
            raise ValueError("clouds: 'any' cannot be combined with specific clouds")
        return self


class VersionChange(KnowledgeModel):
    """A behaviour or default that changed in a release; numbers involved go in ``values``."""

    version: NonEmptyStr
    summary: NonEmptyStr
    settings: list[str] = []
    values: list[NamedFigure] = []
    caveat: str | None = None
    source: SourceUrl
    see_also: list[SourceUrl] = []


# --- broker, variant, root

PROFILE_SECTIONS: tuple[str, ...] = (
    "throughput",
    "latency",
    "ordering",
    "delivery",
    "retention",
    "max_message_size",
    "dead_lettering",
    "parallelism",
    "naming",
    "operations",
    "version_changes",
)


class BrokerProfile(KnowledgeModel):
    """Everything a selector/planner needs about one broker (or one variant, once merged)."""

    throughput: ThroughputEnvelope
    latency: LatencyEnvelope
    ordering: Annotated[list[OrderingMode], Field(min_length=1)]
    delivery: list[GuaranteeSupport]
    retention: Retention
    max_message_size: MessageSize
    dead_lettering: DeadLettering
    parallelism: Parallelism
    naming: Annotated[list[NamingRule], Field(min_length=1)]
    operations: Operations
    version_changes: list[VersionChange] = []
    gaps: list[Gap] = []

    @model_validator(mode="after")
    def _check_delivery(self) -> BrokerProfile:
        _check_guarantee_set(self.delivery, "delivery")
        return self

    def guarantee(self, name: DeliveryGuarantee) -> GuaranteeSupport:
        return next(g for g in self.delivery if g.guarantee == name)


class BrokerVariant(KnowledgeModel):
    """A flavour of a broker (RabbitMQ queue type, SQS queue type). Sections left null inherit from the parent."""

    id: Identifier
    parent: Identifier
    name: NonEmptyStr
    summary: SourcedText
    model: BrokerModel | None = Field(
        default=None, description="The variant's consumption model when it differs from its broker's (a RabbitMQ "
        "stream is a log, a quorum queue a queue).")
    throughput: ThroughputEnvelope | None = None
    latency: LatencyEnvelope | None = None
    ordering: Annotated[list[OrderingMode], Field(min_length=1)] | None = None
    delivery: list[GuaranteeSupport] | None = None
    retention: Retention | None = None
    max_message_size: MessageSize | None = None
    dead_lettering: DeadLettering | None = None
    parallelism: Parallelism | None = None
    naming: Annotated[list[NamingRule], Field(min_length=1)] | None = None
    operations: Operations | None = None
    version_changes: list[VersionChange] | None = None
    gaps: list[Gap] = []

    @model_validator(mode="after")
    def _check_delivery(self) -> BrokerVariant:
        if self.delivery is not None:
            _check_guarantee_set(self.delivery, f"variant {self.id!r} delivery")
        return self


class Broker(BrokerProfile):
    """One broker: its own (default) profile plus variants that override parts of it."""

    id: Identifier
    name: NonEmptyStr
    summary: SourcedText
    model: BrokerModel
    server: Identifier | None = Field(
        default=None, description="The server software, when several profiled brokers run in one (redis, nats): a team "
        "that runs one of them already runs the server of the others.")
    default_variant: Identifier | None = None
    variants: list[BrokerVariant] = []

    @model_validator(mode="after")
    def _check_variants(self) -> Broker:
        ids = [v.id for v in self.variants]
        require_unique(ids, f"broker {self.id!r}: duplicate variant ids")
        for v in self.variants:
            if v.parent != self.id:
                raise ValueError(f"variant {v.id!r} is listed under broker {self.id!r} but names parent {v.parent!r}")
        if self.default_variant is not None and self.default_variant not in ids:
            raise ValueError(f"broker {self.id!r}: default_variant {self.default_variant!r} is not one of {ids}")
        return self

    def variant(self, variant_id: str) -> BrokerVariant:
        for v in self.variants:
            if v.id == variant_id:
                return v
        raise KeyError(f"broker {self.id!r} has no variant {variant_id!r}")

    def profile(self, variant_id: str | None = None) -> BrokerProfile:
        """The effective profile: the broker's sections, overridden by the variant's non-null sections.

        Variant ``gaps`` are appended to the broker's; every other section is replaced wholesale, not merged.
        """
        base = {name: getattr(self, name) for name in PROFILE_SECTIONS}
        gaps = list(self.gaps)
        if variant_id is not None:
            v = self.variant(variant_id)
            for name in PROFILE_SECTIONS:
                override = getattr(v, name)
                if override is not None:
                    base[name] = override
            gaps += v.gaps
        return BrokerProfile.model_construct(**base, gaps=gaps)


class BrokerKnowledge(KnowledgeModel):
    """Root of ``knowledge/brokers.yaml``."""

    brokers: Annotated[list[Broker], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> BrokerKnowledge:
        ids = [b.id for b in self.brokers]
        require_unique(ids, "duplicate broker ids")
        for b in self.brokers:
            for v in b.variants:
                if v.parent not in ids:
                    raise ValueError(f"variant {b.id}.{v.id}: parent {v.parent!r} is not a broker id ({ids})")
        return self

    def broker(self, broker_id: str) -> Broker:
        for b in self.brokers:
            if b.id == broker_id:
                return b
        raise KeyError(f"no broker {broker_id!r}")

    def profiles(self) -> dict[str, BrokerProfile]:
        """Every selectable option: ``"<broker>"`` and ``"<broker>.<variant>"`` mapped to its effective profile."""
        out: dict[str, BrokerProfile] = {}
        for b in self.brokers:
            out[b.id] = b.profile()
            for v in b.variants:
                out[f"{b.id}.{v.id}"] = b.profile(v.id)
        return out

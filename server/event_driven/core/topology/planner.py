"""plan_topology: from a validated context to a sized, explained design for one broker.

request (context + broker + options) -> validation -> broker choice -> logical design (use-case shape, retry policy)
-> sizing -> broker design -> envelope, observability, diagram -> TopologyPlan (no file contents; the renderer fills
its artifacts, see app.plan).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from event_driven.core.context import NormalizedContext
from event_driven.core.selection import BrokerSelection, SelectionConstraints, select_broker, selection_figures
from event_driven.core.sizing import calculate_partitions
from event_driven.core.topology import naming
from event_driven.core.topology.designers import DESIGNERS
from event_driven.core.topology.designers.common import broker_figure
from event_driven.core.topology.diagram import mermaid
from event_driven.core.topology.envelope import message_schema
from event_driven.core.topology.models import (
    PLANNABLE_BROKERS,
    BackoffSchedule,
    BrokerChoice,
    BrokerDesign,
    CircuitBreakerPolicy,
    ConsumerGroup,
    DesignInput,
    PlannedTopology,
    PlanWarning,
    RetryPolicy,
    SeedConsumerConfig,
    SeedTopology,
    Sizing,
    SizingFigure,
    TopologyPlan,
    Workload,
)
from event_driven.core.topology.observability import observability
from event_driven.core.topology.shapes import add_failure_channels, logical_design
from event_driven.core.topology.workload import consumer_rate, plan_workload, workload_figures
from event_driven.core.validation import ValidationResult, option_errors, validate_context
from event_driven.errors import ErrorCode, FieldError, InputError
from event_driven.kb.loader import KnowledgeBase
from event_driven.vocab import BrokerId

VARIANTS = {"rabbitmq": ("classic", "quorum", "stream"), "sqs": ("standard", "fifo", "fifo_high_throughput")}
PARTITIONED = ("kafka", "pulsar")


class PlanOptions(BaseModel):
    """Editable assumptions and design choices. All optional."""

    model_config = ConfigDict(extra="forbid")

    domain: str | None = Field(
        default=None, max_length=64,
        description="Name prefix for channels, e.g. 'orders' (default: from the first producer).")
    replication_factor: int | None = Field(
        default=None, ge=1, le=7, description="Replicas per partition/queue (default 3).")
    # Bounded so that the partition arithmetic (t/p, t/c) stays meaningful: a rate near zero would ask for
    # astronomically many partitions.
    producer_bytes_per_s_per_partition: float | None = Field(
        default=None, ge=1_000, le=10_000_000_000, allow_inf_nan=False,
        description="p: what one partition absorbs on the produce side, in bytes/s (1 KB/s to 10 GB/s; "
                    "default 10 MB/s).")
    consumer_msg_per_s_per_partition: float | None = Field(
        default=None, ge=0.01, le=10_000_000, allow_inf_nan=False,
        description="c: what one consumer processes per partition, in msg/s (0.01 to 10M; default 1,000; measure it).")
    message_size_bytes: int | None = Field(
        default=None, gt=0, le=999_000_000, description="Average message size (default: the context's, else 1 KiB).")
    processing_timeout_ms: int | None = Field(
        default=None, gt=0, le=43_200_000, description="Longest time one message may take to process (default 30 s).")
    processing_time_ms: int | None = Field(
        default=None, gt=0, le=604_800_000,
        description="How long one message takes to process (e.g. 1200000 for 20-minute jobs; default: the context's "
                    "requirements.processing_time). Sizes consumers, deadlines, prefetch and histogram buckets.")
    consumer_slots_per_instance: int | None = Field(
        default=None, ge=1, le=10_000, description="Messages one consumer instance processes at once (default 1).")
    partitions_headroom: float | None = Field(
        default=None, ge=1, le=10,
        description="Keyed topics (per-key order): deployed partitions = computed x headroom (default 2), because "
                    "adding partitions later breaks per-key order.")
    max_attempts: int | None = Field(
        default=None, ge=1, le=100, description="Delivery attempts before dead-lettering (default 5).")
    max_lanes: int | None = Field(
        default=None, ge=1, le=4_096,
        description="Per-key order on RabbitMQ, NATS or Redis: ordered lanes at most (1 to 4,096; default 256).")
    dead_letter: bool = Field(default=True, description="Plan retry tiers and dead-letter channels.")
    request_reply: bool = Field(default=False, description="Add request and per-requester reply channels.")
    saga_style: Literal["orchestration", "choreography"] = "orchestration"
    compaction: bool = Field(
        default=False, description="Event sourcing: compaction plus snapshots instead of retention without end.")
    schema_format: Literal["json", "avro"] = "json"


def field_error(path: str, code: ErrorCode, message: str, allowed: str | None = None,
                suggestion: str | None = None) -> FieldError:
    return FieldError(path=path, code=code, message=message, allowed=allowed, suggestion=suggestion)


class PlanInputError(InputError):
    """The request cannot be planned; ``errors`` say which field, what was wrong and what is allowed."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(errors)


def parse_options(raw: Any) -> PlanOptions:
    if raw is None:
        return PlanOptions()
    try:
        return PlanOptions.model_validate(raw)
    except ValidationError as exc:
        raise PlanInputError(option_errors(exc, PlanOptions, "$.options", "option")) from None


def parse_broker(raw: Any) -> tuple[str | None, str | None]:
    if raw is None or raw == "":
        return None, None
    if not isinstance(raw, str):
        raise PlanInputError([field_error("$.broker", "wrong_type",
                                          "broker must be a string such as 'kafka' or 'rabbitmq.quorum'.")])
    broker, _, variant = raw.strip().lower().partition(".")
    allowed = ", ".join([*PLANNABLE_BROKERS, *(f"{b}.{v}" for b, vs in VARIANTS.items() for v in vs)])
    if broker not in PLANNABLE_BROKERS or (variant and variant not in VARIANTS.get(broker, ())):
        raise PlanInputError([field_error("$.broker", "not_allowed",
                                          f"broker {raw!r} cannot be planned; allowed: {allowed}.", allowed)])
    return broker, variant or None


def _backoff(kb: KnowledgeBase, attempts: int) -> BackoffSchedule:
    r = kb.patterns.retry
    initial, cap, mult = int(r.initial_delay_ms.value), int(r.max_delay_ms.value), float(r.multiplier.value)
    delays = [int(min(cap, initial * mult**n)) for n in range(max(0, attempts - 1))]
    return BackoffSchedule(
        max_attempts=attempts, initial_delay_ms=initial, max_delay_ms=cap, multiplier=mult,
        jitter_factor=float(r.jitter_factor.value), delays_ms=delays,
        jitter=f"each delay is multiplied by a random factor in [1 - {r.jitter_factor.value:g}, 1 + "
               f"{r.jitter_factor.value:g}]",
        source=r.backoff_formula_source,
    )


def retry_policy(kb: KnowledgeBase, options: PlanOptions) -> RetryPolicy:
    r = kb.patterns.retry
    attempts = options.max_attempts or int(r.max_attempts.value)
    cb = r.circuit_breaker
    return RetryPolicy(
        backoff=_backoff(kb, attempts),
        retryable=list(r.error_classification.retryable),
        non_retryable=list(r.error_classification.non_retryable),
        dead_letter_enabled=options.dead_letter and r.dead_letter.enabled,
        dead_letter_suffix=r.dead_letter.topic_suffix,
        dead_letter_retention_days=int(r.dead_letter.retention_days.value),
        dlq_alert_threshold=int(r.dead_letter.alert_threshold.value),
        circuit_breaker=CircuitBreakerPolicy(
            failure_threshold=int(cb.failure_threshold.value),
            reset_timeout_seconds=int(cb.reset_timeout_seconds.value),
            half_open_attempts=int(cb.half_open_attempts.value), source=cb.pattern_source),
    )


def _rate_assumptions(ctx: NormalizedContext, kb: KnowledgeBase, options: PlanOptions, size: int, p_bytes: float,
                      c: float, workload: Workload) -> list[str]:
    s = kb.patterns.sizing
    p = p_bytes / size
    assumed = s.message_size_bytes.assumptions.strip() if s.message_size_bytes.assumptions else ""
    given_size = options.message_size_bytes or ctx.message_size_bytes
    return [
        f"message size {size} B" + ("" if given_size else f" (assumed: {assumed})"),
        f"p = {p_bytes:,.0f} B/s per partition / {size} B = {p:,.0f} msg/s"
        + ("" if options.producer_bytes_per_s_per_partition else " (default: low end of 'tens of MB/s')"),
        _consumer_rate_assumption(options, c, workload),
    ]


def _consumer_rate_assumption(options: PlanOptions, c: float, workload: Workload) -> str:
    if options.consumer_msg_per_s_per_partition:
        return f"c = {c:,.0f} msg/s per consumer"
    if workload.processing_time_ms:
        return (f"c = slots / processing time = {workload.slots_per_instance} / "
                f"{workload.processing_time_ms / 1000:g} s = {c:.6g} msg/s per consumer instance")
    return (f"c = {c:,.0f} msg/s per consumer (placeholder: measure your consumer and pass "
            "options.consumer_msg_per_s_per_partition, or state the processing time)")


def _storage(kb: KnowledgeBase, t: int, size: int, retention_h: int | None, broker: str, variant: str | None,
             rf: int, groups_on_main: int) -> SizingFigure:
    seconds = (retention_h or 24) * 3600
    queue = broker == "sqs" or (broker == "rabbitmq" and variant != "stream")
    stored_rf = 1 if broker == "sqs" else rf  # SQS replication is the provider's, not storage you size
    # Queue brokers fan out by copying: every subscriber's queue holds its own copy of each message.
    copies = max(1, groups_on_main) if queue else 1
    if queue:
        assumption = ("messages are deleted once acknowledged: this is the worst case, a backlog of the whole "
                      "retention when consumers stop" + ("; SQS stores it for you" if broker == "sqs" else ""))
    elif retention_h:
        assumption = None
    else:
        assumption = "retention without end: storage grows by this much every day"
    return SizingFigure(
        name=("worst-case backlog storage" if queue else "storage") if retention_h else "storage growth per day",
        value=round(t * size * seconds * stored_rf * copies / 1e9, 3), unit="GB",
        formula=(f"rate x size x retention x replication = {t} x {size} x {seconds} x {stored_rf}" if copies == 1 else
                 f"rate x size x retention x replication x subscriber queues = {t} x {size} x {seconds} x "
                 f"{stored_rf} x {copies}"),
        inputs={"rate_msg_per_s": t, "message_size_bytes": size, "retention_s": seconds,
                "replication_factor": stored_rf, **({"subscriber_queues": copies} if copies > 1 else {})},
        assumption=assumption, source=kb.sources.url("kafka-topicconfigs-retention-bytes"))


def _network(t: int, size: int, groups_on_main: int, rf: int) -> tuple[SizingFigure, SizingFigure]:
    fan = max(1, groups_on_main)
    net_in = SizingFigure(name="network in", value=round(t * size / 1e6, 3), unit="MB/s",
                          formula=f"rate x size = {t} x {size}",
                          inputs={"rate_msg_per_s": t, "message_size_bytes": size})
    net_out = SizingFigure(
        name="network out", value=round(t * size * (fan + rf - 1) / 1e6, 3), unit="MB/s",
        formula=f"rate x size x (consumer groups + replicas - 1) = {t} x {size} x ({fan} + {rf} - 1)",
        inputs={"rate_msg_per_s": t, "message_size_bytes": size, "consumer_groups": fan, "replication_factor": rf},
        assumption="every consumer group reads every message once; followers fetch each message once per extra replica")
    return net_in, net_out


def _consumer_instances(ctx: NormalizedContext, broker: str, t: int, c: float, partitions: int) -> SizingFigure:
    needed = max(1, math.ceil(t / c)) if t else 1
    partitioned = broker in PARTITIONED
    instances = 1 if ctx.ordering == "global" else (min(needed, partitions) if partitioned else needed)
    formula = (f"min(ceil(t / c), partitions) = min(ceil({t} / {c:g}), {partitions})" if partitioned
               else f"ceil(t / c) = ceil({t} / {c:g})")
    return SizingFigure(
        name="consumer instances per group", value=instances, unit="instances",
        formula=formula + (" -> 1 (global ordering)" if ctx.ordering == "global" else ""),
        inputs={"t": t, "c": c, "partitions": partitions})


def processing_time_ms(ctx: NormalizedContext, opts: PlanOptions) -> int | None:
    """The stated processing time: the option, else the context's requirements.processing_time."""
    return opts.processing_time_ms or ctx.processing_time_ms


def _workload(ctx: NormalizedContext, kb: KnowledgeBase, opts: PlanOptions) -> Workload:
    s = kb.patterns.sizing
    return plan_workload(kb, ctx.throughput_msg_per_s or 0, processing_time_ms(ctx, opts),
                         opts.processing_timeout_ms or int(s.processing_timeout_ms.value),
                         opts.consumer_slots_per_instance or int(s.consumer_slots_per_instance.value))


def _sizing(ctx: NormalizedContext, kb: KnowledgeBase, options: PlanOptions, broker: str, variant: str | None,
            groups_on_main: int, rf: int, workload: Workload) -> tuple[Sizing, int, int]:
    s = kb.patterns.sizing
    t = ctx.throughput_msg_per_s or 0
    size = _message_size(options, ctx, kb)
    p_bytes = options.producer_bytes_per_s_per_partition or float(s.partition_produce_bytes_per_s.value)
    measured = consumer_rate(workload)
    c = options.consumer_msg_per_s_per_partition or measured or float(s.consumer_msg_per_s_per_partition.value)
    plan = calculate_partitions(t, p_bytes / size, rf, consumer_throughput_per_partition=c,
                                source=kb.sources.url("confluent-blog-how-choose-number-topics-partitions-kafka-cluster"))
    assumptions = _rate_assumptions(ctx, kb, options, size, p_bytes, c, workload)
    partitions = plan.partitions
    if ctx.ordering == "global":
        partitions = 1
        assumptions.append("global ordering: 1 partition regardless of the formula (one ordered unit)")
    elif ctx.ordering == "partition" and broker in PARTITIONED:
        headroom = options.partitions_headroom or float(s.keyed_partition_headroom.value)
        partitions = 2 * math.ceil(plan.partitions * headroom / 2)
        assumptions.append(f"keyed topic: {plan.partitions} partitions x headroom {headroom:g} = {partitions} "
                           "(even): partitions added later remap keys and break per-key order")
    if broker not in PARTITIONED:
        assumptions.append(f"{broker} has no partitions: the formula gives the consumer parallelism per queue instead")
    net_in, net_out = _network(t, size, groups_on_main, rf)
    consumers = _consumer_instances(ctx, broker, t, c, partitions)
    storage = _storage(kb, t, size, _retention_hours(ctx, options, kb), broker, variant, rf, groups_on_main)
    concurrency, deadlines = workload_figures(kb, workload, t)
    return (Sizing(partitions=plan, storage=storage, network_in=net_in, network_out=net_out,
                   consumer_instances=consumers, assumptions=assumptions, concurrency=concurrency,
                   deadlines=deadlines), partitions, int(consumers.value))


def choose_broker(ctx: NormalizedContext, kb: KnowledgeBase, broker: str | None, variant: str | None,
                  constraints: SelectionConstraints | None) -> tuple[str, str | None, str, BrokerSelection]:
    selection = select_broker(ctx, kb.brokers, constraints, **selection_figures(kb))
    if broker:
        option = f"{broker}.{variant}" if variant else broker
        row = next((r for r in selection.rankings
                    if r.option == option or (r.broker == broker and variant is None)), None)
        why = "requested by the caller"
        if row:
            why += f"; selection ranks it #{row.rank} (score {row.score})"
        if row and row.disqualified:
            why += "; note the disqualifiers: " + "; ".join(row.disqualifiers)
        return broker, variant, why, selection
    return _best_plannable(selection)


def requested_broker_warnings(selection: BrokerSelection, broker: str, variant: str | None) -> list[PlanWarning]:
    """A broker the caller insisted on keeps its disqualifiers and poor fits visible as warnings."""
    option = f"{broker}.{variant}" if variant else broker
    row = next((r for r in selection.rankings if r.option == option), None)
    if row is None:
        return []
    out = []
    for f in row.fits:
        if f.fit in ("disqualified", "poor") and f.weight:
            alternatives = [r.option for r in selection.rankings if not r.disqualified and r.option != option][:3]
            out.append(PlanWarning(
                message=f"{row.name}: {f.requirement} {f.fit}: {f.reason}.",
                action=("Relax that requirement, or consider " + ", ".join(alternatives) + " (see select_broker)."
                        if alternatives else "Relax that requirement (see select_broker)."),
                severity="high" if f.fit == "disqualified" else "medium"))
    return out


def _best_plannable(selection: BrokerSelection) -> tuple[str, str | None, str, BrokerSelection]:
    plannable = [r for r in selection.rankings if r.plannable and not r.disqualified]
    if not plannable:
        raise PlanInputError([field_error(path="$.broker", code="missing", message=(
            "No plannable broker fits every requirement (see select_broker's disqualifiers); relax a requirement "
            "or name a broker explicitly."))])
    best = plannable[0]
    why = f"best plannable fit (score {best.score}): " + "; ".join(
        f"{f.requirement} {f.fit}" for f in best.fits if f.weight)
    if selection.winner and selection.winner != best.option:
        why += f". Overall winner {selection.winner} is not plannable: plan_topology does not design for it."
    return best.broker, best.variant, why, selection


@dataclasses.dataclass
class _Request:
    """A request that passed every input check, with the defaults it was planned under."""

    ctx: NormalizedContext
    opts: PlanOptions
    broker: str | None
    variant: str | None
    domain: str
    validation: ValidationResult
    warnings: list[PlanWarning] = dataclasses.field(default_factory=list)


def _input_errors(validation: ValidationResult, broker: Any, options: Any
                  ) -> tuple[list[FieldError], str | None, str | None, PlanOptions]:
    errors = list(validation.errors)
    n = validation.normalized
    if validation.valid and n.throughput_msg_per_s is None:
        errors.append(field_error("$.requirements.throughput", "missing",
                                  "plan_topology needs requirements.throughput to size the design, e.g. '10K msg/s'."))
    errors += _plan_limits(n)
    broker_id, variant, opts = None, None, PlanOptions()
    try:
        broker_id, variant = parse_broker(broker)
    except PlanInputError as exc:
        errors += exc.errors
    try:
        opts = parse_options(options)
    except PlanInputError as exc:
        errors += exc.errors
    if opts.domain is not None and not naming.DOMAIN_PATTERN.match(opts.domain):
        errors.append(field_error("$.options.domain", "not_allowed", str(_domain_error(opts.domain))))
    return errors, broker_id, variant, opts


def _with_defaults(ctx: NormalizedContext) -> tuple[NormalizedContext, list[PlanWarning]]:
    warnings: list[PlanWarning] = []
    if ctx.delivery is None:
        ctx = ctx.model_copy(update={"delivery": "at_least_once"})
        warnings.append(PlanWarning(message="No delivery guarantee given; planned for at_least_once.",
                                    action="State requirements.delivery if you need another guarantee.",
                                    severity="low"))
    if ctx.ordering is None:
        ctx = ctx.model_copy(update={"ordering": "none"})
        warnings.append(PlanWarning(message="No ordering given; planned without ordering guarantees.",
                                    action="State requirements.ordering (partition for per-key order).",
                                    severity="low"))
    return ctx, warnings


def _service_errors(ctx: NormalizedContext) -> list[FieldError]:
    errors = []
    for name in ("producers", "consumers"):
        for i, service in enumerate(getattr(ctx, name)):
            try:
                naming.check_service(service)
            except naming.NamingError as exc:
                errors.append(field_error(f"$.{name}[{i}]", "not_allowed", str(exc)))
    return errors


def _parse_request(event_context: Any, kb: KnowledgeBase, broker: Any, options: Any) -> _Request:
    validation = validate_context(event_context, kb.rules)
    errors, broker_id, variant, opts = _input_errors(validation, broker, options)
    if errors:
        raise PlanInputError(errors)
    ctx, warnings = _with_defaults(validation.normalized)
    errors = _service_errors(ctx)
    if errors:
        raise PlanInputError(errors)
    return _Request(ctx=ctx, opts=opts, broker=broker_id, variant=variant,
                    domain=naming.domain_from(ctx.producers, opts.domain), validation=validation, warnings=warnings)


def _default_variant(ctx: NormalizedContext, broker: str, variant: str | None, kb: KnowledgeBase) -> str | None:
    if variant is not None:
        return variant
    if broker == "rabbitmq":
        return "stream" if ctx.use_case == "event_sourcing" or ctx.replay in ("full", "window") else "quorum"
    if broker == "sqs":
        fifo_limit = broker_figure(kb, "sqs", "batched_msgs_per_action")
        if ctx.ordering == "none" and ctx.delivery != "exactly_once":
            return "standard"
        return "fifo_high_throughput" if (ctx.throughput_msg_per_s or 0) > fifo_limit else "fifo"
    return None


def _guarantee_policy(kb: KnowledgeBase, req: _Request) -> RetryPolicy:
    policy = retry_policy(kb, req.opts)
    if req.ctx.delivery == "at_most_once":
        # At-most-once never redelivers: broker retries and dead letters would contradict the guarantee.
        policy = policy.model_copy(update={"backoff": _backoff(kb, 1), "dead_letter_enabled": False})
        req.warnings.append(PlanWarning(
            message="At-most-once: messages are acknowledged on delivery, so a failed message is not redelivered or "
                    "dead-lettered; it is lost.",
            action="Log failures with the event id; if some messages must not be lost, use at_least_once for them.",
            severity="info"))
    return policy


def _replication(kb: KnowledgeBase, req: _Request, broker: str) -> int:
    rf = req.opts.replication_factor or int(kb.patterns.sizing.replication_factor.value)
    nats_max = int(broker_figure(kb, "nats_jetstream", "max_stream_replicas"))
    if broker == "nats_jetstream" and rf > nats_max:
        req.warnings.append(PlanWarning(
            message=f"NATS JetStream keeps at most {nats_max} replicas per stream; {rf} was asked for.",
            action=f"Planned with {nats_max} replicas.", severity="low"))
        rf = nats_max
    return rf


def _run_designer(broker: BrokerId, spec: DesignInput, kb: KnowledgeBase, req: _Request) -> BrokerDesign:
    try:
        design = DESIGNERS[broker].design(spec, kb)
    except naming.NamingError as exc:
        # The name is built from the domain and the service names: say so, and which ones.
        where = "$.options.domain" if req.opts.domain else "$.consumers"
        raise PlanInputError([field_error(where, "not_allowed", (
            f"{exc} (names are built from the domain '{req.domain}' and the service names; shorten or rename "
            "them)"))]) from None
    collisions = _name_collisions(design.channels)
    if collisions:
        raise PlanInputError([field_error("$.consumers", "not_allowed", (
            "service names collide once mapped to this broker's naming rules: " + "; ".join(collisions)))])
    return design


def _seed_blocks(design: BrokerDesign, policy: RetryPolicy, groups: list[ConsumerGroup], broker: str,
                 partitions: int, rf: int) -> tuple[SeedTopology, SeedConsumerConfig]:
    """The seed output schema's topology and consumer_config blocks."""
    main_names = list(dict.fromkeys(c.name for c in design.channels if c.role not in ("retry", "dead_letter")))
    dlq_names = [c.name for c in design.channels if c.role == "dead_letter"]
    strategies = sorted({g.strategy.replace("_", " ") for g in groups})
    per_group = "; ".join(f"{g.name}: {g.strategy.replace('_', ' ')} x{g.instances} ({g.reason})" for g in groups)
    return (SeedTopology(topics=main_names, partitions=partitions if broker in PARTITIONED else 1,
                         replication_factor=rf),
            SeedConsumerConfig(
                group_strategy=per_group or ", ".join(strategies),
                error_handling=" ".join(design.retry.steps[:3]),
                dlq={"enabled": policy.dead_letter_enabled, "suffix": policy.dead_letter_suffix,
                     "channels": dlq_names, "retention_days": policy.dead_letter_retention_days,
                     "alert_threshold": policy.dlq_alert_threshold}))


def plan_topology(event_context: Any, kb: KnowledgeBase, broker: Any = None, options: Any = None,
                  constraints: SelectionConstraints | None = None) -> PlannedTopology:
    """The sized, explained design (no file contents: rendering is the renderer's job, see app.plan)."""
    req = _parse_request(event_context, kb, broker, options)
    ctx, opts = req.ctx, req.opts
    broker_id, variant, rationale, selection = choose_broker(ctx, kb, req.broker, req.variant, constraints)
    variant = _default_variant(ctx, broker_id, variant, kb)
    if req.broker is not None:
        req.warnings += requested_broker_warnings(selection, broker_id, variant)
    plannable: BrokerId = broker_id  # type: ignore[assignment]  # choose_broker returns plannable ids only
    policy = _guarantee_policy(kb, req)
    shape = logical_design(ctx, request_reply=opts.request_reply, saga_style=opts.saga_style,
                           compaction=opts.compaction)
    logical = add_failure_channels(shape.channels, policy)
    rf = _replication(kb, req, broker_id)
    workload = _workload(ctx, kb, opts)
    main_groups = len([g for g in shape.groups if g.channel == shape.channels[0].key])
    sizing, partitions, instances = _sizing(ctx, kb, opts, broker_id, variant, main_groups, rf, workload)
    max_lanes = opts.max_lanes or int(kb.patterns.sizing.max_ordered_lanes.value)
    groups, lane_warnings = _ordered_lanes(shape.groups, ctx, broker_id, variant, instances, max_lanes)
    lane_warnings += _lane_cap_warnings(ctx, broker_id, groups, instances, max_lanes, workload.processing_time_ms)
    req.warnings += lane_warnings + _partition_warnings(kb, broker_id, partitions, rf)
    spec = DesignInput(
        use_case=ctx.use_case, delivery=ctx.delivery, ordering=ctx.ordering,  # type: ignore[arg-type]  # defaulted
        domain=req.domain, variant=variant, logical_channels=logical, consumer_groups=groups, retry_policy=policy,
        partitions=partitions, replication_factor=rf, retention_hours=_retention_hours(ctx, opts, kb),
        message_size_bytes=_message_size(opts, ctx, kb),
        processing_timeout_ms=opts.processing_timeout_ms or int(kb.patterns.sizing.processing_timeout_ms.value),
        throughput_msg_per_s=ctx.throughput_msg_per_s or 0, workload=workload,
    )
    design = _run_designer(plannable, spec, kb, req)
    warnings = [PlanWarning(message=w.message, action=w.recommendation, rule_id=w.rule_id, severity=w.severity)
                for w in req.validation.warnings] + req.warnings + design.warnings
    topology, consumer_config = _seed_blocks(design, policy, groups, broker_id, partitions, rf)
    plan = TopologyPlan(
        broker=BrokerChoice(technology=kb.brokers.broker(broker_id).name, variant=variant, rationale=rationale),
        topology=topology, consumer_config=consumer_config,
        message_schema=message_schema(req.domain, ctx.use_case or "pub_sub", ctx.producers, opts.schema_format,
                                      kb.sources),
        use_case=ctx.use_case, delivery=ctx.delivery, ordering=ctx.ordering,  # type: ignore[arg-type]  # defaulted
        shape=shape.description, logical_channels=logical, channels=design.channels, consumer_groups=groups,
        retry_policy=policy, retry=design.retry, client_settings=design.client_settings, sizing=sizing,
        observability=observability(kb, plannable, design.channels, groups, policy.dlq_alert_threshold,
                                    workload.ack_deadline_ms, processing_time_ms=workload.processing_time_ms),
        diagram=mermaid(logical, design.channels, groups), warnings=warnings, notes=design.notes,
    )
    return PlannedTopology(plan=plan, broker=plannable, domain=req.domain)


MAX_RETENTION_HOURS = 87_600  # ten years: beyond that, ask for retention without end (replay: full) instead


def _plan_limits(n: NormalizedContext) -> list[FieldError]:
    """Values the schema accepts but a plan cannot be built from."""
    errors = []
    if n.throughput_msg_per_s == 0:
        errors.append(field_error(path="$.requirements.throughput", code="not_allowed",
                                 message="throughput must be above 0 msg/s to size a design."))
    if n.retention_hours == 0:
        errors.append(field_error(path="$.requirements.retention", code="not_allowed",
                                 message="retention must be at least 1 hour."))
    elif n.retention_hours is not None and n.retention_hours > MAX_RETENTION_HOURS:
        errors.append(field_error(path="$.requirements.retention", code="not_allowed", message=(
            f"retention of {n.retention_hours:,} hours is more than ten years ({MAX_RETENTION_HOURS:,} h); for "
            "retention without end leave retention out and set replay: 'full'.")))
    if n.message_size_bytes == 0:
        errors.append(field_error(path="$.requirements.message_size", code="not_allowed",
                                 message="message_size must be at least 1 B."))
    for field in ("producers", "consumers"):
        names = getattr(n, field)
        dupes = sorted({x for x in names if names.count(x) > 1})
        if dupes:
            errors.append(field_error(path=f"$.{field}", code="not_allowed",
                                     message=f"{field} must be unique; repeated: {', '.join(dupes)}."))
    return errors


SINGLE_LANE_BROKERS = ("nats_jetstream", "redis_streams")
LANED_BROKERS = ("nats_jetstream", "redis_streams", "rabbitmq")


def _ordered_lanes(groups: list, ctx: NormalizedContext, broker: str, variant: str | None,
                   instances: int, max_lanes: int) -> tuple[list, list[PlanWarning]]:
    """Consumer instances per group, where ordering or the broker allows only one active consumer per lane."""
    warnings: list[PlanWarning] = []
    one_lane = (ctx.ordering == "partition" and (broker in SINGLE_LANE_BROKERS
                                                  or (broker == "rabbitmq" and variant != "stream")))
    stream = broker == "rabbitmq" and variant == "stream"
    out = []
    # Keys are spread over lanes (NATS subjects, Redis streams, RabbitMQ consistent-hash queues), one active
    # consumer each.
    lanes = max(1, min(instances, max_lanes)) if one_lane and broker in LANED_BROKERS else 1
    for g in groups:
        strategy, count, group_lanes = g.strategy, instances, 1
        if g.strategy in ("single_active", "reply_listener"):
            count = 1
        elif one_lane and g.strategy not in ("reply_listener",):
            strategy, count, group_lanes = "single_active", lanes, lanes
        elif stream:
            count = 1  # every AMQP consumer of a stream reads every message: one reader per group
        out.append(g.model_copy(update={"strategy": strategy, "instances": count, "lanes": group_lanes}))
    if one_lane and lanes == 1:
        t = ctx.throughput_msg_per_s or 0
        warnings.append(PlanWarning(
            message=(f"Per-key ordering on {broker.replace('_', ' ')} without partitions means one active consumer per "
                     f"queue or stream: each group processes one message at a time in order, so its rate is that of "
                     f"one "
                     f"consumer, while {t:,} msg/s is required."),
            action=("Shard the keys over N queues or subjects (e.g. RabbitMQ's consistent-hash exchange, or a subject "
                    "per key range), each with a single active consumer; or choose a partitioned broker (Kafka, Pulsar "
                    "Key_Shared, SQS FIFO message groups)."),
            severity="high" if instances > 1 else "medium"))
    if stream and any(g.strategy == "competing_consumers" for g in groups):
        warnings.append(PlanWarning(
            message="A RabbitMQ stream is read non-destructively: competing consumers on one stream each receive "
                    "every message.",
            action="Use a quorum queue for competing consumers, or run one reader per group.", severity="high"))
    return out, warnings


def _lane_cap_warnings(ctx: NormalizedContext, broker: str, groups: list, instances: int, max_lanes: int,
                       processing_time_ms: int | None) -> list[PlanWarning]:
    """Lanes capped below the instances the rate needs: say what per-key order then sustains."""
    lanes = max((g.lanes for g in groups), default=1)
    if lanes < max_lanes or instances <= max_lanes:
        return []
    per_lane = f"one message at a time ({processing_time_ms:,} ms each)" if processing_time_ms else "one at a time"
    ceiling = f"{max_lanes * 1000 / processing_time_ms:,.2f} msg/s" if processing_time_ms else "the cap's rate"
    return [PlanWarning(
        message=(f"Per-key order on {broker.replace('_', ' ')} needs {instances:,} consumers in flight for "
                 f"{ctx.throughput_msg_per_s or 0:,} msg/s, but the plan caps ordered lanes at {max_lanes:,}: each "
                 f"lane processes {per_lane}, so the groups sustain at most {ceiling}."),
        action=("Raise options.max_lanes (every lane is a queue, consumer or stream to run), shorten the jobs, or "
                "keep order per key with a lock per key instead of lanes, so jobs of different keys run side by side."),
        severity="high")]


def _partition_warnings(kb: KnowledgeBase, broker: str, partitions: int, rf: int) -> list[PlanWarning]:
    """ZooKeeper-era guidance (~4,000 partitions per broker, ~200,000 per cluster): it warns, never refuses."""
    if broker not in PARTITIONED:
        return []
    per_broker = int(broker_figure(kb, "kafka", "partitions_per_broker_zk_era"))
    per_cluster = int(broker_figure(kb, "kafka", "partitions_per_cluster_zk_era"))
    replicas = partitions * rf
    if replicas <= per_broker:
        return []
    brokers_needed = math.ceil(replicas / per_broker)
    severity = "high" if replicas > per_cluster else "medium"
    source = kb.sources.url("confluent-blog-apache-kafka-supports-200k-partitions-per-cluster")
    return [PlanWarning(
        message=(f"{partitions:,} partitions x {rf} replicas = {replicas:,} partition replicas: above the often-quoted "
                 f"~{per_broker:,} per broker (about {brokers_needed:,} brokers) "
                 + (f"and ~{per_cluster:,} per cluster " if severity == "high" else "")
                 + f"(ZooKeeper-era guidance, {source})."),
        action=("Measure p and c and pass them as options (the defaults are conservative), batch or compress to raise "
                "p, or split the stream across topics or clusters."),
        severity=severity)]


def _name_collisions(channels: list) -> list[str]:
    seen: dict[tuple[str, str], str] = {}
    out = []
    for c in channels:
        key = (c.kind, c.name)
        if key in seen and seen[key] != c.key:
            out.append(f"{c.name!r} ({seen[key]} and {c.key})")
        seen.setdefault(key, c.key)
    return out


def _domain_error(domain: str) -> naming.NamingError:
    try:
        naming.domain_from([], domain)
    except naming.NamingError as exc:
        return exc
    return naming.NamingError(domain)


def _message_size(opts: PlanOptions, ctx: NormalizedContext, kb: KnowledgeBase) -> int:
    return opts.message_size_bytes or ctx.message_size_bytes or int(kb.patterns.sizing.message_size_bytes.value)


def default_retention_hours(kb: KnowledgeBase) -> int:
    """The retention a plan assumes when the context gives none: Kafka's default, 7 days (knowledge/rules.yaml)."""
    return int(kb.rules.thresholds["kafka_default_retention_hours"].value)


def _retention_hours(ctx: NormalizedContext, opts: PlanOptions, kb: KnowledgeBase) -> int | None:
    """None means retention without end (an event store that is not compacted); otherwise 7 days by default."""
    if ctx.use_case == "event_sourcing" and not opts.compaction:
        return None
    return ctx.retention_hours or default_retention_hours(kb)

"""select_broker: rank every broker against a validated context, with the reason for every score.

Hard disqualifiers (a guarantee or ordering the broker cannot give, replay it does not have, retention past its maximum,
global ordering at a rate one ordered unit cannot carry, a constraint it cannot meet) are kept apart from soft scores.
Each requirement gets a fit and a reason that cites the knowledge base. Figures the research could not confirm are
reported as unknown, never guessed.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.context import NormalizedContext
from event_driven.core.rules import RuleWarning
from event_driven.kb.brokers import BrokerKnowledge, BrokerProfile

Fit = Literal["good", "acceptable", "poor", "unknown", "disqualified"]
FIT_SCORE: dict[str, float] = {"good": 1.0, "acceptable": 0.65, "unknown": 0.45, "poor": 0.2, "disqualified": 0.0}
WEIGHTS: dict[str, float] = {
    "use_case": 2.0, "delivery": 2.0, "ordering": 2.0, "throughput": 2.0, "retention": 2.0,
    "latency": 1.0, "operations": 1.0, "constraints": 1.5,
}
COMPLEXITY_RANK = {"low": 0, "medium": 1, "high": 2}
# Kinesis, Pub/Sub and Event Hubs are ranked for selection; plan_topology renders designs for these.
CANDIDATES: tuple[str, ...] = (
    "kafka", "rabbitmq.quorum", "rabbitmq.stream", "rabbitmq.classic", "sqs.standard", "sqs.fifo",
    "sqs.fifo_high_throughput", "pulsar", "nats_jetstream", "redis_streams", "kinesis", "google_pubsub",
    "azure_event_hubs",
)
SEED = "https://github.com/pluginagentmarketplace/custom-plugin-system-design"


class SelectionConstraints(BaseModel):
    """Constraints users really have. All optional."""

    model_config = ConfigDict(extra="forbid")

    cloud: Literal["aws", "gcp", "azure", "on_premises", "any"] | None = Field(
        None, description="Where it must run: a cloud provider, on_premises, or any."
    )
    deployment: Literal["managed", "self_hosted", "any"] | None = Field(
        None, description="Managed service or self-hosted."
    )
    existing_brokers: list[
        Literal["kafka", "rabbitmq", "sqs", "pulsar", "nats_jetstream", "redis_streams", "kinesis", "google_pubsub",
                "azure_event_hubs"]
    ] = Field(default_factory=list, description="Broker ids the team already runs (e.g. ['rabbitmq']): a tie-breaker bonus.")
    max_complexity: Literal["low", "medium", "high"] | None = Field(
        None, description="The most operational complexity the team accepts."
    )


class RequirementFit(BaseModel):
    requirement: str
    fit: Fit
    reason: str
    sources: list[str] = Field(default_factory=list)
    weight: float = Field(0.0, description="Weight in the score; 0 when the context does not state the requirement.")
    given: bool = Field(True, description="False when the context does not state this requirement.")


class BrokerRanking(BaseModel):
    rank: int
    broker: str = Field(description="Broker id, e.g. 'kafka'.")
    variant: str | None = Field(None, description="Variant id, e.g. 'quorum' for RabbitMQ quorum queues.")
    option: str = Field(description="broker or broker.variant")
    name: str
    score: float = Field(description="0-100 weighted fit; 0 when disqualified.")
    disqualified: bool
    disqualifiers: list[str]
    fits: list[RequirementFit]
    trade_offs: list[str]
    plannable: bool = Field(description="Whether plan_topology can render a design for it.")
    unknowns: int = Field(description="Stated requirements whose fit could not be verified from sourced figures.")


class BrokerSelection(BaseModel):
    """select_broker's result."""

    model_config = ConfigDict(extra="forbid")

    winner: str | None = Field(description="The best option that is not disqualified, or null when none is left.")
    runner_up: str | None
    why_winner: list[str] = Field(description="Where the winner beats the runner-up, requirement by requirement.")
    rankings: list[BrokerRanking]
    considered: dict[str, str] = Field(description="What the ranking used from the context (normalised).")
    warnings: list[RuleWarning] = Field(default_factory=list, description="validate_context's consistency warnings.")
    notes: list[str]


def _figure_msg_per_s(profile: BrokerProfile, message_size: int) -> tuple[float | None, str, str | None]:
    """The largest sourced aggregate throughput, in msg/s, with how it was derived."""
    best: tuple[float | None, str, str | None] = (None, "no sourced throughput figure", None)
    for f in profile.throughput.figures:
        fig = f.figure
        value: float | None = None
        if fig.unit in ("msg/s", "records/s", "events/s", "TPS"):
            value = float(fig.value)
        elif fig.unit in ("MB/s", "MiB/s"):
            value = float(fig.value) * 1_000_000 / message_size
        elif fig.unit == "GB/s":
            value = float(fig.value) * 1_000_000_000 / message_size
        if value is not None and (best[0] is None or value > best[0]):
            best = (value, f"{fig.value:g} {fig.unit} ({f.basis.replace('_', ' ')})", fig.source)
    return best


def _single_unit_msg_per_s(option: str, profile: BrokerProfile, message_size: int) -> tuple[float | None, str, str | None]:
    """What one ordered unit (partition, queue, shard, message group, key) is documented to carry, in msg/s."""
    limits = {n.name: n.figure for n in profile.parallelism.per_unit_limits}
    if "produce_throughput_per_partition" in limits:
        fig = limits["produce_throughput_per_partition"]
        return float(fig.value) * 1_000_000 / message_size, f"{fig.value:g} {fig.unit} per partition / {message_size} B", fig.source
    if "write_records_per_shard" in limits:
        fig = limits["write_records_per_shard"]
        return float(fig.value), f"{fig.value:g} records/s per shard", fig.source
    if "tu_ingress_events" in limits:
        fig = limits["tu_ingress_events"]
        return float(fig.value), f"{fig.value:g} events/s per throughput unit", fig.source
    if "publish_throughput_per_ordering_key" in limits:
        fig = limits["publish_throughput_per_ordering_key"]
        return float(fig.value) * 1_000_000 / message_size, f"{fig.value:g} MB/s per ordering key / {message_size} B", fig.source
    if "batched_msgs_per_action" in limits:
        fig = limits["batched_msgs_per_action"]
        return float(fig.value), f"{fig.value:g} msg/s per queue with 10-message batches", fig.source
    if "cluster_throughput_sustained" in limits:
        fig = limits["cluster_throughput_sustained"]
        return float(fig.value), f"{fig.value:g} msg/s sustained (3-node cluster benchmark)", fig.source
    if option in ("rabbitmq.classic", "rabbitmq.stream"):
        value, how, src = _figure_msg_per_s(profile, message_size)
        return value, how, src
    return None, "no sourced per-unit figure", None


def _delivery_fit(profile: BrokerProfile, delivery: str | None) -> RequirementFit:
    if delivery is None:
        return RequirementFit(requirement="delivery", fit="unknown", reason="no delivery guarantee given", given=False)
    g = profile.guarantee(delivery)  # type: ignore[arg-type]
    src = [s for s in [g.source] if s]
    if g.support == "supported":
        needs = "; ".join(g.requires) if g.requires else "no special settings"
        scope = f" ({g.scope})" if g.scope else ""
        return RequirementFit(requirement="delivery", fit="good", reason=f"{delivery} supported{scope}: {needs}", sources=src)
    if g.support == "not_supported":
        return RequirementFit(
            requirement="delivery", fit="disqualified",
            reason=f"{delivery} is not supported" + (f": {g.note}" if g.note else ""), sources=src,
        )
    if delivery == "at_most_once":
        return RequirementFit(
            requirement="delivery", fit="acceptable",
            reason="at_most_once not documented as a mode; achievable by acknowledging before processing", sources=src,
        )
    return RequirementFit(requirement="delivery", fit="unknown", reason=f"{delivery}: unconfirmed ({g.note or 'no source found'})", sources=src)


def _ordering_fit(option: str, profile: BrokerProfile, ctx: NormalizedContext, message_size: int,
                  ordered_channel: float) -> RequirementFit:
    scopes = {o.scope: o for o in profile.ordering}
    ordering = ctx.ordering
    if ordering in (None, "none"):
        return RequirementFit(requirement="ordering", fit="good", reason="no ordering required", given=ordering is not None)
    if set(scopes) <= {"none", "best_effort"}:
        mode = next(iter(scopes.values()))
        return RequirementFit(
            requirement="ordering", fit="disqualified",
            reason=f"{ordering} ordering required but the broker only offers {mode.scope.replace('_', ' ')} ordering",
            sources=[mode.source],
        )
    keyed = [s for s in ("per_partition", "per_key", "per_message_group", "per_shard") if s in scopes]
    if ordering == "partition":
        if keyed:
            mode = scopes[keyed[0]]
            return RequirementFit(requirement="ordering", fit="good", reason=f"per-key order via {mode.provided_by}", sources=[mode.source])
        mode = next(iter(scopes.values()))
        return RequirementFit(
            requirement="ordering", fit="acceptable",
            reason=f"order is {mode.scope.replace('_', ' ')}: keep per-key order by routing each key range to its own "
            f"{mode.scope.removeprefix('per_')} with one active consumer ({mode.provided_by})",
            sources=[mode.source],
        )
    # global: everything through one ordered unit
    capacity, how, src = _single_unit_msg_per_s(option, profile, message_size)
    rate = ctx.throughput_msg_per_s
    mode = next(iter(scopes.values()))
    if rate is None:
        return RequirementFit(requirement="ordering", fit="acceptable", reason="global order through one ordered unit; no throughput given to check it against", sources=[mode.source])
    if capacity is None:
        if rate > ordered_channel:
            # No broker-specific figure: fall back on the seed rule that one ordered channel carries about 10K msg/s.
            return RequirementFit(
                requirement="ordering", fit="poor",
                reason=f"global order means one {profile.parallelism.unit}; {how}, and the seed rule takes one ordered "
                f"channel as about {ordered_channel:,.0f} msg/s, below {rate:,} msg/s",
                sources=[mode.source, SEED],
            )
        return RequirementFit(
            requirement="ordering", fit="unknown",
            reason=f"global order means one {profile.parallelism.unit}; {how}, so {rate:,} msg/s on one unit is unverified",
            sources=[mode.source],
        )
    if rate > capacity:
        return RequirementFit(
            requirement="ordering", fit="disqualified",
            reason=f"global order means one {profile.parallelism.unit}, which carries about {capacity:,.0f} msg/s ({how}); "
            f"{rate:,} msg/s is more",
            sources=[s for s in [src] if s],
        )
    return RequirementFit(
        requirement="ordering", fit="good",
        reason=f"one {profile.parallelism.unit} carries about {capacity:,.0f} msg/s ({how}), enough for {rate:,} msg/s",
        sources=[s for s in [src] if s],
    )


def _throughput_fit(option: str, profile: BrokerProfile, ctx: NormalizedContext, message_size: int) -> RequirementFit:
    rate = ctx.throughput_msg_per_s
    if rate is None:
        return RequirementFit(requirement="throughput", fit="unknown", reason="no throughput given", given=False)
    if option == "sqs.standard":
        return RequirementFit(
            requirement="throughput", fit="good",
            reason="standard queues support a nearly unlimited number of API calls per second",
            sources=["https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html"],
        )
    scales = profile.parallelism.unit in ("partition", "shard")
    value, how, src = _figure_msg_per_s(profile, message_size)
    sources = [s for s in [src] if s]
    if value is None:
        fit: Fit = "acceptable" if scales else "unknown"
        extra = f"; scales out by adding {profile.parallelism.unit}s" if scales else ""
        return RequirementFit(requirement="throughput", fit=fit, reason=f"{how} for {rate:,} msg/s{extra}", sources=sources)
    if option.startswith(("kinesis", "azure_event_hubs")):
        unit = "shard" if option == "kinesis" else "throughput unit"
        single, single_how, single_src = _single_unit_msg_per_s(option, profile, message_size)
        needed = -(-rate // int(single)) if single else None
        return RequirementFit(
            requirement="throughput", fit="good" if needed and needed <= 200 else "acceptable",
            reason=f"{rate:,} msg/s needs about {needed} {unit}s at {single_how}", sources=[s for s in [single_src] if s],
        )
    if value >= rate:
        return RequirementFit(requirement="throughput", fit="good", reason=f"{rate:,} msg/s is within {how}", sources=sources)
    if scales:
        return RequirementFit(
            requirement="throughput", fit="acceptable",
            reason=f"{rate:,} msg/s exceeds the sourced figure ({how}); add {profile.parallelism.unit}s", sources=sources,
        )
    return RequirementFit(requirement="throughput", fit="poor", reason=f"{rate:,} msg/s exceeds {how}", sources=sources)


def _latency_fit(profile: BrokerProfile, ctx: NormalizedContext) -> RequirementFit:
    target = ctx.latency_ms
    if target is None:
        return RequirementFit(requirement="latency", fit="unknown", reason="no latency target given", given=False)
    figures = profile.latency.figures
    if not figures:
        return RequirementFit(requirement="latency", fit="unknown", reason=f"no sourced latency figure to compare with {target} ms")
    f = min(figures, key=lambda e: e.figure.value)
    typical = float(f.figure.value)
    label = f"~{typical:g} ms ({f.basis.replace('_', ' ')})"
    if target < typical:
        return RequirementFit(requirement="latency", fit="poor", reason=f"target {target} ms is below the typical {label}", sources=[f.figure.source])
    if target < 2 * typical:
        return RequirementFit(requirement="latency", fit="acceptable", reason=f"target {target} ms is close to the typical {label}", sources=[f.figure.source])
    return RequirementFit(requirement="latency", fit="good", reason=f"target {target} ms is well above the typical {label}", sources=[f.figure.source])


def _retention_fit(profile: BrokerProfile, ctx: NormalizedContext) -> RequirementFit:
    ret = profile.retention
    needs_forever = ctx.use_case == "event_sourcing" or ctx.replay == "full"
    needs_replay = needs_forever or ctx.replay == "window" or ctx.use_case == "event_sourcing"
    sources = [ret.replay.source]
    if needs_replay and not ret.replay.supported:
        why = "event sourcing replays the log" if ctx.use_case == "event_sourcing" else f"replay '{ctx.replay}' is required"
        return RequirementFit(requirement="retention", fit="disqualified", reason=f"{why}, but the broker has no replay: {ret.replay.note or ret.model + ' semantics'}", sources=sources)
    max_h = ret.max_retention.value if ret.max_retention else None
    if ret.max_retention:
        sources.append(ret.max_retention.source)
    if needs_forever and not ret.unbounded:
        if max_h is not None:
            return RequirementFit(requirement="retention", fit="disqualified", reason=f"events must be kept without end, but retention is capped at {max_h:,.0f} hours", sources=sources)
        return RequirementFit(requirement="retention", fit="unknown", reason="events must be kept without end; unbounded retention is not confirmed for this broker", sources=sources)
    wanted = max(ctx.retention_hours or 0, ctx.replay_hours or 0) or None
    if wanted is not None and max_h is not None and wanted > max_h:
        return RequirementFit(requirement="retention", fit="disqualified", reason=f"{wanted:,} hours requested, maximum is {max_h:,.0f} hours", sources=sources)
    if needs_forever:
        how = ret.unbounded_how or "retention without a time limit"
        return RequirementFit(requirement="retention", fit="good", reason=f"keeps the log without end ({how}); replay via {ret.replay.mechanism}", sources=[*sources, *([ret.unbounded_source] if ret.unbounded_source else [])])
    if needs_replay:
        return RequirementFit(requirement="retention", fit="good", reason=f"replay via {ret.replay.mechanism}", sources=sources)
    if wanted is None:
        return RequirementFit(requirement="retention", fit="good", reason="no retention requirement given", sources=sources, given=False)
    if max_h is None and ret.model == "queue":
        return RequirementFit(requirement="retention", fit="good", reason=f"a queue keeps messages until they are acknowledged (no documented time limit); a message TTL can expire unconsumed ones after {wanted:,} hours", sources=[*sources, "https://www.rabbitmq.com/docs/ttl"])
    return RequirementFit(requirement="retention", fit="good", reason=f"{wanted:,} hours is within the limit" + (f" of {max_h:,.0f} hours" if max_h else ""), sources=sources)


# How each broker model serves each use case (editorial judgement, anchored on the seed's "Use:" lines).
USE_CASE_FIT: dict[str, dict[str, tuple[Fit, str]]] = {
    "pub_sub": {
        "log": ("good", "a retained log read independently by each consumer group"),
        "pubsub": ("good", "topic fan-out to one subscription per subscriber"),
        "hybrid": ("good", "streams fan out to independent consumers"),
        "queue": ("acceptable", "fan-out needs an exchange or topic in front with one queue per subscriber"),
    },
    "work_queue": {
        "queue": ("good", "competing consumers with per-message acks"),
        "pubsub": ("good", "one shared subscription with per-message acks"),
        "hybrid": ("good", "work-queue retention or shared subscriptions"),
        "log": ("acceptable", "parallelism is capped by partitions and there are no per-message acks"),
    },
    "event_sourcing": {
        "log": ("good", "an append-only log replayed from the start"),
        "hybrid": ("acceptable", "a log mode exists but the store is usually a database; replay via the stream"),
        "pubsub": ("poor", "subscriptions are not an event store"),
        "queue": ("poor", "messages are deleted on ack"),
    },
    "cqrs": {
        "log": ("good", "projections rebuild by replaying the event log"),
        "hybrid": ("good", "streams for events, queues for commands"),
        "pubsub": ("acceptable", "events fan out; rebuilding projections needs seek/replay"),
        "queue": ("acceptable", "fine for commands; projections cannot be rebuilt by replay"),
    },
    "saga": {
        "queue": ("good", "commands and replies as acknowledged messages with dead-lettering"),
        "hybrid": ("good", "queues for commands and replies"),
        "log": ("good", "command and reply topics keyed by saga id"),
        "pubsub": ("acceptable", "works; per-saga ordering needs ordering keys"),
    },
}
# Variants and brokers whose consumption model differs from the broker's headline model: RabbitMQ streams are logs;
# Redis Streams (XREADGROUP/XACK per entry) and NATS JetStream (work-queue or limits retention) serve both as a
# retained log and as acknowledged competing-consumer queues.
BROKER_MODEL_OVERRIDE = {"rabbitmq.stream": "log", "rabbitmq.quorum": "queue", "rabbitmq.classic": "queue",
                         "redis_streams": "hybrid", "nats_jetstream": "hybrid"}


def _use_case_fit(option: str, model: str, ctx: NormalizedContext) -> RequirementFit:
    if ctx.use_case is None:
        return RequirementFit(requirement="use_case", fit="unknown", reason="no use case given", given=False)
    if option == "rabbitmq.stream" and ctx.use_case == "work_queue":
        return RequirementFit(requirement="use_case", fit="poor", sources=["https://www.rabbitmq.com/docs/streams"],
                              reason="work_queue: stream reads are non-destructive, so competing consumers each "
                                     "receive every message")
    fit, why = USE_CASE_FIT[ctx.use_case][BROKER_MODEL_OVERRIDE.get(option, model)]
    return RequirementFit(requirement="use_case", fit=fit, reason=f"{ctx.use_case}: {why}", sources=[SEED])


def _managed_offerings(profile: BrokerProfile, cloud: str | None) -> list[str]:
    ops = profile.operations
    return [m.name for m in ops.managed_offerings
            if not cloud or cloud in ("any", "on_premises") or cloud in m.clouds or "any" in m.clouds]


def _operations_fit(broker_id: str, profile: BrokerProfile, constraints: SelectionConstraints) -> RequirementFit:
    ops = profile.operations
    complexity, why = ops.complexity, ops.complexity_reason
    sources = [ops.complexity_source]
    if broker_id in constraints.existing_brokers:
        # The team already pays the operational cost of running it.
        return RequirementFit(requirement="operations", fit="good", reason=f"complexity {complexity}, but the team already operates it", sources=sources)
    offers = _managed_offerings(profile, constraints.cloud)
    if constraints.deployment == "managed" and "self_hosted" in ops.deployment and offers and complexity == "high":
        # A managed offering runs the cluster (upgrades, replication, storage); sizing and tuning stay with the team,
        # so it is still more work than a serverless service.
        complexity = "medium"
        why = f"run as a managed service ({', '.join(offers[:3])}), which takes on cluster operations; self-hosted it is {ops.complexity}"
        sources.append(ops.source)
    fit: Fit = {"low": "good", "medium": "acceptable", "high": "poor"}[complexity]  # type: ignore[assignment]
    if constraints.max_complexity and COMPLEXITY_RANK[complexity] > COMPLEXITY_RANK[constraints.max_complexity]:
        return RequirementFit(requirement="operations", fit="disqualified", reason=f"complexity {complexity} exceeds the accepted {constraints.max_complexity}: {why}", sources=sources)
    return RequirementFit(requirement="operations", fit=fit, reason=f"complexity {complexity}: {why}", sources=sources)


def _constraints_fit(broker_id: str, profile: BrokerProfile, c: SelectionConstraints) -> RequirementFit:
    ops = profile.operations
    problems, notes = [], []
    if c.cloud and c.cloud != "any":
        if c.cloud == "on_premises":
            if "self_hosted" not in ops.deployment:
                problems.append("on-premises required but it is only a managed cloud service")
        elif "any" not in ops.clouds and c.cloud not in ops.clouds:
            problems.append(f"{c.cloud} required but it runs on {', '.join(ops.clouds)}")
    if c.deployment == "managed":
        offers = _managed_offerings(profile, c.cloud)
        if "managed" not in ops.deployment and not offers:
            problems.append("a managed service is required and none is listed")
        elif offers:
            notes.append("managed: " + ", ".join(offers[:3]))
    if c.deployment == "self_hosted" and "self_hosted" not in ops.deployment:
        problems.append("self-hosting is required but it is only a managed service")
    if problems:
        return RequirementFit(requirement="constraints", fit="disqualified", reason="; ".join(problems), sources=[ops.source])
    single_cloud = "any" not in ops.clouds
    if single_cloud and not c.cloud:
        clouds = ", ".join(ops.clouds).upper()
        lock_in = f"runs only on {clouds}, and no cloud was stated: pass constraints.cloud if the system lives there"
        return RequirementFit(requirement="constraints", fit="poor", reason=lock_in, sources=[ops.source])
    if broker_id in c.existing_brokers:
        return RequirementFit(requirement="constraints", fit="good", reason="the team already runs it" + (f"; {notes[0]}" if notes else ""), sources=[ops.source])
    if c.existing_brokers:
        return RequirementFit(requirement="constraints", fit="acceptable", reason="a new broker for the team to operate" + (f"; {notes[0]}" if notes else ""), sources=[ops.source])
    return RequirementFit(requirement="constraints", fit="good", reason="; ".join(notes) or "no constraint excludes it", sources=[ops.source])


def _trade_offs(option: str, profile: BrokerProfile, ctx: NormalizedContext) -> list[str]:
    out: list[str] = []
    if ctx.delivery:
        g = profile.guarantee(ctx.delivery)
        if g.support == "supported" and g.requires:
            out.append(f"{ctx.delivery} requires: " + "; ".join(g.requires))
    dl = profile.dead_lettering
    if dl.dlq in ("application", "none"):
        out.append(f"dead-lettering is {'left to the application' if dl.dlq == 'application' else 'not available'}: {dl.description}")
    if profile.operations.complexity == "high":
        out.append(f"operational complexity is high: {profile.operations.complexity_reason}")
    for gap in profile.gaps[:2]:
        out.append(f"unconfirmed: {gap.field}: {gap.note}")
    return out


def select_broker(ctx: NormalizedContext, kb: BrokerKnowledge, constraints: SelectionConstraints | None = None,
                  message_size_bytes: int = 1024, ordered_channel_msg_per_s: float = 10_000) -> BrokerSelection:
    """Rank every candidate. ``ordered_channel_msg_per_s`` is the seed rule's rate for one ordered channel
    (knowledge/rules.yaml, single_ordered_channel_msg_per_s), used where a broker has no per-unit figure."""
    constraints = constraints or SelectionConstraints()
    size = ctx.message_size_bytes or message_size_bytes
    from event_driven.core.topology.models import PLANNABLE_BROKERS

    rows: list[BrokerRanking] = []
    for option in CANDIDATES:
        broker_id, _, variant = option.partition(".")
        broker = kb.broker(broker_id)
        profile = broker.profile(variant or None)
        name = broker.name + (f" ({broker.variant(variant).name})" if variant else "")
        fits = [
            _use_case_fit(option, broker.model, ctx),
            _delivery_fit(profile, ctx.delivery),
            _ordering_fit(option, profile, ctx, size, ordered_channel_msg_per_s),
            _throughput_fit(option, profile, ctx, size),
            _retention_fit(profile, ctx),
            _latency_fit(profile, ctx),
            _operations_fit(broker_id, profile, constraints),
            _constraints_fit(broker_id, profile, constraints),
        ]
        if ctx.message_size_bytes and profile.max_message_size.max_bytes and ctx.message_size_bytes > profile.max_message_size.max_bytes.value:
            fits.append(RequirementFit(
                requirement="message_size", fit="poor",
                reason=f"{ctx.message_size_bytes:,} bytes exceeds the default maximum of {profile.max_message_size.max_bytes.value:,.0f} bytes; use a claim check",
                sources=[profile.max_message_size.max_bytes.source],
            ))
        disqualifiers = [f"{f.requirement}: {f.reason}" for f in fits if f.fit == "disqualified"]
        weights = {**WEIGHTS, "message_size": 1.0}
        for f in fits:
            f.weight = weights[f.requirement] if f.given else 0.0
        total = sum(f.weight for f in fits) or 1.0
        score = 0.0 if disqualifiers else round(100 * sum(f.weight * FIT_SCORE[f.fit] for f in fits) / total, 1)
        unknowns = sum(1 for f in fits if f.given and f.fit == "unknown")
        rows.append(BrokerRanking(
            rank=0, broker=broker_id, variant=variant or None, option=option, name=name, score=score,
            disqualified=bool(disqualifiers), disqualifiers=disqualifiers, fits=fits,
            trade_offs=_trade_offs(option, profile, ctx), plannable=broker_id in PLANNABLE_BROKERS,
            unknowns=unknowns,
        ))
    # Ties go to the option with fewer unverified fits, then to the listing order.
    rows.sort(key=lambda r: (r.disqualified, -r.score, r.unknowns, CANDIDATES.index(r.option)))
    for i, row in enumerate(rows, 1):
        row.rank = i
    qualified = [r for r in rows if not r.disqualified]
    winner = qualified[0] if qualified else None
    runner = qualified[1] if len(qualified) > 1 else None
    notes = []
    if not qualified:
        notes.append("Every broker is disqualified: relax the requirement each disqualifier names (see rankings).")
    why = _why(winner, runner) if winner else []
    considered = {k: str(v) for k, v in ctx.model_dump().items() if v not in (None, [], 0) and k not in ("producers", "consumers")}
    considered["message_size_bytes"] = f"{size}" + ("" if ctx.message_size_bytes else " (assumed)")
    return BrokerSelection(
        winner=winner.option if winner else None, runner_up=runner.option if runner else None,
        why_winner=why, rankings=rows, considered=considered, notes=notes,
    )


def _why(winner: BrokerRanking, runner: BrokerRanking | None) -> list[str]:
    if runner is None:
        return [f"{winner.name} is the only option not disqualified."]
    theirs = {f.requirement: f for f in runner.fits}
    out = []
    for f in winner.fits:
        other = theirs.get(f.requirement)
        if other and f.weight and FIT_SCORE[f.fit] > FIT_SCORE[other.fit]:
            out.append(f"{f.requirement}: {winner.name} is {f.fit} ({f.reason}) where {runner.name} is {other.fit} ({other.reason})")
    if not out:
        tie = "fewer unverified figures" if winner.unknowns < runner.unknowns else "listing order"
        out.append(f"{winner.name} and {runner.name} fit equally on every stated requirement (score {winner.score} vs {runner.score}); {winner.name} ranks first by {tie}.")
    else:
        out.insert(0, f"{winner.name} scores {winner.score} against {runner.name}'s {runner.score}.")
    return out


def selection_figures(kb) -> dict[str, float]:  # kb: KnowledgeBase
    """The sourced defaults select_broker needs from the rest of the knowledge base."""
    return {"message_size_bytes": int(kb.patterns.sizing.message_size_bytes.value),
            "ordered_channel_msg_per_s": float(kb.rules.thresholds["single_ordered_channel_msg_per_s"].value)}


class SelectionInputError(ValueError):
    """The context or constraints are invalid; ``errors`` name each field and what is allowed."""

    def __init__(self, errors: list):  # list[FieldError]
        self.errors = errors
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))


def parse_constraints(raw: object) -> SelectionConstraints:
    from pydantic import ValidationError

    from event_driven.core.validation import option_errors

    if raw is None:
        return SelectionConstraints()
    try:
        return SelectionConstraints.model_validate(raw)
    except ValidationError as exc:
        raise SelectionInputError(option_errors(exc, SelectionConstraints, "$.constraints", "constraint")) from None


def select(event_context: object, kb, constraints: object = None) -> BrokerSelection:  # kb: KnowledgeBase
    """Validate the context and constraints, then rank the brokers."""
    from event_driven.core.validation import validate_context

    validation = validate_context(event_context, kb.rules)
    errors = list(validation.errors)
    try:
        parsed = parse_constraints(constraints)
    except SelectionInputError as exc:
        errors += exc.errors
        parsed = None
    if errors:
        raise SelectionInputError(errors)
    result = select_broker(validation.normalized, kb.brokers, parsed, **selection_figures(kb))
    return result.model_copy(update={"warnings": validation.warnings})

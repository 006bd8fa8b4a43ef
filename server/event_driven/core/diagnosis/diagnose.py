"""The entry point: gather the evidence of a request, score every failure mode, rank and explain."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from event_driven.core.audit import ConfigFinding, audit_config
from event_driven.core.audit.engine import ProcessingScope
from event_driven.core.context import NormalizedContext
from event_driven.core.diagnosis.brokers import infer_broker, normalize_broker
from event_driven.core.diagnosis.checklist import Facts, answer_checklist
from event_driven.core.diagnosis.request import DiagnoseRequest, no_evidence_error
from event_driven.core.diagnosis.result import (
    BrokerInference,
    ConfigKeyRead,
    Diagnosis,
    Evidence,
    EvidenceKind,
    GroupVerdict,
    Hypothesis,
    LagVerdict,
    PartitionVerdict,
)
from event_driven.core.diagnosis.scoring import (
    CONTRADICTED_FACTOR,
    CORROBORATION,
    PENALTY_GIVEN,
    PENALTY_INFERRED,
    RESTATES_SYMPTOM_FACTOR,
    SCORING_TEXT,
    UNNAMED_ACTOR_FACTOR,
    UNVOICED_COMPLAINT_FACTOR,
    W_AUDIT,
    W_CFG_WEAK,
    W_CONTEXT,
    Scored,
    index_of,
    score_base_rate,
    score_config,
    score_metrics,
    score_retrieval,
    score_signatures,
    score_symptoms,
    score_versions,
)
from event_driven.core.diagnosis.separate import separating_question
from event_driven.core.diagnosis.text import Reader, names_any, processing_time_from_text
from event_driven.core.diagnosis.versions import UNNAMED_COMPONENT, StatedVersion, stated_versions
from event_driven.core.evidence import (
    KEY_BROKERS,
    Metrics,
    ObservedPattern,
    ParsedConfig,
    compute_metric_patterns,
    parse_config,
)
from event_driven.core.lag import (
    GroupLagResult,
    GroupStatus,
    LagEvaluationConfig,
    PartitionOffsets,
    burrow_sources,
    evaluate_group,
)
from event_driven.errors import InputError
from event_driven.kb.loader import KnowledgeBase
from event_driven.kb.predicates import leaf_tests
from event_driven.vocab import PLANNABLE_BROKERS, SEVERITY_RANK


@dataclass
class _Gathered:
    """The request read once: lines, config, observed facts and the notes written while reading."""

    symptoms: list[str]
    errors: list[str]
    config_given: bool
    metrics: Metrics | None
    ctx: NormalizedContext | None
    parsed: ParsedConfig
    flat: dict[str, Any]
    processing_ms: float | None = None
    processing_scope: ProcessingScope = "message"
    stated: list[StatedVersion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[str]:
        """What the reporter wrote, symptoms then error lines."""
        return self.symptoms + self.errors


def _as_lines(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for it in items:
        out.extend(ln for ln in str(it).splitlines() if ln.strip())
    return out


def _context(
    raw: NormalizedContext | dict[str, Any] | None, kb: KnowledgeBase
) -> tuple[NormalizedContext | None, list[str]]:
    if raw is None:
        return None, []
    if isinstance(raw, NormalizedContext):
        return raw, []
    try:
        return NormalizedContext.model_validate(raw), []
    except Exception:  # noqa: BLE001 - not the normalized form: validate it as a raw context
        pass
    from event_driven.core.validation import validate_context

    res = validate_context(raw, kb.rules)
    notes = [f"event_context: {e.path}: {e.message}" for e in res.errors[:5]]
    return res.normalized, notes


def _condition_keys(kb: KnowledgeBase) -> set[str]:
    keys: set[str] = set()
    for fm in kb.failure_modes.failure_modes:
        for c in fm.config_conditions:
            for test in leaf_tests(c):
                keys.add(test.key)
                if test.value_key:
                    keys.add(test.value_key)
    return keys


def _gather(request: DiagnoseRequest, kb: KnowledgeBase) -> _Gathered:
    symptoms = _as_lines(request.symptoms)
    errors = _as_lines(request.error_lines)
    config_given = request.config is not None and (not isinstance(request.config, str) or bool(request.config.strip()))
    metrics = request.metrics if request.metrics is not None and not request.metrics.is_empty() else None
    if not symptoms and not errors and not config_given and metrics is None:
        raise no_evidence_error()
    ctx, notes = _context(request.event_context, kb)
    parsed = parse_config(request.config if config_given else None, _condition_keys(kb))
    notes.extend(f"config: {p}" for p in parsed.problems)
    g = _Gathered(symptoms=symptoms, errors=errors, config_given=config_given, metrics=metrics, ctx=ctx,
                  parsed=parsed, flat=dict(parsed.flat()), notes=notes)
    _observe(g)
    g.stated = stated_versions(g.lines, g.flat, index_of(kb).reader)
    return g


def _observe(g: _Gathered) -> None:
    """Facts the config conditions can test: processing time, broker and consumer counts (``observed.*`` keys)."""
    m = g.metrics
    if m and m.processing_time_ms and m.processing_time_ms.worst_ms is not None:
        g.processing_ms, g.processing_scope = m.processing_time_ms.worst_ms, m.processing_time_ms.scope
    elif isinstance(g.flat.get("observed.max_processing_time_ms"), (int, float)):
        g.processing_ms = float(g.flat["observed.max_processing_time_ms"])
    else:
        found = processing_time_from_text(g.symptoms)
        if found:
            g.processing_ms = found[0]
            g.notes.append(
                f"Processing time read from the symptoms: {found[1]!r} = {found[0] / 1000:g} s; pass "
                "metrics.processing_time_ms to state it exactly."
            )
    if g.processing_ms is not None and g.processing_scope == "message":
        g.flat.setdefault("observed.max_processing_time_ms", g.processing_ms)
        g.flat.setdefault("observed.max_processing_time_s", g.processing_ms / 1000)
        g.flat.setdefault("observed.max_processing_time_ns", g.processing_ms * 1e6)
    if m and m.broker_count is not None:
        g.flat.setdefault("observed.broker_count", m.broker_count)
    if m and m.consumer_counts:
        last = sorted(m.consumer_counts[0].samples, key=lambda s: s.timestamp_ms)[-1].value
        g.flat.setdefault("observed.consumer_count", last)


def _broker(request: DiagnoseRequest, g: _Gathered, sig_brokers: list[tuple[str, str]]) -> BrokerInference:
    given = normalize_broker(request.broker)
    if given is None:
        return infer_broker("\n".join(g.lines), g.parsed, sig_brokers)
    if given not in PLANNABLE_BROKERS:
        g.notes.append(
            f"Broker {request.broker!r} has no broker-specific entries in the knowledge base; only "
            "broker-agnostic failure modes fit it."
        )
    return BrokerInference(broker=given, how="given", reasons=[f"given as {request.broker!r}"])


def _group_verdict(r: GroupLagResult) -> GroupVerdict:
    partitions = [PartitionVerdict(topic=p.topic, partition=p.partition, status=p.status, current_lag=p.current_lag,
                                   window=p.window, reasons=p.reasons) for p in r.partitions]
    return GroupVerdict(group=r.group, status=r.status, total_lag=r.total_lag, complete=r.complete,
                        summary=r.summary, partitions=partitions)


def _lag(metrics: Metrics | None, kb: KnowledgeBase) -> tuple[LagVerdict | None, list[GroupLagResult]]:
    if metrics is None or not metrics.consumer_group_offsets:
        return None, []
    cfg = metrics.lag_evaluation or LagEvaluationConfig()
    groups: dict[str, list[PartitionOffsets]] = {}
    for p in metrics.consumer_group_offsets:
        groups.setdefault(p.group or "default", []).append(
            PartitionOffsets(topic=p.topic, partition=p.partition, samples=p.samples)
        )
    results: list[GroupLagResult] = []
    errors: list[str] = []
    for name in sorted(groups):
        try:
            results.append(evaluate_group(name, groups[name], cfg, sources=kb.sources))
        except InputError as exc:
            errors.append(f"group {name!r}: {'; '.join(e.message for e in exc.errors)}")
    verdicts = [_group_verdict(r) for r in results]
    order: dict[GroupStatus, int] = {"OK": 0, "WARNING": 1, "ERROR": 2}
    worst = max(results, key=lambda r: order[r.status], default=None)
    verdict = LagVerdict(
        status=worst.status if worst else "OK", groups=verdicts, errors=errors, sources=burrow_sources(kb.sources)
    )
    return verdict, results


def _config_brokers(flat: dict[str, Any]) -> set[str]:
    keys = {k.removeprefix("dlq.").removeprefix("source.") for k in flat}
    return {KEY_BROKERS[k] for k in keys if k in KEY_BROKERS} - {"any"}


def _score_audit(sc: Scored, findings: list[ConfigFinding], cfg_keys: set[str]) -> None:
    for f in findings:
        if (
            sc.fm.id in f.failure_modes
            and SEVERITY_RANK[f.severity] <= SEVERITY_RANK["medium"]
            and f.key not in cfg_keys
        ):
            w = W_AUDIT * (0.5 if f.severity == "medium" else 1.0)
            sc.add(
                Evidence(
                    kind="config_finding",
                    effect="supports",
                    weight=w,
                    quote=f"{f.key}={f.current_value}",
                    matched=f.id,
                    why=f.message,
                    source=f.source,
                )
            )


def _score_context(sc: Scored, ctx: NormalizedContext | None) -> None:
    if (
        sc.fm.id == "non_idempotent_consumer_duplicates"
        and ctx is not None
        and ctx.idempotent_consumers is False
        and ctx.delivery in ("at_least_once", "exactly_once")
    ):
        sc.add(
            Evidence(
                kind="context",
                effect="supports",
                weight=W_CONTEXT,
                quote=f"delivery={ctx.delivery}, idempotent_consumers=false",
                matched="at-least-once delivery without idempotent consumers",
                why="Redeliveries are expected under at-least-once; without deduplication they are processed twice.",
            )
        )


# The catalogue's entry for a defect of the release in use (its version notes name the affected ranges).
RELEASE_DEFECT = "known_bug_fixed_by_upgrade"
# Evidence read from the report's words; a restated symptom ranks below a mechanism only on these.
_WORDS_ONLY = frozenset({"symptom", "retrieval", "version", "broker"})
_EVIDENCE_GROUP = {"retrieval": "symptom", "config_finding": "config_condition"}


def _words_only(sc: Scored) -> bool:
    """Only the report's words support the entry: no error line, setting, metric or finding does."""
    return all(e.kind in _WORDS_ONLY for e in sc.pro)


def _weak_config(e: Evidence) -> bool:
    """A condition that holds only through a documented default or a missing key corroborates nothing."""
    return e.kind == "config_condition" and e.weight <= W_CFG_WEAK


def _refute(sc: Scored, kind: EvidenceKind, quote: str | None, matched: str, why: str) -> None:
    """A reason the entry fits less, shown with it; its weight is applied as a factor by the caller."""
    sc.con.append(Evidence(kind=kind, effect="refutes", weight=0.0, quote=quote, matched=matched, why=why))


def _fit_broker(sc: Scored, binf: BrokerInference) -> None:
    factor = 1.0
    broker = binf.broker
    if broker is not None and not sc.fm.applies_to(broker):
        factor = PENALTY_GIVEN if binf.how == "given" else PENALTY_INFERRED
        _refute(sc, "broker", broker, f"entry applies to {', '.join(sc.fm.brokers)}",
                f"broker {binf.how}; score multiplied by {factor:g}")
    if sc.fm.restates_symptom and _words_only(sc):
        factor *= RESTATES_SYMPTOM_FACTOR
    # Independent kinds of evidence (the report's words, a printed error, a setting, a metric, a version) that agree
    # corroborate each other; the base rate is not evidence from the report and does not count.
    kinds = {_EVIDENCE_GROUP.get(e.kind, e.kind) for e in sc.pro if e.kind != "broker" and not _weak_config(e)}
    factor *= 1 + CORROBORATION * max(0, len(kinds) - 1)
    sc.score = sc.raw * factor if sc.raw > 0 else sc.raw


def _fit_complaint(sc: Scored, user_tokens: set[str], text: str, reader: Reader) -> None:
    """An entry whose category's complaint (duplicates, loss, ordering) the report never voices ranks lower when
    only words support it; one whose mechanism cannot produce a complaint the report voices ranks far lower."""
    need = reader.complaint_tokens.get(sc.fm.category)
    if need and sc.score > 0 and not need & user_tokens and _words_only(sc):
        sc.score *= UNVOICED_COMPLAINT_FACTOR
    if sc.fm.needs_mention and sc.score > 0 and _words_only(sc):
        if not names_any(sc.fm.needs_mention, text):
            sc.score *= UNNAMED_ACTOR_FACTOR
            _refute(sc, "symptom", None, f"the report names none of: {', '.join(sc.fm.needs_mention[:6])}",
                    f"the mechanism needs one of them; score multiplied by {UNNAMED_ACTOR_FACTOR:g}")
    voiced = [c for c in sc.fm.cannot_explain if reader.complaint_tokens.get(c, frozenset()) & user_tokens]
    if voiced and sc.score > 0:
        sc.score *= CONTRADICTED_FACTOR
        _refute(sc, "symptom", None, f"the report voices {', '.join(c.replace('_', ' ') for c in voiced)}",
                f"this mechanism cannot produce that; score multiplied by {CONTRADICTED_FACTOR:g}")


def _score_all(
    scored: dict[str, Scored],
    kb: KnowledgeBase,
    g: _Gathered,
    binf: BrokerInference,
    observed: dict[str, ObservedPattern],
    findings: list[ConfigFinding],
) -> None:
    idx = index_of(kb)
    tokenize = idx.reader.tokenize
    user_tokens: set[str] = set()
    sentences: list[tuple[str, set[str]]] = []
    for s in g.lines:
        toks = set(tokenize(s))
        user_tokens |= toks
        sentences.append((s.strip()[:300], toks))
    report = "\n".join(g.lines)
    has_config = bool(g.parsed.entries) or any(k.startswith("observed.") for k in g.flat)
    # The config's words (keys and values: "queue_type FIFO", "client bernard") join the retrieval query only; the
    # phrase matcher reads what the reporter wrote as symptoms. Sorted: a set's order would change float sums.
    config_words = {t for e in g.parsed.entries if not e.key.startswith("observed.")
                    for t in tokenize(f"{e.original_key} {e.value}")}
    retrieval = idx.bm25.scores(sorted({t for _, toks in sentences for t in toks} | config_words))
    best = max(retrieval.values(), default=0.0)
    config_brokers = _config_brokers(g.flat)
    thresholds = {name: float(t.value) for name, t in kb.rules.thresholds.items()}
    for sc in scored.values():
        score_symptoms(sc, idx, user_tokens, sentences)
        score_retrieval(sc, retrieval, best)
        score_versions(sc, g.stated, binf.broker, user_tokens, idx.reader)
        score_base_rate(sc, binf.broker)
        cfg_keys = score_config(sc, g.flat, g.parsed, config_brokers, thresholds, binf.broker) if has_config else set()
        score_metrics(sc, observed)
        _score_audit(sc, findings, cfg_keys)
        _score_context(sc, g.ctx)
        _fit_broker(sc, binf)
        _fit_complaint(sc, user_tokens, report, idx.reader)


def _hypothesis(rank: int, sc: Scored, total: float, broker: str | None) -> Hypothesis:
    strength = 1 - math.exp(-sc.score / 4)
    conf = strength * (0.5 + 0.5 * sc.score**2 / total)
    fm = sc.fm
    res = [r for r in fm.resolutions if not r.brokers or broker is None or broker in r.brokers]
    diags = [
        d
        for d in fm.next_diagnostics
        if d.broker is None or broker is None or d.broker == broker or broker not in PLANNABLE_BROKERS
    ]
    return Hypothesis(
        rank=rank,
        failure_mode_id=fm.id,
        title=fm.title,
        category=fm.category,
        brokers=list(fm.brokers),
        confidence=round(min(1.0, conf), 2),
        score=round(sc.score, 3),
        evidence_for=sorted(sc.pro, key=lambda e: -e.weight),
        evidence_against=sorted(sc.con, key=lambda e: e.weight),
        summary=fm.summary,
        causes=list(fm.causes),
        resolutions=res or list(fm.resolutions),
        next_diagnostics=diags or list(fm.next_diagnostics),
        sources=list(fm.sources),
        related=list(fm.related),
    )


def _rank(scored: dict[str, Scored], binf: BrokerInference, limit: int) -> list[Hypothesis]:
    kept = [sc for sc in scored.values() if sc.pro and sc.score > 0]
    broker = binf.broker
    if binf.how == "given" and broker is not None:
        # The user named the broker: another broker's failure modes are noise, not alternatives. They stay only
        # when nothing for this broker matched at all (still penalised, so the mismatch is visible).
        # Retrieval alone does not count as a match here: it always finds something.
        fitting = [sc for sc in kept if sc.fm.applies_to(broker)]
        if any(e.kind != "retrieval" for sc in fitting for e in sc.pro):
            kept = fitting
    kept.sort(key=lambda s: (-round(s.score, 6), -s.sig, s.fm.id))
    total = sum(s.score**2 for s in kept) or 1.0
    return [_hypothesis(rank, sc, total, broker) for rank, sc in enumerate(kept[:limit], start=1)]


_METRIC_HINTS = {
    "kafka": "kafka-consumer-groups.sh --describe --group GROUP every minute for ~10 minutes, passed as "
    "metrics.consumer_group_offsets (committed and log-end offset per partition)",
    "rabbitmq": "rabbitmqctl list_queues name messages_ready messages_unacknowledged consumers over time "
    "(metrics.queue_depths / unacked_counts / consumer_counts)",
    "sqs": "CloudWatch ApproximateNumberOfMessagesVisible / NotVisible and ApproximateAgeOfOldestMessage over time "
    "(metrics.queue_depths / unacked_counts / oldest_message_age_ms)",
    "nats_jetstream": "nats consumer info STREAM CONSUMER over time: num_pending, num_ack_pending, num_redelivered "
    "(metrics.queue_depths / unacked_counts / redelivery_counts)",
    "redis_streams": "XINFO GROUPS / XPENDING over time: lag, pending count and delivery counters "
    "(metrics.queue_depths / unacked_counts / redelivery_counts)",
    "pulsar": "pulsar-admin topics stats TOPIC over time: msgBacklog, unackedMessages, consumers "
    "(metrics.queue_depths / unacked_counts / consumer_counts)",
}


def _missing_evidence_notes(g: _Gathered, binf: BrokerInference) -> list[str]:
    notes: list[str] = []
    if binf.how == "inferred":
        notes.append(f"Broker inferred as {binf.broker}: {'; '.join(binf.reasons[:3])}. Pass broker to override.")
    elif binf.how == "unknown":
        notes.append(
            "Broker unknown (" + "; ".join(binf.reasons[:2]) + "): every entry was scored; name the "
            "broker to sharpen the ranking."
        )
    if not g.errors:
        notes.append(
            "No error lines: paste the exact exception / log lines; error signatures are the strongest evidence."
        )
    if not g.config_given:
        notes.append("No config: add the client / topic / queue configuration so conditions and the audit can run.")
    if g.metrics is None:
        hint = _METRIC_HINTS.get(binf.broker or "", "lag / queue depth samples over time")
        notes.append(f"No metrics: collect {hint}.")
    if g.ctx is None:
        notes.append(
            "No event_context: state requirements.delivery (and ordering, replay, idempotent_consumers) so "
            "the audit can check the config against the guarantee."
        )
    return notes


def _release_defect_possible(hyps: list[Hypothesis]) -> bool:
    """A likely cause is a release defect, or rests on a version note whose range no stated version confirms."""
    return any(h.failure_mode_id == RELEASE_DEFECT or any(e.kind == "version" for e in h.evidence_for) for h in hyps)


def _result_notes(g: _Gathered, hyps: list[Hypothesis]) -> list[str]:
    notes: list[str] = []
    unknown = [
        e.original_key
        for e in g.parsed.entries
        if e.key not in KEY_BROKERS and not e.key.startswith(("observed.", "dlq.", "source.", "RedrivePolicy"))
    ]
    if unknown:
        notes.append(
            f"Config keys not recognised (kept, but no rule tests them): {', '.join(unknown[:8])}"
            + (" ..." if len(unknown) > 8 else "")
        )
    if not hyps:
        notes.append(
            "No failure mode matched the evidence; describe what is observed (lag, loss, duplicates, "
            "ordering, errors) or paste error lines."
        )
    elif _release_defect_possible(hyps[:3]) and not [v for v in g.stated if v.component != UNNAMED_COMPONENT]:
        notes.append(
            "No version stated, and a release defect is among the likely causes: give the broker and client "
            "versions (a version inside a known bug's range is evidence; one past its fix rules that bug out)."
        )
    if hyps and hyps[0].confidence < 0.3:
        notes.append(
            "Evidence is weak (top confidence below 0.3): run the next_diagnostics of the top hypotheses before acting."
        )
    return notes


def diagnose(request: DiagnoseRequest, kb: KnowledgeBase) -> Diagnosis:
    """Rank the knowledge base's failure modes against the evidence in ``request``."""
    g = _gather(request, kb)
    scored = {fm.id: Scored(fm) for fm in kb.failure_modes.failure_modes}
    # Signatures first: the brokers that print them feed broker inference.
    sig_brokers = score_signatures(scored, g.errors + g.symptoms)
    binf = _broker(request, g, sig_brokers)
    lag_verdict, lag_results = _lag(g.metrics, kb)
    if lag_verdict and lag_verdict.errors:
        g.notes.extend(f"metrics: {e}" for e in lag_verdict.errors)
    per_message = g.processing_ms if g.processing_scope == "message" else None
    observed_list = compute_metric_patterns(
        g.metrics, lag_results, g.flat, binf.broker, processing_time_ms=per_message, kb=kb
    )
    findings = audit_config(
        g.parsed,
        kb=kb,
        broker=binf.broker,
        context=g.ctx,
        processing_time_ms=g.processing_ms,
        processing_scope=g.processing_scope,
    )
    _score_all(scored, kb, g, binf, {p.name: p for p in observed_list}, findings)
    hyps = _rank(scored, binf, request.max_hypotheses)
    separating = separating_question(hyps, kb.failure_modes, binf.broker)
    checklist = answer_checklist(kb, Facts(g.flat, g.parsed, binf.broker, g.ctx, g.metrics, lag_verdict))
    notes = g.notes + _missing_evidence_notes(g, binf) + _result_notes(g, hyps)
    if separating is not None:
        notes.append(f"Close call between {' and '.join(separating.between)}: {separating.question}")
    config_read = [
        ConfigKeyRead(key=e.key, original_key=e.original_key, value=str(e.value), note=e.note) for e in g.parsed.entries
    ]
    return Diagnosis(broker=binf, hypotheses=hyps, checklist=checklist, config_findings=findings,
                     lag_verdict=lag_verdict, separating_question=separating, metric_patterns=observed_list,
                     config_read=config_read, notes=notes, scoring=SCORING_TEXT)

"""``diagnose_issue``: rank failure modes of the knowledge base against what a user reports.

Pure: no MCP imports, no I/O, no printing. :func:`diagnose` takes a :class:`DiagnoseRequest` (symptoms, error
lines, configuration, metrics, event context; all optional but at least one of the first four) and the loaded
:class:`~event_driven.kb.loader.KnowledgeBase`, and returns a :class:`Diagnosis`.

Scoring (per failure mode; deterministic)
-----------------------------------------
``score = (W_SYM * symptom_match + signatures + config + metrics + audit + context) * broker_factor``

* **symptom_match**: the user's text (symptoms and error lines) and every symptom phrase of the entry (plus its
  title) are normalised: lower case, CamelCase / snake_case split, contractions expanded, stop words dropped, light
  suffix stemming, and common synonyms folded into one concept (dup/duplicate/twice/again, lag/behind/backlog,
  rebalance/rebalancing/rejoin, kicked out/left the group, lost/missing/disappear/vanish, stuck/stall/hang...).
  A phrase's *coverage* is the IDF-weighted share of its tokens found in the user's text (IDF over the catalogue,
  so words that appear in many entries, like "message", count little). Phrases covering < 50 % are ignored. A
  match's strength is ``coverage * min(1, matched IDF / 5)`` (one common word alone is weak evidence), times 0.7
  when the words come from different sentences; the entry's match is ``c1 + 0.5 c2 + 0.25 c3`` over its three best
  phrases. The first word after a negation is marked (``not reprocessed`` is not a duplicate).
* **signatures**: each error signature found in the error lines (or pasted into the symptoms) adds
  ``W_SIG * specificity`` (specificity grows with the pattern's length), divided by sqrt(k) when the same line
  matches signatures of k entries; the best signature counts fully, further ones a quarter.
* **config**: each config condition that evaluates True adds (``supports``) or subtracts (``refutes``) ``W_CFG``
  when every key it tests is in the user's config, ``W_CFG_WEAK`` when it relied on a documented default or on a
  key being absent.
* **metrics**: each metric pattern computed from the samples adds ``W_MET`` (supports) or subtracts
  ``0.75 * W_MET`` (refutes).
* **audit / context**: a config-audit finding that names the entry adds ``W_AUDIT`` (x0.5 for medium) unless a
  condition on the same key already counted; a context that states at-least-once with non-idempotent consumers
  supports the non-idempotent-consumer entry.
* **broker_factor**: 1 when the entry applies to the broker (``any`` entries apply everywhere), 0.2 when it does not
  and the broker was given, 0.4 when it was inferred. When the broker was given, entries for other brokers are
  dropped unless nothing for that broker matched.

Entries without supporting evidence, or with a score <= 0, are dropped. ``confidence`` = ``(1 - exp(-score / 4)) *
(0.5 + 0.5 * share)`` where *share* = score^2 / sum of score^2 over all kept hypotheses: the first factor measures
how much evidence there is, the second how clearly it points here rather than elsewhere (squared, so a clear leader
stands out). It is a ranking aid, not a calibrated probability.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from event_driven.core.config_audit import SEVERITY_ORDER, ConfigFinding, audit_config
from event_driven.core.context import NormalizedContext
from event_driven.core.evidence import (
    KEY_BROKERS,
    Metrics,
    ObservedPattern,
    ParsedConfig,
    compute_metric_patterns,
    parse_config,
    parse_duration_ms,
)
from event_driven.core.lag import (
    BURROW_SOURCES,
    LagEvaluationConfig,
    LagInputError,
    LagWindow,
    PartitionOffsets,
    evaluate_group,
)
from event_driven.kb.failure_modes import (
    ConfigPredicate,
    ConfigPredicateGroup,
    FailureMode,
    NextDiagnostic,
    Resolution,
)
from event_driven.kb.loader import KnowledgeBase

__all__ = [
    "BrokerInference",
    "ChecklistResult",
    "DiagnoseInputError",
    "DiagnoseRequest",
    "Diagnosis",
    "Evidence",
    "Hypothesis",
    "LagVerdict",
    "diagnose",
    "normalize_broker",
    "tokenize",
]

W_SYM = 3.0
W_SIG = 4.0
W_CFG = 1.5
W_CFG_WEAK = 0.4
W_MET = 2.0
W_AUDIT = 1.5
W_CONTEXT = 0.75
PENALTY_GIVEN = 0.2
PENALTY_INFERRED = 0.4
MIN_COVERAGE = 0.5
K_INFO = 5.0
SPREAD_FACTOR = 0.7

KB_BROKERS = ("kafka", "rabbitmq", "sqs", "pulsar", "nats_jetstream", "redis_streams")


# --------------------------------------------------------------------------------------------------------------
# Request / response models
# --------------------------------------------------------------------------------------------------------------


class DiagnoseInputError(ValueError):
    """The request carries no evidence; ``fields`` names the fields of which at least one is needed."""

    def __init__(self, message: str, fields: list[str]) -> None:
        self.fields = fields
        super().__init__(message)


class DiagnoseRequest(BaseModel):
    """What the user reports. All optional, but one of symptoms / error_lines / config / metrics is required."""

    model_config = ConfigDict(extra="forbid")

    symptoms: str | list[str] | None = Field(default=None, description="What is observed, in the user's words")
    broker: str | None = Field(default=None, description="kafka, rabbitmq, sqs, pulsar, nats, redis (aliases ok); "
                               "inferred from the evidence when absent")
    error_lines: str | list[str] | None = Field(default=None, description="Log lines / stack trace, verbatim")
    config: str | dict[str, Any] | None = Field(
        default=None, description="Java properties, YAML or JSON text, or an object: client, topic, queue "
        "arguments / policies, SQS attributes, NATS consumer config...")
    metrics: Metrics | None = None
    event_context: NormalizedContext | dict[str, Any] | None = Field(
        default=None, description="The event context (raw, as for validate_context, or its normalized form)")
    max_hypotheses: int = Field(default=5, ge=1, le=20)

    @field_validator("broker")
    @classmethod
    def _known_broker(cls, value: str | None) -> str | None:
        # A typo ('kafak') must not silently count as a named broker: that would penalise the right answers.
        if value is None or not value.strip():
            return None
        canonical = normalize_broker(value)
        if canonical in KNOWN_BROKERS:
            return value
        import difflib

        close = difflib.get_close_matches(value.strip().lower(), [*_BROKER_ALIASES, *KNOWN_BROKERS], n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown broker {value!r}; allowed: {', '.join(sorted(KNOWN_BROKERS))} "
                         f"(or leave it out to infer it from the evidence).{hint}")


Effect = Literal["supports", "refutes"]
EvidenceKind = Literal["symptom", "error_signature", "config_condition", "metric_pattern", "config_finding",
                       "context", "broker"]


class Evidence(BaseModel):
    """One observation for or against a hypothesis."""

    model_config = ConfigDict(extra="forbid")

    kind: EvidenceKind
    effect: Effect
    weight: float = Field(description="Contribution to the score (negative when refuting)")
    quote: str | None = Field(default=None, description="The user's text / config line that matched")
    matched: str = Field(description="What in the knowledge base it matched (phrase, signature, condition, pattern)")
    why: str | None = None
    source: str | None = None


class Hypothesis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rank: int
    failure_mode_id: str
    title: str
    category: str
    brokers: list[str]
    confidence: float = Field(ge=0, le=1)
    score: float
    evidence_for: list[Evidence]
    evidence_against: list[Evidence]
    summary: str
    causes: list[str]
    resolutions: list[Resolution]
    next_diagnostics: list[NextDiagnostic]
    sources: list[str]
    related: list[str]


class ChecklistResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    question: str
    status: Literal["pass", "fail", "unknown"]
    reason: str
    how_to_check: list[str]
    sources: list[str]


class BrokerInference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    broker: str | None = Field(description="Canonical broker id used for scoring, or null when unknown")
    how: Literal["given", "inferred", "unknown"]
    reasons: list[str] = Field(default_factory=list)
    candidates: dict[str, float] = Field(default_factory=dict, description="Inference score per broker")


class PartitionVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str
    partition: int
    status: str
    current_lag: int
    window: LagWindow
    reasons: list[str]


class GroupVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str
    status: str
    total_lag: int
    complete: float
    summary: str
    partitions: list[PartitionVerdict]


class LagVerdict(BaseModel):
    """Burrow's evaluation (core/lag.py) of the consumer-group offsets given."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["OK", "WARNING", "ERROR"]
    groups: list[GroupVerdict]
    errors: list[str] = Field(default_factory=list)
    sources: list[str]


class ConfigKeyRead(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str
    original_key: str
    value: str
    note: str | None = None


class Diagnosis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    broker: BrokerInference
    hypotheses: list[Hypothesis]
    checklist: list[ChecklistResult]
    config_findings: list[ConfigFinding]
    lag_verdict: LagVerdict | None
    metric_patterns: list[ObservedPattern] = Field(description="Patterns computed from the metrics")
    config_read: list[ConfigKeyRead] = Field(description="How each config line was read")
    notes: list[str] = Field(description="Missing evidence and what to collect next")
    scoring: str = Field(description="How scores and confidence are computed")


SCORING_TEXT = (
    f"score = ({W_SYM:g} x symptom phrase match [IDF-weighted coverage >= {MIN_COVERAGE:.0%}, x min(1, matched IDF "
    f"/ {K_INFO:g}), x{SPREAD_FACTOR:g} across sentences; best + 0.5 second + 0.25 third] + {W_SIG:g} x signature specificity per error signature [shared lines / sqrt(k)] "
    f"+/- {W_CFG:g} per config condition on keys you set ({W_CFG_WEAK:g} when it relies on a default or a missing "
    f"key) +/- {W_MET:g} per metric pattern seen (refuting x0.75) + {W_AUDIT:g} per high/critical config finding "
    f"naming the entry, half for medium) "
    f"x broker factor (1 if the entry fits the broker, {PENALTY_GIVEN:g} if not and the broker was given, "
    f"{PENALTY_INFERRED:g} if inferred). confidence = (1 - exp(-score/4)) x (0.5 + 0.5 x score^2 / sum of score^2 "
    "over the kept hypotheses): evidence strength times how clearly it points at this entry; a ranking aid, not a "
    "probability."
)


# --------------------------------------------------------------------------------------------------------------
# Text normalisation
# --------------------------------------------------------------------------------------------------------------

_STOP = frozenset("""
a an the is are was were be been being am to of in on at for with by from as and or but if then than so that this
these those it its it's i we you they he she them our your my me us do does did doing done have has had having can
could would should will shall may might must just also only very too about into over under out up down off again?
when while after before during since until because what which who whom whose where why how there here some any each
every both either neither other another such own lot lots one's using use used get go goes going went
happen happens happened happening seem seems seemed still even though although via per within without like
""".split()) - {"again?"}

# Multi-word phrases folded before tokenising (order matters: longer first).
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), r)
    for p, r in [
        (r"\bmore than once\b", " duplicate "),
        (r"\b(multiple|several|many) times\b", " duplicate "),
        (r"\bkick(ed|s)? out of (the )?(consumer )?group\b", " leave group rebalance "),
        (r"\bkick(ed|s)? out\b", " leave "),
        (r"\bdrop(s|ped|ping)? out\b", " leave "),
        (r"\b(over and over|again and again|in a loop|forever|endless(ly)?|infinite(ly)?)\b", " loop "),
        (r"\btim(ed|es|e)[ -]out\b", " timeout "),
        (r"\bout of memory\b", " memory "),
        (r"\bout of order\b", " order "),
        (r"\bthundering herd\b", " herd "),
        (r"\b(all )?at (the same|once|the same time|the same moment)\b", " herd "),
        (r"\b(same moment|lock-?step)\b", " herd "),
        (r"\bfall(s|ing)? behind\b", " lag "),
        (r"\bpil(e|es|ed|ing) up\b", " backlog "),
        (r"\b(can ?not|can't|cannot|unable to|could ?not|couldn't)\b", " fail "),
        (r"\b(not acked|not acknowledged|un-?ack(nowledg)?ed)\b", " unack "),
        (r"\bdead[- ]?letter(ed|ing)?( queue| exchange| topic)?\b", " dlq "),
        (r"\bno longer\b", " stop "),
        (r"\bwon't\b", " will not "),
        (r"\b(\w+)n't\b", r" \1 not "),
    ]
]

# Concept groups: every listed word (and its stem) maps to the concept token(s).
_SYNONYMS: dict[str, tuple[str, ...]] = {}
for _concept, _words in {
    "dup": "duplicate duplicates duplicated dup dups dupe dupes twice double doubled again repeated copy copies",
    "lag": "lag lags lagging behind backlog backlogs",
    "rebalance": "rebalance rebalances rebalancing rebalanced rejoin rejoins rejoined rejoining reassign reassigned "
                 "revoke revoked",
    "leave": "leave leaves leaving left kick kicked",
    "lost": "lost lose loses losing loss missing miss missed disappear disappears disappeared vanish vanishes "
            "vanished gone",
    "stuck": "stuck stall stalls stalled stalling hang hangs hanging hung freeze freezes frozen halt halted",
    "fail": "fail fails failed failing failure failures error errors err exception exceptions",
    "crash": "crash crashes crashed crashing die dies died dying kill killed panic terminate terminated "
             "terminates exit exits exited",
    "restart": "restart restarts restarted restarting reboot rebooted bounce bounced",
    "msg": "message messages msg msgs event events record records entry entries",
    "job": "job jobs task tasks",
    "consumer": "consumer consumers subscriber subscribers worker workers listener listeners handler handlers",
    "publish": "producer producers publisher publishers produce produces produced producing publish publishes "
               "published publishing send sends sent sending sender emit emits emitted write writes written "
               "writing",
    "receive": "receive receives received receiving get gets got getting fetch fetches fetched fetching pull "
               "pulls pulled read reads reading reader readers",
    "empty": "empty nothing none",
    "order": "order ordering ordered reorder reordered sequence sequences",
    "connect": "connect connects connected connecting connection connections",
    "retry": "retry retries retried retrying",
    "herd": "herd stampede",
    "overload": "overload overloaded overwhelm overwhelms overwhelmed overwhelming hammer hammers hammering flood "
                "flooded saturate saturates saturated swamp swamped",
    "spike": "spike spikes surge surges burst bursts",
    "large": "large larger big bigger huge oversized",
    "slow": "slow slower slowly sluggish delay delayed delays late",
    "unack": "unack unacked unacknowledged",
    "ack": "ack acks acked acking acknowledge acknowledged acknowledgement acknowledgment acknowledgements",
    "redeliver": "redeliver redelivers redelivered redelivery redeliveries",
    "memory": "memory ram oom heap",
    "idle": "idle idling",
    "skew": "skew skewed uneven imbalance imbalanced unbalanced",
    "container": "docker container containers",
    "dlq": "dlq dlx dlqs",
    "database": "database databases db dbs row rows table tables sql",
}.items():
    for _w in _words.split():
        _SYNONYMS[_w] = (_concept,)
_SYNONYMS.update({
    "reconnect": ("connect", "retry"), "reconnects": ("connect", "retry"), "reconnecting": ("connect", "retry"),
    "reconnection": ("connect", "retry"), "reconnections": ("connect", "retry"), "reconnected": ("connect", "retry"),
    "requeue": ("requeue", "redeliver"), "requeued": ("requeue", "redeliver"), "requeues": ("requeue", "redeliver"),
    "requeuing": ("requeue", "redeliver"), "requeueing": ("requeue", "redeliver"),
    "reprocess": ("dup", "redeliver"), "reprocessed": ("dup", "redeliver"), "reprocessing": ("dup", "redeliver"),
    "reprocesses": ("dup", "redeliver"),
    # Redis stream commands name the concept they act on.
    "xtrim": ("xtrim", "trim"), "xpending": ("xpending", "pend"), "xack": ("xack", "ack"),
    "xclaim": ("xclaim", "claim"), "xautoclaim": ("xautoclaim", "claim"), "xadd": ("xadd", "publish"),
    "xreadgroup": ("xreadgroup", "receive", "group"), "xgroup": ("xgroup", "group"),
})


def _stem(word: str) -> str:
    """Light suffix stripping: rebalancing / rebalanced / rebalances -> rebalanc; trimmed / trimming -> trim."""
    w = word
    for _ in range(2):
        for suf in ("ing", "ed", "es", "s", "er", "ly"):
            if w.endswith(suf) and len(w) - len(suf) >= 3 and not (suf == "s" and w.endswith("ss")):
                w = w[: -len(suf)]
                if suf in ("ing", "ed", "er") and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                    w = w[:-1]
                break
        else:
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


_STEM_SYNONYMS: dict[str, tuple[str, ...]] = {}
for _w, _c in _SYNONYMS.items():
    _st = _stem(_w)
    if _st == _w or len(_st) >= 4:  # 'none' -> 'non' must not turn 'non-unique' into 'empty'
        _STEM_SYNONYMS.setdefault(_st, _c)

_NEGATIONS = frozenset({"not", "never", "no", "without", "nor"})


def _split_identifiers(text: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return re.sub(r"[_./:\-]+", " ", text)


def tokenize(text: str) -> list[str]:
    """Normalised tokens of ``text``: stop words removed, stems, synonyms folded, and the first content word after
    a negation (not / never / no / without) marked ``no_<token>`` so 'not reprocessed' does not count as a
    duplicate."""
    t = text.replace("’", "'")
    for rx, rep in _PHRASES:
        t = rx.sub(rep, t)
    t = _split_identifiers(t).lower()
    out: list[str] = []
    negate = False
    for word in re.findall(r"[a-z0-9]+", t):
        if word in _NEGATIONS:
            negate = True
            continue
        if word in _STOP or len(word) < 2 or word.isdigit():
            continue
        if word in _SYNONYMS:
            toks: tuple[str, ...] | list[str] = _SYNONYMS[word]
        else:
            st = _stem(word)
            if st in _STEM_SYNONYMS:
                toks = _STEM_SYNONYMS[st]
            elif st in _STOP:
                continue
            else:
                toks = [st]
        out.extend(f"no_{x}" for x in toks) if negate else out.extend(toks)
        negate = False
    return out


# --------------------------------------------------------------------------------------------------------------
# Broker names and inference
# --------------------------------------------------------------------------------------------------------------

_BROKER_ALIASES = {
    "kafka": "kafka", "apache kafka": "kafka", "apache_kafka": "kafka", "confluent": "kafka",
    "rabbitmq": "rabbitmq", "rabbit": "rabbitmq", "rabbit mq": "rabbitmq", "amqp": "rabbitmq",
    "sqs": "sqs", "aws sqs": "sqs", "amazon sqs": "sqs", "aws_sqs": "sqs",
    "pulsar": "pulsar", "apache pulsar": "pulsar",
    "nats": "nats_jetstream", "jetstream": "nats_jetstream", "nats jetstream": "nats_jetstream",
    "nats_jetstream": "nats_jetstream", "nats-jetstream": "nats_jetstream",
    "redis": "redis_streams", "redis streams": "redis_streams", "redis_streams": "redis_streams",
    "redis-streams": "redis_streams",
}


# Brokers the knowledge base has failure modes for, and the ones select_broker ranks (only 'any' entries apply there).
KNOWN_BROKERS = frozenset({"kafka", "rabbitmq", "sqs", "pulsar", "nats_jetstream", "redis_streams", "kinesis",
                           "google_pubsub", "azure_event_hubs"})


def normalize_broker(name: str | None) -> str | None:
    """Canonical broker id for common spellings (``'nats'`` -> ``'nats_jetstream'``); others lower-cased."""
    if name is None or not name.strip():
        return None
    key = name.strip().lower()
    return _BROKER_ALIASES.get(key, key.replace(" ", "_"))


# (regex, broker, weight, label)
_BROKER_WORDS: list[tuple[re.Pattern[str], str, float, str]] = [
    (re.compile(p, re.IGNORECASE), b, w, lbl)
    for p, b, w, lbl in [
        (r"\bkafka\b", "kafka", 3, "the word 'kafka'"),
        (r"\b(librdkafka|rdkafka|kafkajs|kafka-python|aiokafka|kcat|kafkacat|confluent)\b", "kafka", 3,
         "a Kafka client name"),
        (r"\b(zookeeper|kraft|__consumer_offsets|isr)\b", "kafka", 2, "Kafka terms (ISR, ZooKeeper, KRaft)"),
        (r"max\.poll|\bpoll\(\)|poll interval", "kafka", 2, "the Kafka poll loop"),
        (r"\bpartitions?\b", "kafka", 1, "the word 'partition'"),
        (r"\boffsets?\b", "kafka", 1, "the word 'offset'"),
        (r"\brebalanc", "kafka", 1, "the word 'rebalance'"),
        (r"\b(rabbitmq|rabbit|amqp|pika|php-amqplib|spring-amqp)\b", "rabbitmq", 3, "RabbitMQ / AMQP named"),
        (r"\b(exchange|vhost|routing.key|binding key|quorum queue|prefetch|x-queue-type|x-dead-letter)",
         "rabbitmq", 2, "RabbitMQ terms (exchange, vhost, routing key, prefetch)"),
        (r"\bbasic[._](publish|consume|qos|ack|nack|reject|get)\b|precondition_failed", "rabbitmq", 2,
         "AMQP methods / errors"),
        (r"\bunacked\b", "rabbitmq", 1, "the word 'unacked'"),
        (r"\b(sqs|amazon sqs|aws sqs)\b", "sqs", 3, "SQS named"),
        (r"visibility ?timeout|receipt ?handle|receive_?message|approximatenumberofmessages|redrive|"
         r"messagegroupid|message group id|waittimeseconds|long polling|short polling", "sqs", 2,
         "SQS terms (visibility timeout, receipt handle, redrive)"),
        (r"\bpulsar\b", "pulsar", 3, "Pulsar named"),
        (r"\b(bookkeeper|backlog quota|key_shared|pulsar-admin|ledger|negative ack)", "pulsar", 2,
         "Pulsar terms (backlog quota, BookKeeper, Key_Shared)"),
        (r"\b(nats|jetstream)\b", "nats_jetstream", 3, "NATS / JetStream named"),
        (r"\b(ack_?wait|max_?ack_?pending|max_?deliver|no responders|nats-server)\b", "nats_jetstream", 2,
         "NATS terms (AckWait, MaxAckPending, no responders)"),
        (r"\bredis\b", "redis_streams", 3, "Redis named"),
        (r"\b(xreadgroup|xadd|xack|xclaim|xautoclaim|xpending|xtrim|xgroup|nogroup|busygroup|maxlen|"
         r"pending entries list)\b", "redis_streams", 2.5, "Redis stream commands (XREADGROUP, XADD...)"),
    ]
]


def _infer_broker(text: str, parsed: ParsedConfig, sig_brokers: list[tuple[str, str]]) -> BrokerInference:
    scores: dict[str, float] = {}
    why: dict[str, list[str]] = {}

    def add(b: str, w: float, reason: str) -> None:
        scores[b] = scores.get(b, 0.0) + w
        why.setdefault(b, []).append(reason)

    seen_sig: set[str] = set()
    for b, pattern in sig_brokers:
        if pattern not in seen_sig:
            seen_sig.add(pattern)
            add(b, 3.0, f"error signature {pattern!r} is printed by {b}")
    cfg_hits: dict[str, list[str]] = {}
    for e in parsed.entries:
        b = KEY_BROKERS.get(e.key.removeprefix("dlq.").removeprefix("source."))
        if b and b != "any":
            cfg_hits.setdefault(b, []).append(e.original_key)
    for b, keys in cfg_hits.items():
        add(b, min(4.0, 1.0 * len(keys)), f"config key style: {', '.join(keys[:4])}")
    for rx, b, w, label in _BROKER_WORDS:
        m = rx.search(text)
        if m:
            add(b, w, f"{label} ({m.group(0)!r})")
    if not scores:
        return BrokerInference(broker=None, how="unknown", reasons=["no broker-specific words, keys or errors"])
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    best, top = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    cands = {b: round(s, 2) for b, s in ranked}
    if (top >= 2.0 and top >= 1.5 * second) or (top >= 1.0 and second == 0.0):
        return BrokerInference(broker=best, how="inferred", reasons=why[best], candidates=cands)
    return BrokerInference(broker=None, how="unknown", candidates=cands,
                           reasons=[f"evidence is ambiguous: {', '.join(f'{b} {s:g}' for b, s in ranked[:3])}"])


# --------------------------------------------------------------------------------------------------------------
# Evidence helpers
# --------------------------------------------------------------------------------------------------------------

_PT_RE = re.compile(
    r"\b(?:takes?|taking|took|runs?|running|ran|lasts?|lasting|processing(?:\s+time)?|handler|duration|long)\s+"
    r"(?:(?:of|is|about|around|roughly|approximately|over|more than|longer than|up to|at least|nearly|almost|"
    r"~)\s*)*~?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?)\b"
    r"|~?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?)\s+"
    r"(?:handler|task|job|processing)\b",
    re.IGNORECASE,
)


def _processing_time_from_text(texts: Iterable[str]) -> tuple[float, str] | None:
    best: tuple[float, str] | None = None
    for t in texts:
        for m in _PT_RE.finditer(t):
            num, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            ms = parse_duration_ms(f"{num}{unit}")
            if ms is not None and (best is None or ms > best[0]):
                best = (ms, m.group(0).strip())
    return best


def _signature_hits(sig_pattern: str, kind: str, text: str, matches: bool) -> bool:
    """A signature match with word boundaries at alphanumeric edges (no 'Timeout' inside 'BlockedTimeout')."""
    if kind == "regex":
        return matches
    if matches:
        pat = sig_pattern.lower()
        low = text.lower()
        start = 0
        while True:
            i = low.find(pat, start)
            if i < 0:
                break
            j = i + len(pat)
            left_ok = not pat[0].isalnum() or i == 0 or not low[i - 1].isalnum()
            right_ok = not pat[-1].isalnum() or j == len(low) or not low[j].isalnum()
            if left_ok and right_ok:
                return True
            start = i + 1
        return False
    if kind == "exception":
        # The same error code spelled by another client: UNKNOWN_MEMBER_ID / UnknownMemberId / UnknownMemberIdError.
        sq = re.sub(r"[^a-z0-9]", "", sig_pattern.lower())
        if len(sq) >= 6:
            for ident in re.findall(r"[A-Za-z0-9_]+", text):
                si = ident.replace("_", "").lower()
                if si in (sq, sq + "error", sq + "exception"):
                    return True
    return False


def _referenced_keys(node: Any) -> tuple[set[str], set[str]]:
    """(keys tested for a value, keys tested only for absence/presence)."""
    if isinstance(node, ConfigPredicateGroup):
        val: set[str] = set()
        pres: set[str] = set()
        for m in node.members:
            a, b = _referenced_keys(m)
            val |= a
            pres |= b
        return val, pres
    assert isinstance(node, ConfigPredicate)
    if node.op in ("exists", "missing"):
        return set(), {node.key}
    keys = {node.key}
    if node.value_key:
        keys.add(node.value_key)
    return keys, set()


def _describe(node: Any) -> str:
    if isinstance(node, ConfigPredicateGroup):
        joiner = " and " if node.all_of is not None else " or "
        return "(" + joiner.join(_describe(m) for m in node.members) + ")"
    v = node.value
    if isinstance(v, list):
        vs = "[" + ", ".join(str(getattr(x, "value", x)) for x in v) + "]"
    elif v is None:
        vs = node.value_key or ""
    else:
        vs = str(getattr(v, "value", v)).lower() if isinstance(getattr(v, "value", v), bool) else \
            str(getattr(v, "value", v))
    op = {"eq": "=", "ne": "!=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "in": "in", "not_in": "not in",
          "exists": "is set", "missing": "is not set"}[node.op]
    return f"{node.key} {op} {vs}".strip()


# --------------------------------------------------------------------------------------------------------------
# Scoring
# --------------------------------------------------------------------------------------------------------------


class _Index:
    """IDF over the catalogue and the tokenised phrases of every entry (computed once per knowledge base)."""

    def __init__(self, fms: list[FailureMode]) -> None:
        self.phrases: dict[str, list[tuple[str, list[str]]]] = {}
        df: dict[str, int] = {}
        for fm in fms:
            items = [(s, tokenize(s)) for s in fm.symptoms] + [(fm.title, tokenize(fm.title))]
            self.phrases[fm.id] = [(text, toks) for text, toks in items if toks]
            vocab = {t for _, toks in items for t in toks}
            for t in vocab:
                df[t] = df.get(t, 0) + 1
        n = len(fms)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}


_INDEX_CACHE: dict[int, _Index] = {}


def _index(kb: KnowledgeBase) -> _Index:
    key = id(kb.failure_modes)
    if key not in _INDEX_CACHE:
        _INDEX_CACHE.clear()
        _INDEX_CACHE[key] = _Index(kb.failure_modes.failure_modes)
    return _INDEX_CACHE[key]


class _Scored:
    def __init__(self, fm: FailureMode) -> None:
        self.fm = fm
        self.raw = 0.0
        self.score = 0.0
        self.pro: list[Evidence] = []
        self.con: list[Evidence] = []
        self.sig = 0

    def add(self, ev: Evidence) -> None:
        self.raw += ev.weight
        (self.pro if ev.weight > 0 else self.con).append(ev)


def _best_quote(sentences: list[tuple[str, set[str]]], toks: list[str]) -> str | None:
    best, hits = None, 0
    for s, st in sentences:
        n = len(st & set(toks))
        if n > hits:
            best, hits = s, n
    return best


def _phrase_match(uniq: list[str], total: float, toks: set[str], idf: Mapping[str, float]) -> tuple[float, list[str]]:
    got = [t for t in uniq if t in toks]
    got_idf = sum(idf.get(t, 0.0) for t in got)
    cov = got_idf / total
    if cov < MIN_COVERAGE:
        return 0.0, got
    return cov * min(1.0, got_idf / K_INFO), got


def _score_symptoms(sc: _Scored, idx: _Index, user: set[str], sentences: list[tuple[str, set[str]]]) -> None:
    """Phrase matches within one sentence count fully; words gathered across sentences count SPREAD_FACTOR."""
    covs: list[tuple[float, str, list[str], str | None]] = []
    for text, toks in idx.phrases.get(sc.fm.id, []):
        uniq = sorted(set(toks))
        total = sum(idx.idf.get(t, 0.0) for t in uniq)
        if total <= 0:
            continue
        best, best_got, quote = 0.0, [], None
        for sent, stoks in sentences:
            val, got = _phrase_match(uniq, total, stoks, idx.idf)
            if val > best:
                best, best_got, quote = val, got, sent
        val, got = _phrase_match(uniq, total, user, idx.idf)
        if val * SPREAD_FACTOR > best:
            best, best_got, quote = val * SPREAD_FACTOR, got, _best_quote(sentences, got)
        if best > 0:
            covs.append((best, text, best_got, quote))
    covs.sort(key=lambda c: (-c[0], c[1]))
    for factor, (val, text, got, quote) in zip((1.0, 0.5, 0.25), covs[:3]):
        sc.add(Evidence(kind="symptom", effect="supports", weight=round(W_SYM * factor * val, 3),
                        quote=quote, matched=text,
                        why=f"matched words: {', '.join(got)} (match strength {val:.2f})"))


def _score_signatures(scored: dict[str, _Scored], lines: list[str]) -> list[tuple[str, str]]:
    """Signature evidence; returns (broker, pattern) pairs for broker inference."""
    sig_brokers: list[tuple[str, str]] = []
    per_entry: dict[str, list[Evidence]] = {}
    for line in lines:
        hits: dict[str, list[Any]] = {}
        for sc in scored.values():
            for sig in sc.fm.error_signatures:
                if _signature_hits(sig.pattern, sig.kind, line, sig.matches(line)):
                    hits.setdefault(sc.fm.id, []).append(sig)
                    if sig.broker:
                        sig_brokers.append((sig.broker, sig.pattern))
        k = len(hits)
        for fid, sigs in hits.items():
            best = max(sigs, key=lambda s: (len(s.pattern), s.pattern))
            spec = min(1.0, 0.4 + len(best.pattern) / 30)
            w = W_SIG * spec / math.sqrt(k)
            per_entry.setdefault(fid, []).append(Evidence(
                kind="error_signature", effect="supports", weight=round(w, 3), quote=line.strip()[:300],
                matched=f"{best.kind}: {best.pattern}",
                why=(f"printed by {best.client or best.broker or 'the client'}" +
                     (f"; the same line also matches {k - 1} other entr{'y' if k == 2 else 'ies'}" if k > 1 else "")),
                source=best.source))
    for fid, evs in per_entry.items():
        evs.sort(key=lambda e: (-e.weight, e.matched))
        seen: set[str] = set()
        first = True
        for ev in evs:
            if ev.matched in seen:
                continue
            seen.add(ev.matched)
            if not first:
                ev = ev.model_copy(update={"weight": round(ev.weight * 0.25, 3)})
            scored[fid].add(ev)
            scored[fid].sig += 1
            first = False
    return sig_brokers


def _score_config(sc: _Scored, flat: Mapping[str, Any], parsed: ParsedConfig, config_brokers: set[str]) -> set[str]:
    """Config-condition evidence. Conditions that hold only through a documented default or a missing key count
    (weakly) only when the user's config is of the entry's broker, so an unrelated config does not vote."""
    keys_used: set[str] = set()
    weak_ok = bool(set(sc.fm.brokers) & config_brokers)
    for cond in sc.fm.config_conditions:
        try:
            result = cond.evaluate(flat)
        except Exception:  # noqa: BLE001 - a malformed user value must not break the diagnosis
            result = None
        if result is not True:
            continue
        val_keys, pres_keys = _referenced_keys(cond)
        explicit = bool(val_keys) and all(k in flat for k in val_keys)
        if not val_keys and pres_keys:
            explicit = False
        if not explicit and not weak_ok:
            continue
        w = W_CFG if explicit else W_CFG_WEAK
        quotes = [q for k in sorted(val_keys | pres_keys) if (q := parsed.quote(k))]
        if explicit:
            keys_used |= val_keys
        basis = "" if explicit else " (relies on a documented default or on a key being absent)"
        sc.add(Evidence(kind="config_condition", effect=cond.effect, weight=w if cond.effect == "supports" else -w,
                        quote="; ".join(quotes) or None, matched=_describe(cond) + basis, why=cond.why,
                        source=getattr(getattr(cond, "default", None), "source", None)))
    return keys_used


def _score_metrics(sc: _Scored, observed: dict[str, ObservedPattern]) -> None:
    for mp in sc.fm.metric_patterns:
        ob = observed.get(mp.name)
        if ob is None:
            continue
        w = W_MET if mp.effect == "supports" else -0.75 * W_MET
        sc.add(Evidence(kind="metric_pattern", effect=mp.effect, weight=w, quote=ob.detail, matched=mp.name,
                        why=mp.why, source=ob.source))


# --------------------------------------------------------------------------------------------------------------
# Lag, checklist, notes
# --------------------------------------------------------------------------------------------------------------


def _lag(metrics: Metrics | None) -> tuple[LagVerdict | None, list[Any]]:
    if metrics is None or not metrics.consumer_group_offsets:
        return None, []
    cfg = metrics.lag_evaluation or LagEvaluationConfig()
    groups: dict[str, list[PartitionOffsets]] = {}
    for p in metrics.consumer_group_offsets:
        groups.setdefault(p.group or "default", []).append(
            PartitionOffsets(topic=p.topic, partition=p.partition, samples=p.samples))
    results, verdicts, errors = [], [], []
    for name in sorted(groups):
        try:
            r = evaluate_group(name, groups[name], cfg)
        except LagInputError as exc:
            errors.append(f"group {name!r}: {exc}")
            continue
        results.append(r)
        verdicts.append(GroupVerdict(
            group=r.group, status=r.status, total_lag=r.total_lag, complete=r.complete, summary=r.summary,
            partitions=[PartitionVerdict(topic=p.topic, partition=p.partition, status=p.status,
                                         current_lag=p.current_lag, window=p.window, reasons=p.reasons)
                        for p in r.partitions]))
    order = {"OK": 0, "WARNING": 1, "ERROR": 2}
    status = max((v.status for v in verdicts), key=lambda s: order[s], default="OK")
    if errors and not verdicts:
        status = "OK"
    verdict = LagVerdict(status=status, groups=verdicts, errors=errors,  # type: ignore[arg-type]
                         sources=list(BURROW_SOURCES))
    return verdict, results


def _checklist(kb: KnowledgeBase, flat: Mapping[str, Any], parsed: ParsedConfig, broker: str | None,
               ctx: NormalizedContext | None, metrics: Metrics | None, lag: LagVerdict | None) -> list[ChecklistResult]:
    def q(key: str) -> str:
        return parsed.quote(key) or key

    def b(key: str) -> bool | None:
        v = flat.get(key)
        if isinstance(v, bool):
            return v
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        return None

    def n(key: str) -> float | None:
        v = flat.get(key)
        if isinstance(v, bool) or v is None:
            return None
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    delivery = ctx.delivery if ctx else None
    out: list[ChecklistResult] = []
    for item in kb.debug_checklist.items:
        status, reason = "unknown", ""
        if item.id == "producer_acks":
            acks = flat.get("acks")
            if acks is not None:
                a = str(acks).lower()
                if a in ("all", "-1"):
                    status, reason = "pass", f"{q('acks')}: the write waits for the in-sync replicas"
                    if b("enable.idempotence") is False:
                        reason += ", but enable.idempotence=false lets retries duplicate records"
                else:
                    status, reason = "fail", f"{q('acks')}: acknowledged writes can be lost on leader failover"
            elif b("publisher_confirms") is not None:
                ok = b("publisher_confirms")
                status = "pass" if ok else "fail"
                reason = f"{q('publisher_confirms')}: " + ("publishes are confirmed" if ok else
                                                          "the publisher never learns whether a message arrived")
            else:
                reason = ("acks is not in the config (default all since Kafka 3.0; older clients default to 1)"
                          if broker == "kafka" else "no producer acknowledgement setting (acks / publisher "
                          "confirms) in the config")
        elif item.id == "offsets_committed":
            nc = [f"{p.topic}:{p.partition}" for g in (lag.groups if lag else []) for p in g.partitions
                  if p.status == "NOT_COMMITTED"]
            auto = b("enable.auto.commit")
            if nc:
                status, reason = "fail", f"no committed offset for {', '.join(nc[:5])} in the samples"
            elif auto is True and delivery in ("at_least_once", "exactly_once"):
                status, reason = "fail", (f"{q('enable.auto.commit')}: offsets are committed on a timer, before "
                                          f"processing is known to be done ({delivery} stated)")
            elif auto is False:
                status, reason = "pass", (f"{q('enable.auto.commit')}: offsets are committed by the application "
                                          "(check that it commits after processing)")
            elif lag and lag.groups:
                status, reason = "pass", "the samples show committed offsets for every partition"
            elif auto is True:
                reason = (f"{q('enable.auto.commit')}: offsets are committed, but on a timer; state the delivery "
                          "guarantee to judge whether that is acceptable")
            else:
                reason = "no commit setting in the config and no offset samples"
        elif item.id == "replication_factor":
            key = next((k for k in ("replication.factor", "default.replication.factor", "x-quorum-initial-group-size",
                                    "num_replicas") if k in flat), None)
            if key is not None and n(key) is not None:
                ok = n(key) >= 3  # type: ignore[operator]
                status = "pass" if ok else "fail"
                reason = f"{q(key)}" + (" (>= 3)" if ok else ": below 3, one broker loss can lose or block data")
            elif str(flat.get("x-queue-type", "")).lower() == "quorum":
                status, reason = "pass", f"{q('x-queue-type')}: quorum queues default to 3 replicas"
            else:
                reason = "no replication setting in the config"
        elif item.id == "lag_monitored":
            if lag and lag.groups:
                status, reason = "pass", f"offset samples were supplied (group status {lag.status})"
            elif metrics and (metrics.queue_depths or metrics.oldest_message_age_ms):
                status, reason = "pass", "queue depth / message age samples were supplied"
            else:
                reason = "no lag or queue-depth samples were given; whether lag is alerted on cannot be seen"
        elif item.id == "dlq_alerts":
            dlq_keys = [k for k in ("x-dead-letter-exchange", "RedrivePolicy", "RedrivePolicy.deadLetterTargetArn",
                                    "deadLetterPolicy.deadLetterTopic") if k in flat]
            if metrics and metrics.dlq_depths:
                status, reason = "pass", "DLQ depth samples were supplied (keep an alert on their growth)"
            elif dlq_keys:
                reason = (f"a dead-letter target is configured ({q(dlq_keys[0])}); whether its depth is alerted on "
                          "cannot be seen from config")
            elif str(flat.get("x-queue-type", "")).lower() == "quorum" or (
                    broker == "sqs" and any(k in flat for k in ("VisibilityTimeout", "MessageRetentionPeriod"))):
                status, reason = "fail", "the queue config has no dead-letter target, so there is nothing to alert on"
            else:
                reason = "no dead-letter setting in the config"
        elif item.id == "idempotency":
            if ctx is not None and ctx.idempotent_consumers is not None:
                ok = ctx.idempotent_consumers
                status = "pass" if ok else "fail"
                reason = ("the context states consumers deduplicate" if ok else
                          "the context states consumers do not deduplicate" +
                          (f", yet delivery is {delivery} (redeliveries will be processed twice)"
                           if delivery in ("at_least_once", "exactly_once") else ""))
            else:
                reason = "the context does not say whether consumers deduplicate (requirements.idempotent_consumers)"
        elif item.id == "schema_registry":
            reg = [k for k in flat if "schema.registry.url" in k or k.endswith("schemaregistryurl")]
            if reg:
                status, reason = "pass", f"{q(reg[0])} is set"
            elif "compatibility" in flat:
                status, reason = "pass", f"{q('compatibility')}: a registry compatibility mode is configured"
            else:
                reason = "no schema registry setting in the config"
        out.append(ChecklistResult(id=item.id, question=item.question,
                                   status=status, reason=reason,  # type: ignore[arg-type]
                                   how_to_check=list(item.how_to_check), sources=list(item.sources)))
    return out


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


def _as_lines(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for it in items:
        out.extend(ln for ln in str(it).splitlines() if ln.strip())
    return out


def _context(raw: NormalizedContext | dict[str, Any] | None, kb: KnowledgeBase) -> tuple[NormalizedContext | None,
                                                                                          list[str]]:
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


# --------------------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------------------


def _condition_keys(kb: KnowledgeBase) -> set[str]:
    keys: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, ConfigPredicateGroup):
            for m in node.members:
                walk(m)
        else:
            keys.add(node.key)
            if node.value_key:
                keys.add(node.value_key)

    for fm in kb.failure_modes.failure_modes:
        for c in fm.config_conditions:
            walk(c)
    return keys


def diagnose(request: DiagnoseRequest, kb: KnowledgeBase) -> Diagnosis:
    """Rank the knowledge base's failure modes against the evidence in ``request``."""
    symptoms = _as_lines(request.symptoms)
    errors = _as_lines(request.error_lines)
    config_given = request.config is not None and (not isinstance(request.config, str) or request.config.strip())
    metrics = request.metrics if request.metrics is not None and not request.metrics.is_empty() else None
    if not symptoms and not errors and not config_given and metrics is None:
        raise DiagnoseInputError(
            "diagnose_issue needs evidence: give at least one of symptoms, error_lines, config or metrics "
            "(broker and event_context alone are not enough)", ["symptoms", "error_lines", "config", "metrics"])

    notes: list[str] = []
    ctx, ctx_notes = _context(request.event_context, kb)
    notes.extend(ctx_notes)
    parsed = parse_config(request.config if config_given else None, _condition_keys(kb))
    notes.extend(f"config: {p}" for p in parsed.problems)
    flat: dict[str, Any] = dict(parsed.flat())

    # Observed facts from metrics and text
    pt_ms: float | None = None
    pt_scope = "message"
    if metrics and metrics.processing_time_ms and metrics.processing_time_ms.worst_ms is not None:
        pt_ms, pt_scope = metrics.processing_time_ms.worst_ms, metrics.processing_time_ms.scope
    elif isinstance(flat.get("observed.max_processing_time_ms"), (int, float)):
        pt_ms = float(flat["observed.max_processing_time_ms"])
    else:
        found = _processing_time_from_text(symptoms)
        if found:
            pt_ms = found[0]
            notes.append(f"Processing time read from the symptoms: {found[1]!r} = {found[0] / 1000:g} s; pass "
                         "metrics.processing_time_ms to state it exactly.")
    if pt_ms is not None and pt_scope == "message":
        flat.setdefault("observed.max_processing_time_ms", pt_ms)
        flat.setdefault("observed.max_processing_time_s", pt_ms / 1000)
        flat.setdefault("observed.max_processing_time_ns", pt_ms * 1e6)
    if metrics and metrics.broker_count is not None:
        flat.setdefault("observed.broker_count", metrics.broker_count)
    if metrics and metrics.consumer_counts:
        last = sorted(metrics.consumer_counts[0].samples, key=lambda s: s.timestamp_ms)[-1].value
        flat.setdefault("observed.consumer_count", last)

    # Scoring skeleton; signatures first (they feed broker inference)
    idx = _index(kb)
    fms = kb.failure_modes.failure_modes
    scored = {fm.id: _Scored(fm) for fm in fms}
    sig_lines = errors + symptoms
    sig_brokers = _score_signatures(scored, sig_lines)

    # Broker
    all_text = "\n".join(symptoms + errors)
    given = normalize_broker(request.broker)
    if given is not None:
        binf = BrokerInference(broker=given, how="given", reasons=[f"given as {request.broker!r}"])
        if given not in KB_BROKERS:
            notes.append(f"Broker {request.broker!r} has no broker-specific entries in the knowledge base; only "
                         "broker-agnostic failure modes fit it.")
    else:
        binf = _infer_broker(all_text, parsed, sig_brokers)
    broker = binf.broker

    # Lag and metric patterns
    lag_verdict, lag_results = _lag(metrics)
    if lag_verdict and lag_verdict.errors:
        notes.extend(f"metrics: {e}" for e in lag_verdict.errors)
    observed_list = compute_metric_patterns(metrics, lag_results, flat, broker,
                                            processing_time_ms=pt_ms if pt_scope == "message" else None)
    observed = {p.name: p for p in observed_list}

    # Config audit
    findings = audit_config(parsed, broker=broker, context=ctx, processing_time_ms=pt_ms,
                            processing_scope=pt_scope)  # type: ignore[arg-type]

    # Score every entry
    user_tokens: set[str] = set()
    sentences: list[tuple[str, set[str]]] = []
    for s in symptoms + errors:
        toks = set(tokenize(s))
        user_tokens |= toks
        sentences.append((s.strip()[:300], toks))
    has_config = bool(parsed.entries) or any(k.startswith("observed.") for k in flat)
    config_brokers = {KEY_BROKERS[k.removeprefix("dlq.").removeprefix("source.")] for k in flat
                      if k.removeprefix("dlq.").removeprefix("source.") in KEY_BROKERS}
    config_brokers.discard("any")
    for sc in scored.values():
        _score_symptoms(sc, idx, user_tokens, sentences)
        cfg_keys = _score_config(sc, flat, parsed, config_brokers) if has_config else set()
        _score_metrics(sc, observed)
        for f in findings:
            if sc.fm.id in f.failure_modes and SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER["medium"] \
                    and f.key not in cfg_keys:
                w = W_AUDIT * (0.5 if f.severity == "medium" else 1.0)
                sc.add(Evidence(kind="config_finding", effect="supports", weight=w,
                                quote=f"{f.key}={f.current_value}", matched=f.id, why=f.message, source=f.source))
        if sc.fm.id == "non_idempotent_consumer_duplicates" and ctx is not None and ctx.idempotent_consumers is False \
                and ctx.delivery in ("at_least_once", "exactly_once"):
            sc.add(Evidence(kind="context", effect="supports", weight=W_CONTEXT,
                            quote=f"delivery={ctx.delivery}, idempotent_consumers=false",
                            matched="at-least-once delivery without idempotent consumers",
                            why="Redeliveries are expected under at-least-once; without deduplication they are "
                            "processed twice."))
        # Broker fit
        factor = 1.0
        if broker is not None and not sc.fm.applies_to(broker):
            factor = PENALTY_GIVEN if binf.how == "given" else PENALTY_INFERRED
            sc.con.append(Evidence(kind="broker", effect="refutes", weight=0.0, quote=broker,
                                   matched=f"entry applies to {', '.join(sc.fm.brokers)}",
                                   why=f"broker {binf.how}; score multiplied by {factor:g}"))
        sc.score = sc.raw * factor if sc.raw > 0 else sc.raw

    kept = [sc for sc in scored.values() if sc.pro and sc.score > 0]
    if binf.how == "given" and broker is not None:
        # The user named the broker: another broker's failure modes are noise, not alternatives. They stay only
        # when nothing for this broker matched at all (still penalised, so the mismatch is visible).
        matching = [sc for sc in kept if sc.fm.applies_to(broker)]
        kept = matching or kept
    kept.sort(key=lambda s: (-round(s.score, 6), -s.sig, s.fm.id))
    total = sum(s.score ** 2 for s in kept) or 1.0
    hyps: list[Hypothesis] = []
    for rank, sc in enumerate(kept[: request.max_hypotheses], start=1):
        strength = 1 - math.exp(-sc.score / 4)
        conf = strength * (0.5 + 0.5 * sc.score ** 2 / total)
        fm = sc.fm
        res = [r for r in fm.resolutions if not r.brokers or broker is None or broker in r.brokers]
        diags = [d for d in fm.next_diagnostics if d.broker is None or broker is None or d.broker == broker
                 or broker not in KB_BROKERS]
        hyps.append(Hypothesis(
            rank=rank, failure_mode_id=fm.id, title=fm.title, category=fm.category, brokers=list(fm.brokers),
            confidence=round(min(1.0, conf), 2), score=round(sc.score, 3),
            evidence_for=sorted(sc.pro, key=lambda e: -e.weight),
            evidence_against=sorted(sc.con, key=lambda e: e.weight), summary=fm.summary, causes=list(fm.causes),
            resolutions=res or list(fm.resolutions), next_diagnostics=diags or list(fm.next_diagnostics),
            sources=list(fm.sources), related=list(fm.related)))

    checklist = _checklist(kb, flat, parsed, broker, ctx, metrics, lag_verdict)

    # Notes: what is missing, what to collect next
    if binf.how == "inferred":
        notes.append(f"Broker inferred as {broker}: {'; '.join(binf.reasons[:3])}. Pass broker to override.")
    elif binf.how == "unknown":
        notes.append("Broker unknown (" + "; ".join(binf.reasons[:2]) + "): every entry was scored; name the "
                     "broker to sharpen the ranking.")
    if not errors:
        notes.append("No error lines: paste the exact exception / log lines; error signatures are the strongest "
                     "evidence.")
    if not config_given:
        notes.append("No config: add the client / topic / queue configuration so conditions and the audit can run.")
    if metrics is None:
        hint = _METRIC_HINTS.get(broker or "", "lag / queue depth samples over time")
        notes.append(f"No metrics: collect {hint}.")
    if ctx is None:
        notes.append("No event_context: state requirements.delivery (and ordering, replay, idempotent_consumers) so "
                     "the audit can check the config against the guarantee.")
    unknown = [e.original_key for e in parsed.entries if e.key not in KEY_BROKERS and not e.key.startswith(
        ("observed.", "dlq.", "source.", "RedrivePolicy"))]
    if unknown:
        notes.append(f"Config keys not recognised (kept, but no rule tests them): {', '.join(unknown[:8])}"
                     + (" ..." if len(unknown) > 8 else ""))
    if not hyps:
        notes.append("No failure mode matched the evidence; describe what is observed (lag, loss, duplicates, "
                     "ordering, errors) or paste error lines.")
    elif hyps[0].confidence < 0.3:
        notes.append("Evidence is weak (top confidence below 0.3): run the next_diagnostics of the top hypotheses "
                     "before acting.")

    config_read = [ConfigKeyRead(key=e.key, original_key=e.original_key, value=str(e.value), note=e.note)
                   for e in parsed.entries]
    return Diagnosis(broker=binf, hypotheses=hyps, checklist=checklist, config_findings=findings,
                     lag_verdict=lag_verdict, metric_patterns=observed_list, config_read=config_read, notes=notes,
                     scoring=SCORING_TEXT)

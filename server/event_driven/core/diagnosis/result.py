"""What ``diagnose_issue`` answers: ranked hypotheses with evidence, the checklist, the audit and the lag verdict."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.audit import ConfigFinding
from event_driven.core.evidence import ObservedPattern
from event_driven.core.lag import LagWindow
from event_driven.kb.failure_modes import NextDiagnostic, Resolution

Effect = Literal["supports", "refutes"]
EvidenceKind = Literal["symptom", "retrieval", "version", "error_signature", "config_condition", "metric_pattern",
                       "config_finding", "context", "broker"]


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


class SeparatingQuestion(BaseModel):
    """When the two leading causes are close: the one question, or read-only command, whose answer separates them."""

    model_config = ConfigDict(extra="forbid")

    between: list[str] = Field(description="The two failure-mode ids, leader first")
    question: str
    command: str | None = None
    basis: Literal["knowledge_base", "next_diagnostics"] = Field(
        description="'knowledge_base' when the catalogue states this pair's question; otherwise built from the two "
        "entries' next diagnostics")


class Diagnosis(BaseModel):
    model_config = ConfigDict(extra="forbid")

    broker: BrokerInference
    hypotheses: list[Hypothesis]
    checklist: list[ChecklistResult]
    config_findings: list[ConfigFinding]
    lag_verdict: LagVerdict | None
    separating_question: SeparatingQuestion | None = Field(
        default=None, description="Set when the two leading hypotheses score close to each other")
    metric_patterns: list[ObservedPattern] = Field(description="Patterns computed from the metrics")
    config_read: list[ConfigKeyRead] = Field(description="How each config line was read")
    notes: list[str] = Field(description="Missing evidence and what to collect next")
    scoring: str = Field(description="How scores and confidence are computed")


"""The ``diagnose_issue`` request: what the user reports, validated at the boundary."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from event_driven.core.context import NormalizedContext
from event_driven.core.diagnosis.brokers import BROKER_ALIASES, KNOWN_BROKERS, normalize_broker
from event_driven.core.evidence import Metrics
from event_driven.errors import InputError, field_error

# The fields of which a request needs at least one (broker and event_context alone are not evidence).
EVIDENCE_FIELDS = ("symptoms", "error_lines", "config", "metrics")

def no_evidence_error() -> InputError:
    return InputError(field_error(
        "$", "missing", "diagnose_issue needs evidence: give at least one of symptoms, error_lines, config or "
        "metrics (broker and event_context alone are not enough)", allowed=", ".join(EVIDENCE_FIELDS)))


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
        close = difflib.get_close_matches(value.strip().lower(), [*BROKER_ALIASES, *KNOWN_BROKERS], n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"unknown broker {value!r}; allowed: {', '.join(sorted(KNOWN_BROKERS))} "
                         f"(or leave it out to infer it from the evidence).{hint}")



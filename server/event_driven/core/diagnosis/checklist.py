"""The seed's debug checklist, answered from what the request shows: pass, fail or unknown, with the reason.

The answers are data (``knowledge/debug_checklist.yaml`` verdicts); this module only gathers the facts they test and
fills in the reason templates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from event_driven.core.context import NormalizedContext
from event_driven.core.diagnosis.result import ChecklistResult, LagVerdict
from event_driven.core.evidence import Metrics, ParsedConfig
from event_driven.kb.checklist import PLACEHOLDER, ChecklistItem
from event_driven.kb.loader import KnowledgeBase

# A registry URL key as clients spell it (schema.registry.url, spring's ...schema-registry-url, .NET SchemaRegistryUrl).
_REGISTRY_KEY = re.compile(r"schema\.registry\.url|schemaregistryurl$")


@dataclass(frozen=True)
class Facts:
    """What the request shows, as the checklist's conditions see it."""

    flat: Mapping[str, Any]
    parsed: ParsedConfig
    broker: str | None
    ctx: NormalizedContext | None
    metrics: Metrics | None
    lag: LagVerdict | None


def _facts(f: Facts) -> tuple[dict[str, Any], dict[str, str]]:
    """(fact -> value, fact -> the config key to quote for it)."""
    facts: dict[str, Any] = dict(f.flat)
    aliases: dict[str, str] = {}
    facts["broker"] = f.broker
    if f.ctx is not None:
        facts["context.delivery"] = f.ctx.delivery
        facts["context.idempotent_consumers"] = f.ctx.idempotent_consumers
    groups = f.lag.groups if f.lag else []
    not_committed = [f"{p.topic}:{p.partition}" for g in groups for p in g.partitions if p.status == "NOT_COMMITTED"]
    if not_committed:
        facts["samples.not_committed"] = ", ".join(not_committed[:5])
    if f.lag and groups:
        facts["samples.lag_status"] = f.lag.status
    if f.metrics and (f.metrics.queue_depths or f.metrics.oldest_message_age_ms):
        facts["samples.depth_or_age"] = True
    if f.metrics and f.metrics.dlq_depths:
        facts["samples.dlq_depth"] = True
    registry = next((k for k in f.flat if _REGISTRY_KEY.search(k)), None)
    if registry is not None:
        facts["schema.registry.url"] = f.flat[registry]
        aliases["schema.registry.url"] = registry
    return facts, aliases


def _reason(template: str, facts: Mapping[str, Any], aliases: Mapping[str, str], parsed: ParsedConfig) -> str:
    def fill(m: re.Match[str]) -> str:
        kind, name = m.group(1), m.group(2)
        if kind == "v":
            return str(facts.get(name, ""))
        key = aliases.get(name, name)
        return parsed.quote(key) or key

    return PLACEHOLDER.sub(fill, template)


def _answer(item: ChecklistItem, facts: Mapping[str, Any], aliases: Mapping[str, str],
            parsed: ParsedConfig) -> ChecklistResult:
    verdict = next((v for v in item.verdicts if v.when.evaluate(facts) is True), None)
    status = verdict.status if verdict else "unknown"
    reason = _reason(verdict.reason if verdict else item.otherwise, facts, aliases, parsed)
    return ChecklistResult(id=item.id, question=item.question, status=status, reason=reason,
                           how_to_check=list(item.how_to_check), sources=list(item.sources))


def answer_checklist(kb: KnowledgeBase, given: Facts) -> list[ChecklistResult]:
    facts, aliases = _facts(given)
    return [_answer(item, facts, aliases, given.parsed) for item in kb.debug_checklist.items]

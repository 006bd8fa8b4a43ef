"""Configuration audit: a user's broker / client configuration checked against the delivery guarantee they state
and against known pitfalls.

Every finding names the key, its current value, the fix and the source the rule rests on. Figures are the documented
ones (``knowledge/``); where a threshold is a judgement rather than a documented limit the finding's ``judgement``
field says so. The engine is :mod:`.engine`; each broker's rules are small units in their own module. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The broker modules register their rules on import, in this order.
from event_driven.core.audit import kafka, nats, pulsar, rabbitmq, sqs  # noqa: F401
from event_driven.core.audit.engine import RULES, Audited, AuditRule, ConfigFinding, ProcessingScope, run_rules
from event_driven.core.context import NormalizedContext
from event_driven.core.evidence import ParsedConfig, parse_config
from event_driven.kb.loader import KnowledgeBase
from event_driven.units import to_float

__all__ = ["RULES", "AuditRule", "ConfigFinding", "audit_config"]


def audit_config(
    config: ParsedConfig | Mapping[str, Any] | str | None,
    *,
    kb: KnowledgeBase,
    broker: str | None = None,
    context: NormalizedContext | None = None,
    processing_time_ms: float | None = None,
    processing_scope: ProcessingScope = "message",
    known_keys: Iterable[str] = (),
) -> list[ConfigFinding]:
    """Audit a configuration; most severe findings first.

    ``broker`` restricts the checks to one broker (otherwise the brokers whose key styles appear in the config are
    checked). ``context`` supplies the delivery guarantee, ordering, replay need and message size.
    ``processing_time_ms`` is the worst-case time to process one message (``processing_scope='message'``) or one
    poll batch (``'batch'``). ``kb`` supplies the documented defaults and the sources.
    """
    parsed = config if isinstance(config, ParsedConfig) else parse_config(config, known_keys)
    if processing_time_ms is None:
        processing_time_ms = to_float(parsed.flat().get("observed.max_processing_time_ms"))
    return run_rules(Audited(parsed, broker, context, processing_time_ms, processing_scope, kb))

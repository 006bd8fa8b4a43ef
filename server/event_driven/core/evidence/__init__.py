"""Evidence for ``diagnose_issue``: configuration as users paste it (:mod:`.config`), the typed metric samples
(:mod:`.metrics`) and the named patterns computed from them (:mod:`.patterns`). Pure functions, no I/O."""

from event_driven.core.evidence.config import (
    KEY_BROKERS,
    KNOWN_KEYS,
    ConfigEntry,
    ParsedConfig,
    parse_config,
    parse_duration_ms,
    squash,
)
from event_driven.core.evidence.metrics import (
    CountSample,
    CountSeries,
    DepthSample,
    DepthSeries,
    GroupPartitionOffsets,
    Metrics,
    ProcessingTime,
    RebalanceEvent,
    RedeliverySample,
    RedeliverySeries,
)
from event_driven.core.evidence.patterns import ObservedPattern, compute_metric_patterns

__all__ = [
    "ConfigEntry",
    "CountSample",
    "CountSeries",
    "DepthSample",
    "DepthSeries",
    "GroupPartitionOffsets",
    "KEY_BROKERS",
    "KNOWN_KEYS",
    "Metrics",
    "ObservedPattern",
    "ParsedConfig",
    "ProcessingTime",
    "RebalanceEvent",
    "RedeliverySample",
    "RedeliverySeries",
    "compute_metric_patterns",
    "parse_config",
    "parse_duration_ms",
    "squash",
]

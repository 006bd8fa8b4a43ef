"""Pulsar audit rules: namespace retention against the replay the context needs."""

from __future__ import annotations

from collections.abc import Iterator

from event_driven.core.audit.engine import Audited, Hit, rule
from event_driven.core.audit.retention import retention_hits


@rule("pulsar_retention_shorter_than_replay", "pulsar", "pulsar-cookbooks-retention-expiry",
      "pulsar_no_subscription_no_retention")
def retention_shorter_than_replay(a: Audited) -> Iterator[Hit]:
    minutes = a.num("retentionTimeInMinutes")  # -1 is unlimited; the default 0 keeps nothing once acknowledged
    configured = ("retentionTimeInMinutes", None if minutes < 0 else minutes * 60_000) if minutes is not None else None
    yield from retention_hits(a, "pulsar", configured, 0.0)

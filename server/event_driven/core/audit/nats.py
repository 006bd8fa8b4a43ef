"""NATS JetStream audit rules: the ack deadline, the payload limit and stream retention."""

from __future__ import annotations

from collections.abc import Iterator

from event_driven.core.audit.engine import Audited, Hit, fmt, rule
from event_driven.core.audit.retention import retention_hits


@rule("nats_ack_wait_shorter_than_processing", "nats_jetstream", "nats-jetstream-consumers", "nats_ack_wait_redelivery",
      fix="Raise ack_wait above the worst-case processing time or send in-progress acks (+WPI / "
          "msg.InProgress()).")
def ack_wait_shorter_than_processing(a: Audited) -> Iterator[Hit]:
    configured, per = a.num("ack_wait"), a.per_message_time()
    default = a.default("nats_ack_wait_ns")
    aw = configured if configured is not None else default
    if per is not None and per > aw / 1e6:
        yield Hit("ack_wait", a.shown("ack_wait") or f"(default {aw / 1e9:g} s)", "high",
                  f"Processing takes {per / 1000:g} s but ack_wait is {aw / 1e9:g} s: the server redelivers the "
                  "message while it is still being processed.")


@rule("nats_message_over_max_payload", "nats_jetstream", "gh-nats-io-nats-server-const-go",
      fix="Shrink the event or store the payload elsewhere and publish a reference.")
def message_over_max_payload(a: Audited) -> Iterator[Hit]:
    size = a.ctx.message_size_bytes if a.ctx else None
    default = a.default("nats_max_payload_bytes")
    limit = a.num("max_payload") or default
    if size is not None and size > limit:
        yield Hit("max_payload", a.shown("max_payload") or f"(default {fmt(default)})", "high",
                  f"The stated message size ({size} bytes) is above max_payload ({fmt(limit)} bytes).")


@rule("nats_jetstream_retention_shorter_than_replay", "nats_jetstream", "nats-jetstream-streams")
def retention_shorter_than_replay(a: Audited) -> Iterator[Hit]:
    max_age = a.num("max_age")  # nanoseconds; 0 is unlimited
    configured = ("max_age", max_age / 1e6 if max_age else None) if max_age is not None else None
    yield from retention_hits(a, "nats_jetstream", configured, None)

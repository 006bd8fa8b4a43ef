"""SQS audit rules: visibility timeout, FIFO redrive, dead-letter retention, polling, message size, retention."""

from __future__ import annotations

from collections.abc import Iterator

from event_driven.core.audit.engine import Audited, Hit, SettingRule, fmt, rule, setting_rules
from event_driven.core.audit.retention import retention_hits

_DAY_S = 86_400
_SIZE_RAISED_SOURCE = "aws-compute-more-room-to-build-serverless-services-now-support-p"  # the 1 MiB quota


def _visibility(a: Audited) -> tuple[float | None, float]:
    vt = a.num("VisibilityTimeout")
    return vt, vt if vt is not None else a.default("sqs_visibility_timeout_s")


def _processing_outlasts_visibility(a: Audited) -> bool:
    per = a.per_message_time()
    return per is not None and per / 1000 > _visibility(a)[1]


@rule("sqs_visibility_shorter_than_processing", "sqs", "aws-apireference-api-changemessagevisibility",
      "sqs_visibility_timeout_too_short")
def visibility_shorter_than_processing(a: Audited) -> Iterator[Hit]:
    per = a.per_message_time()
    if per is None or not _processing_outlasts_visibility(a):
        return
    limit_s = _visibility(a)[1]
    yield Hit("VisibilityTimeout",
              a.shown("VisibilityTimeout") or f"(default {fmt(a.default('sqs_visibility_timeout_s'))})", "high",
              f"Processing takes {per / 1000:g} s but the visibility timeout is {limit_s:g} s: the message becomes "
              "visible again and another receiver processes it a second time.",
              f"Set VisibilityTimeout above the worst-case processing time (> {per / 1000:g} s, max 12 h) or extend "
              "it while working with ChangeMessageVisibility.")


@rule("sqs_visibility_zero", "sqs", "aws-apireference-api-changemessagevisibility", "sqs_visibility_timeout_too_short")
def visibility_zero(a: Audited) -> Iterator[Hit]:
    if _visibility(a)[0] == 0 and not _processing_outlasts_visibility(a):
        yield Hit("VisibilityTimeout", a.shown("VisibilityTimeout"), "high",
                  "VisibilityTimeout=0: a received message is immediately visible again, so concurrent or repeated "
                  "receives return the same message (duplicates).",
                  f"Set VisibilityTimeout above the processing time (default "
                  f"{fmt(a.default('sqs_visibility_timeout_s'))} s).")


def _fifo(a: Audited) -> bool:
    return a.flag("FifoQueue") is True


@rule("sqs_fifo_redrive_breaks_order", "sqs", "aws-sqs-dead-letter-queues", "sqs_fifo_dlq_breaks_order",
      fix="If order matters, retry in place (no redrive) and alert on ApproximateAgeOfOldestMessage; "
          "otherwise keep the DLQ.")
def fifo_redrive_breaks_order(a: Audited) -> Iterator[Hit]:
    redrive = a.has("RedrivePolicy") or a.has("RedrivePolicy.deadLetterTargetArn")
    ordering = a.ctx.ordering if a.ctx else None
    if _fifo(a) and redrive and ordering != "none":
        yield Hit("RedrivePolicy", a.shown("RedrivePolicy") or "(set)", "medium" if ordering else "low",
                  "A redrive policy on a FIFO queue moves a failing message aside while the rest of its group "
                  "continues, which breaks strict order; AWS advises against a DLQ on FIFO queues when exact order "
                  "matters" + ("." if ordering else " (the context does not say whether order matters)."))


@rule("sqs_dlq_retention_not_longer", "sqs", "aws-setting-up-dead-letter-queue-retention", "sqs_dlq_retention_expiry")
def dlq_retention_not_longer(a: Audited) -> Iterator[Hit]:
    dlq_ret, src_ret = a.num("dlq.MessageRetentionPeriod"), a.num("source.MessageRetentionPeriod")
    if dlq_ret is None or _fifo(a):
        return
    src = src_ret if src_ret is not None else a.default("sqs_retention_default_s")
    if dlq_ret <= src:
        yield Hit("dlq.MessageRetentionPeriod", a.shown("dlq.MessageRetentionPeriod"), "medium",
                  f"DLQ retention ({dlq_ret / _DAY_S:g} d) is not longer than the source queue's ({src / _DAY_S:g} d"
                  f"{'' if src_ret is not None else ', default'}): on standard queues expiry counts from the original "
                  "enqueue time, so dead-lettered messages can expire at once.",
                  f"Set the DLQ's MessageRetentionPeriod longer than the source's (max "
                  f"{a.threshold('sqs_max_retention_hours') / 24:g} days).")

setting_rules(
    SettingRule("sqs_short_polling", "sqs", "aws-quotas-queues", ("sqs_short_polling_empty_receives",),
                "ReceiveMessageWaitTimeSeconds", "low", when=lambda a: a.num("ReceiveMessageWaitTimeSeconds") == 0,
                why="Short polling (wait time 0) samples a subset of servers: receives often come back empty while "
                    "messages are queued, and the extra requests cost money.",
                fix="Enable long polling: ReceiveMessageWaitTimeSeconds (or WaitTimeSeconds) up to 20."),
)


@rule("sqs_message_over_limit", "sqs", "aws-quotas-messages", "sqs_message_too_large",
      fix="Store the payload in S3 and send a reference (claim check / extended client) or shrink the event.")
def message_over_limit(a: Audited) -> Iterator[Hit]:
    size = a.ctx.message_size_bytes if a.ctx else None
    mms, quota = a.num("MaximumMessageSize"), a.threshold("sqs_max_message_bytes")
    limit = mms if mms is not None else quota
    if size is not None and size > limit:
        yield Hit("MaximumMessageSize", a.shown("MaximumMessageSize") or f"(limit {fmt(quota)})", "high",
                  f"The stated message size ({size} bytes) is above the queue's limit ({fmt(limit)} bytes); "
                  "SendMessage fails with InvalidParameterValue.",
                  source=None if mms is not None else _SIZE_RAISED_SOURCE)


@rule("sqs_retention_shorter_than_replay", "sqs", "aws-quotas-messages")
def retention_shorter_than_replay(a: Audited) -> Iterator[Hit]:
    ret = a.num("MessageRetentionPeriod")
    configured = ("MessageRetentionPeriod", ret * 1000) if ret is not None else None
    yield from retention_hits(a, "sqs", configured, a.default("sqs_retention_default_s") * 1000)

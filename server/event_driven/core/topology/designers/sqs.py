"""Amazon SQS: standard or FIFO queues (with SNS topics for fan-out), redrive policies and dead-letter queues."""

from __future__ import annotations

import math
from typing import Any

from event_driven.core.topology import models, naming
from event_driven.core.topology.designers import common
from event_driven.core.topology.workload import buffer_size
from event_driven.kb.loader import KnowledgeBase
from event_driven.vocab import BrokerId

LONG_POLL_SECONDS = 20  # ReceiveMessage WaitTimeSeconds maximum (brokers.yaml sqs notes; aws-quotas-queues)


class _Queues:
    """What every queue of one plan shares."""

    def __init__(self, spec: models.DesignInput, kb: KnowledgeBase):
        self.fifo = spec.variant in ("fifo", "fifo_high_throughput") or (
            spec.variant is None and (spec.ordering != "none" or spec.delivery == "exactly_once"))
        self.high = spec.variant == "fifo_high_throughput"
        default_visibility = int(common.broker_figure(kb, "sqs", "visibility_timeout_default"))
        max_visibility = int(common.broker_figure(kb, "sqs", "visibility_timeout_max"))
        self.visibility = min(max_visibility, max(default_visibility, math.ceil(spec.workload.ack_deadline_ms / 1000)))
        self.max_retention_s = int(common.threshold(kb, "sqs_max_retention_hours")) * 3600
        default = kb.brokers.broker("sqs").retention.default_retention
        default_hours = int(default.value) if default else 0  # brokers.yaml gives it in hours (4 days)
        self.retention_s = min(self.max_retention_s, (spec.retention_hours or default_hours) * 3600)
        self.rule = f"{naming.CONVENTION} with '-' for '.'; SQS: [A-Za-z0-9_-], at most 80 characters" + (
            ", '.fifo' suffix" if self.fifo else "")

    def attributes(self, spec: models.DesignInput, dlq_name: str) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "VisibilityTimeout": self.visibility,
            "MessageRetentionPeriod": self.retention_s,
            "ReceiveMessageWaitTimeSeconds": LONG_POLL_SECONDS,
        }
        if self.fifo:
            attrs.update({"FifoQueue": True, "ContentBasedDeduplication": False})
            if self.high:
                attrs.update({"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"})
        if spec.retry_policy.dead_letter_enabled:
            attrs["RedrivePolicy"] = {"deadLetterTargetArn": f"arn-of:{dlq_name}",
                                      "maxReceiveCount": spec.retry_policy.backoff.max_attempts}
        return attrs


def _queue_pair(spec: models.DesignInput, q: _Queues, lc: models.LogicalChannel, g: models.ConsumerGroup | None,
                base: str, topic: str | None) -> list[models.Channel]:
    """The queue a group (or the channel) reads, and its dead-letter queue."""
    fan_out = topic is not None
    qbase = f"{base}.{naming.check_service(g.name)}" if fan_out and g else base
    dlq_name = naming.sqs_queue(qbase + "-dlq", q.fifo)
    qname = naming.sqs_queue(qbase, q.fifo)
    key = f"{lc.key}@{g.name}" if fan_out and g else f"{lc.key}@queue"
    out = [models.Channel(key=key, name=qname, kind="queue", role=lc.role,
                   purpose=lc.purpose + (f", for {g.name}" if fan_out and g else ""),
                   retention_hours=q.retention_s // 3600, cleanup_policy="deleted on DeleteMessage",
                   settings={"attributes": q.attributes(spec, dlq_name), "subscribes_to": topic},
                   naming_rule=q.rule)]
    if spec.retry_policy.dead_letter_enabled:
        dattrs: dict[str, Any] = {"MessageRetentionPeriod": q.max_retention_s}
        if q.fifo:
            dattrs["FifoQueue"] = True
        out.append(models.Channel(key=key + ".dlq", name=dlq_name, kind="queue", role="dead_letter",
                           purpose=f"Dead letters of {qname}", retention_hours=q.max_retention_s // 3600,
                           cleanup_policy="14-day retention (maximum)", settings={"attributes": dattrs},
                           naming_rule=q.rule))
    return out


def _channels(spec: models.DesignInput, q: _Queues) -> list[models.Channel]:
    by_key = {c.key: c for c in spec.logical_channels}
    channels: list[models.Channel] = []
    for lc in common.main_channels(spec):
        base = common.logical_name(spec, lc, by_key, spec.retry_policy.dead_letter_suffix)
        groups = common.groups_on(spec, lc.key)
        topic = naming.sqs_queue(base, q.fifo) if lc.role == "events" and groups else None
        if topic:
            channels.append(models.Channel(key=lc.key, name=topic, kind="topic", role=lc.role,
                                    purpose=f"SNS topic: {lc.purpose}",
                                    settings={"FifoTopic": q.fifo, "service": "SNS"}, naming_rule=q.rule))
        lanes: list[models.ConsumerGroup | None] = list(groups) or [None]
        for g in lanes:
            channels += _queue_pair(spec, q, lc, g, base, topic)
    return channels


def _warnings(spec: models.DesignInput, kb: KnowledgeBase, q: _Queues) -> list[models.PlanWarning]:
    warnings = []
    fifo_limit = int(common.broker_figure(kb, "sqs", "batched_msgs_per_action"))
    if q.fifo and spec.ordering != "none" and spec.retry_policy.dead_letter_enabled:
        warnings.append(models.PlanWarning(
            message="A dead-letter queue on a FIFO queue can break strict ordering: a message moved to the DLQ "
                    "lets later messages of its group through.",
            action="If exact order matters more than progress, drop the redrive policy and alert on stuck groups; "
                   "otherwise keep it and make consumers tolerate a gap.", severity="medium"))
    if q.fifo and not q.high and spec.throughput_msg_per_s > fifo_limit:
        warnings.append(models.PlanWarning(
            message=f"{spec.throughput_msg_per_s:,} msg/s exceeds a FIFO queue's {fifo_limit:,} msg/s per API action "
                    "(300 TPS with 10-message batches); SQS throttles the excess.",
            action="Use sqs.fifo_high_throughput with many distinct MessageGroupIds.", severity="high"))
    if not q.fifo and spec.retry_policy.dead_letter_enabled and q.retention_s >= q.max_retention_s:
        warnings.append(models.PlanWarning(
            message="The source queue keeps messages 14 days, the DLQ's maximum too: a standard queue keeps the "
                    "original enqueue time on redrive, so dead letters near that age expire almost at once.",
            action="Keep the source queue's retention well below 14 days so the DLQ holds messages long enough "
                   "to inspect and redrive.", severity="medium"))
    if spec.delivery == "exactly_once" and not q.fifo:
        warnings.append(models.PlanWarning(message="SQS standard queues deliver at least once; exactly-once needs "
                                                   "FIFO.",
                                    action="Use a FIFO queue with MessageDeduplicationId = event_id.", severity="high"))
    max_visibility = int(common.broker_figure(kb, "sqs", "visibility_timeout_max"))
    if spec.workload.ack_deadline_ms > max_visibility * 1000:
        warnings.append(models.PlanWarning(
            message=f"Jobs need a {spec.workload.ack_deadline_ms} ms deadline but SQS caps a message's visibility at "
                    f"{max_visibility} s in total, heartbeats included: longer jobs are redelivered while they run.",
            action="Split the job into steps under 12 h, or hand it to a workflow engine and acknowledge the message "
                   "once the job is accepted.", severity="high"))
    if spec.retention_hours and spec.retention_hours * 3600 > q.max_retention_s:
        warnings.append(models.PlanWarning(message=f"Retention of {spec.retention_hours} h exceeds SQS's 14-day "
                                                   f"maximum; "
                                            f"capped.",
                                    action="Archive messages elsewhere (S3) or choose a log-based broker.",
                                    severity="high"))
    return warnings


def _client(spec: models.DesignInput, kb: KnowledgeBase, q: _Queues) -> models.ClientSettings:
    batch = int(common.broker_figure(kb, "sqs", "max_messages_per_batch"))
    w = spec.workload
    receive = buffer_size(w.slots_per_instance, q.visibility * 1000, w.processing_time_ms,
                          float(kb.patterns.sizing.processing_margin.value), batch)
    producer = {"MessageGroupId": "aggregate_id" if q.fifo else None,
                "MessageDeduplicationId": "event_id" if q.fifo else None, "batch_size": batch}
    consumer = {"WaitTimeSeconds": LONG_POLL_SECONDS, "MaxNumberOfMessages": receive, "VisibilityTimeout": q.visibility,
                "delete_after": "processing succeeds (DeleteMessage)",
                "on_retryable_error": "ChangeMessageVisibility to the backoff delay, leave undeleted",
                "on_non_retryable_error": "SendMessage to the -dlq queue, then DeleteMessage (the redrive policy "
                                          "would retry it maxReceiveCount times first)"}
    reasons = {
        "MessageGroupId": "per-key order: messages of one group are processed one at a time, in order",
        "MessageDeduplicationId": "duplicates with the same id within 5 minutes are dropped",
        "batch_size": f"up to {batch} messages per SendMessageBatch",
        "WaitTimeSeconds": f"long polling (maximum {LONG_POLL_SECONDS} s) instead of empty short polls",
        "VisibilityTimeout": f"covers the {spec.workload.ack_deadline_ms} ms acknowledgement deadline; extend with "
                             "ChangeMessageVisibility for longer jobs (up to 12 h)",
    }
    if w.processing_time_ms:
        reasons["MaxNumberOfMessages"] = (
            f"{receive}: received messages' visibility runs while they wait in the batch, so each must still finish "
            f"inside the {q.visibility} s visibility timeout")
    if w.heartbeat:
        consumer["heartbeat"] = (f"ChangeMessageVisibility(VisibilityTimeout={q.visibility}) every "
                                 f"{max(1, q.visibility // 2)} s while the job runs")
        reasons["heartbeat"] = "AWS: extend the visibility timeout with a heartbeat for jobs that may outlive it"
    return models.ClientSettings(client="AWS SDK (boto3)", producer=producer, consumer=consumer, reasons=reasons,
                          sources=common.urls(kb, "aws-fifo-key-terms", "aws-quotas-messages", "aws-quotas-queues",
                                       "aws-apireference-api-changemessagevisibility"))


class SQSDesigner:
    broker_id: BrokerId = "sqs"

    def design(self, spec: models.DesignInput, kb: KnowledgeBase) -> models.BrokerDesign:
        q = _Queues(spec, kb)
        attempts = spec.retry_policy.backoff.max_attempts
        retry = models.RetryMapping(
            mechanism=f"redrive policy: after maxReceiveCount={attempts} receives the "
                      "message moves to the DLQ; backoff by extending the visibility timeout",
            settings={"maxReceiveCount": attempts, "delays_ms": spec.retry_policy.backoff.delays_ms,
                      "dlq_retention_seconds": q.max_retention_s},
            steps=common.steps(spec, "by setting the message's visibility timeout to the delay "
                               "(ChangeMessageVisibility) and not deleting it", "the -dlq queue",
                               non_retryable="the consumer sends it there (SendMessage with the error class as a "
                                             "message attribute) and deletes it, because the redrive policy moves a "
                                             "message only after maxReceiveCount receives"),
            sources=common.urls(kb, "aws-sqs-dead-letter-queues", "aws-setting-up-dead-letter-queue-retention",
                         "aws-apireference-api-changemessagevisibility"),
        )
        return models.BrokerDesign(
            channels=_channels(spec, q), consumer_groups=spec.consumer_groups, client_settings=_client(spec, kb, q),
            retry=retry, warnings=_warnings(spec, kb, q),
            notes=["FIFO" + (" high-throughput" if q.high else "") + " queues" if q.fifo else "standard queues",
                   "DLQ retention is the 14-day maximum: standard queues keep the original enqueue timestamp on "
                   "redrive"],
        )

"""RabbitMQ: exchanges, quorum/classic queues or streams, a dead-letter exchange, TTL retry tiers, AMQP settings."""

from __future__ import annotations

from typing import Any

from event_driven.core.topology import models, naming
from event_driven.core.topology.designers import common
from event_driven.core.topology.workload import buffer_size
from event_driven.kb.loader import KnowledgeBase
from event_driven.vocab import BrokerId

RULE = f"{naming.CONVENTION}; RabbitMQ: at most 255 bytes, 'amq.' reserved"


def consumer_timeout(spec: models.DesignInput, kb: KnowledgeBase) -> tuple[int, int]:
    """(consumer_timeout, prefetch): the timeout covers a job with margin; prefetch fits inside the timeout."""
    default = int(common.broker_figure(kb, "rabbitmq", "consumer_timeout_default"))
    w = spec.workload
    margin = float(kb.patterns.sizing.processing_margin.value)
    cap = int(kb.patterns.sizing.rabbitmq_prefetch.value)
    timeout = max(default, w.ack_deadline_ms) if w.processing_time_ms else default
    return timeout, buffer_size(w.slots_per_instance, timeout, w.processing_time_ms, margin, cap)


class _Names:
    """The exchanges every queue of one plan shares, and the delivery limit (redeliveries, not deliveries)."""

    def __init__(self, spec: models.DesignInput):
        self.variant = spec.variant or ("stream" if spec.use_case == "event_sourcing" else "quorum")
        self.dlx = naming.rabbitmq_name(f"{spec.domain}.dlx")
        self.retry_x = naming.rabbitmq_name(f"{spec.domain}.retry")
        # x-delivery-limit counts redeliveries: a limit of N allows N + 1 deliveries (observed on RabbitMQ 3.10).
        self.delivery_limit = max(0, spec.retry_policy.backoff.max_attempts - 1)
        self.suffix = spec.retry_policy.dead_letter_suffix


def _arguments(spec: models.DesignInput, names: _Names, qname: str, hours: int | None) -> dict[str, Any]:
    variant = names.variant
    args: dict[str, Any] = {"x-queue-type": variant}
    if variant == "stream":
        if hours is not None:
            args["x-max-age"] = f"{hours}h"
    elif variant == "quorum":
        args["x-quorum-initial-group-size"] = spec.replication_factor
        args.update({"x-delivery-limit": names.delivery_limit, "x-dead-letter-exchange": names.dlx,
                     "x-dead-letter-routing-key": qname, "x-dead-letter-strategy": "at-least-once",
                     "x-overflow": "reject-publish"})
    else:
        args.update({"x-dead-letter-exchange": names.dlx, "x-dead-letter-routing-key": qname})
    if variant != "stream" and hours is not None:
        # The planned retention, mapped: a message waiting longer expires and is dead-lettered (reason 'expired')
        # to the queue's .dlq rather than kept forever. Quorum queues honour message TTL from RabbitMQ 3.10.
        args["x-message-ttl"] = hours * common.HOUR_MS
    return args


def _failure_queues(spec: models.DesignInput, names: _Names, lc: models.LogicalChannel, qname: str,
                    lane: str) -> list[models.Channel]:
    """The queue's dead-letter queue and its TTL retry tiers (quorum and classic queues)."""
    days = spec.retry_policy.dead_letter_retention_days
    out = [models.Channel(
        key=f"{lc.key}@{lane}.dlq", name=naming.rabbitmq_name(qname + names.suffix), kind="queue",
        role="dead_letter", purpose=f"Dead letters of {qname}",
        replication_factor=spec.replication_factor if names.variant == "quorum" else 1,
        retention_hours=days * 24, cleanup_policy="message TTL",
        settings={"durable": True, "bind_to": names.dlx, "routing_key": qname, "arguments": {
            "x-queue-type": "quorum" if names.variant == "quorum" else "classic",
            "x-message-ttl": days * 24 * common.HOUR_MS}},
        naming_rule=RULE)]
    for i, delay in enumerate(spec.retry_policy.backoff.delays_ms, start=1):
        out.append(models.Channel(
            key=f"{lc.key}@{lane}.retry.{i}", name=naming.rabbitmq_name(f"{qname}.retry.{i}"), kind="queue",
            role="retry", purpose=f"Wait {delay} ms, then dead-letter back to {qname}",
            settings={"durable": True, "bind_to": names.retry_x, "routing_key": f"{qname}.retry.{i}",
                      "arguments": {"x-queue-type": "classic", "x-message-ttl": delay,
                                    "x-dead-letter-exchange": "", "x-dead-letter-routing-key": qname}},
            cleanup_policy="message TTL", naming_rule=RULE))
    return out


def _stream_dead_letters(spec: models.DesignInput, names: _Names, lc: models.LogicalChannel,
                         qname: str) -> models.Channel:
    """Streams cannot dead-letter: consumers republish failures here (default exchange, by name)."""
    days = spec.retry_policy.dead_letter_retention_days
    return models.Channel(
        key=f"{lc.key}@stream.dlq", name=naming.rabbitmq_name(qname + names.suffix), kind="queue",
        role="dead_letter", purpose=f"Failed messages of the {qname} stream, republished by consumers",
        replication_factor=spec.replication_factor, retention_hours=days * 24, cleanup_policy="stream max-age",
        settings={"durable": True, "arguments": {"x-queue-type": "stream", "x-max-age": f"{days * 24}h"}},
        naming_rule=RULE)


HASH_HEADER = "x-ordering-key"


def _hash_lanes(spec: models.DesignInput, names: _Names, lc: models.LogicalChannel, base: str,
                g: models.ConsumerGroup) -> list[models.Channel]:
    """Per-key order with parallelism: the group's copy goes to a consistent-hash exchange that spreads the keys
    (header x-ordering-key) over N lane queues, each with a single active consumer; one .dlq per group, and retry
    tiers that dead-letter back through the hash exchange, so a retried message returns to its key's lane."""
    qname = naming.rabbitmq_name(f"{base}.{naming.check_service(g.name)}")
    hash_x = naming.rabbitmq_name(f"{qname}.lanes")
    hours = common.retention_hours(spec, lc)
    out = [models.Channel(
        key=f"{lc.key}@{g.name}.lanes", name=hash_x, kind="exchange", role=lc.role,
        purpose=f"Spreads {g.name}'s copy over {g.lanes} ordered lanes by the hash of the {HASH_HEADER} header",
        settings={"type": "x-consistent-hash", "durable": True, "arguments": {"hash-header": HASH_HEADER},
                  "bind_to": base, "routing_key": "#"}, naming_rule=RULE)]
    for i in range(g.lanes):
        lane_q = naming.rabbitmq_name(f"{qname}.lane.{i}")
        args = {**_arguments(spec, names, qname, hours), "x-single-active-consumer": True}
        out.append(models.Channel(
            key=f"{lc.key}@{g.name}.lane.{i}", name=lane_q, kind="queue", role=lc.role,
            purpose=f"{lc.purpose}, for {g.name} (lane {i} of {g.lanes})",
            replication_factor=spec.replication_factor if names.variant == "quorum" else 1,
            retention_hours=hours, keep_forever=hours is None,
            cleanup_policy="deleted on ack; dead-lettered after x-message-ttl",
            # Binding key '1' is the lane's weight on the hash ring: every lane takes an equal share of the keys.
            settings={"durable": True, "arguments": args, "bind_to": hash_x, "routing_key": "1", "lane": i,
                      "lanes": g.lanes},
            naming_rule=RULE))
    if spec.retry_policy.dead_letter_enabled:
        for c in _failure_queues(spec, names, lc, qname, g.name):
            if c.role == "retry":
                c.settings["arguments"]["x-dead-letter-exchange"] = hash_x
            out.append(c)
    return out


def _channel_objects(spec: models.DesignInput, names: _Names, lc: models.LogicalChannel,
                     base: str) -> list[models.Channel]:
    """The exchange of one logical channel, its queues (one per fan-out group) and their failure queues."""
    groups = common.groups_on(spec, lc.key)
    fan_out = lc.role == "events" and len(groups) > 0
    exchange_type = "topic" if fan_out else "direct"
    out = [models.Channel(key=lc.key, name=base, kind="exchange", role=lc.role, purpose=lc.purpose,
                   settings={"type": exchange_type, "durable": True}, naming_rule=RULE)]
    is_stream = names.variant == "stream"
    if is_stream:
        # A stream is read non-destructively: every group reads the one stream at its own offset.
        fan_out, groups = False, []
    lanes: list[models.ConsumerGroup | None] = list(groups) or [None]
    for g in lanes:
        if g is not None and g.lanes > 1 and fan_out and not is_stream:
            out += _hash_lanes(spec, names, lc, base, g)
            continue
        per_group = g is not None and fan_out
        qname = naming.rabbitmq_name(f"{base}.{naming.check_service(g.name)}" if g and per_group else base)
        lane = g.name if g and per_group else "queue"
        hours = common.retention_hours(spec, lc)
        args = _arguments(spec, names, qname, hours)
        single = spec.ordering == "global" or any(x.strategy == "single_active" for x in common.groups_on(spec, lc.key))
        if single and not is_stream:
            args["x-single-active-consumer"] = True
        out.append(models.Channel(
            key=f"{lc.key}@{lane}", name=qname, kind="queue", role=lc.role,
            purpose=f"{lc.purpose}" + (f", for {g.name}" if g and per_group else ""),
            replication_factor=spec.replication_factor if names.variant in ("quorum", "stream") else 1,
            retention_hours=hours, keep_forever=hours is None,
            cleanup_policy="stream max-age" if is_stream else "deleted on ack; dead-lettered after x-message-ttl",
            settings={"durable": True, "arguments": args, "bind_to": base,
                      "routing_key": "#" if exchange_type == "topic" else qname},
            naming_rule=RULE))
        if spec.retry_policy.dead_letter_enabled and is_stream and not lc.compacted:
            out.append(_stream_dead_letters(spec, names, lc, qname))
        if spec.retry_policy.dead_letter_enabled and not is_stream:
            out += _failure_queues(spec, names, lc, qname, lane)
    return out


def _channels(spec: models.DesignInput, names: _Names) -> list[models.Channel]:
    by_key = {c.key: c for c in spec.logical_channels}
    channels: list[models.Channel] = []
    for lc in common.main_channels(spec):
        base = naming.rabbitmq_name(common.logical_name(spec, lc, by_key, names.suffix))
        channels += _channel_objects(spec, names, lc, base)
    if spec.retry_policy.dead_letter_enabled and names.variant != "stream":
        channels.append(models.Channel(key="dlx", name=names.dlx, kind="exchange", role="dead_letter",
                                purpose="Dead-letter exchange: routes each dead letter to its queue's .dlq",
                                settings={"type": "direct", "durable": True}, naming_rule=RULE))
        channels.append(models.Channel(key="retry", name=names.retry_x, kind="exchange", role="retry",
                                purpose="Retry exchange: consumers republish a failed message to <queue>.retry.<n>",
                                settings={"type": "direct", "durable": True}, naming_rule=RULE))
    return channels


def _stream_reader(consumer: dict[str, Any], reasons: dict[str, str]) -> str:
    """A stream is read with the stream protocol (server-side offsets), or over AMQP with offsets the app keeps."""
    consumer["auto_ack"] = False
    consumer["offset_tracking"] = (
        "stream protocol: store_offset(reference=<group>, offset) after processing, resumed server-side; over "
        "AMQP 0-9-1 the broker keeps no offset: store the last processed offset yourself and consume with "
        "x-stream-offset = stored + 1")
    reasons["auto_ack"] = ("streams take manual acks over AMQP 0-9-1 (an ack only releases prefetch credit); "
                           "at-most-once means storing the offset before processing")
    reasons["offset_tracking"] = ("server-side offset tracking is a stream-protocol feature; an AMQP consumer "
                                  "restarts from x-stream-offset, default 'next', and would skip the backlog")
    return "RabbitMQ stream protocol (port 5552; rstream / rbfly), or AMQP 0-9-1 with x-stream-offset"


def _client(spec: models.DesignInput, kb: KnowledgeBase, variant: str) -> models.ClientSettings:
    amo = spec.delivery == "at_most_once"
    producer: dict[str, Any] = {"publisher_confirms": not amo, "delivery_mode": 2, "mandatory": True}
    laned = any(g.lanes > 1 for g in spec.consumer_groups) and variant != "stream"
    if laned:
        producer["headers"] = {HASH_HEADER: "the ordering key (aggregate_id) of the message"}
    on_crash = {"quorum": "unacked deliveries are requeued; x-delivery-limit caps poison messages",
                "classic": "unacked deliveries are requeued; count x-death and reject after the last attempt",
                "stream": "reading resumes after the last offset the consumer stored; the failed message is "
                          "republished to the .dlq stream by the consumer (streams have no dead-letter exchange)"}
    timeout, prefetch = consumer_timeout(spec, kb)
    consumer: dict[str, Any] = {"prefetch_count": prefetch, "auto_ack": amo,
                                "on_retryable_error": "publish to <queue>.retry.<n> via the retry exchange, then ack",
                                "on_non_retryable_error": "basic.reject requeue=false (dead-letters at once)",
                                "on_crash": on_crash[variant]}
    reasons = {
        "publisher_confirms": "the broker confirms each message once it is safely stored (a quorum of replicas)",
        "delivery_mode": "2 = persistent", "mandatory": "unroutable messages come back instead of vanishing",
        "prefetch_count": "100-300 usually gives optimal throughput; quorum queues cap effective prefetch at 2,000",
        "auto_ack": "manual acks after processing (at-least-once)" if not amo else "auto-ack: at-most-once",
    }
    w = spec.workload
    if w.processing_time_ms:
        consumer["consumer_timeout_ms"] = timeout
        reasons["prefetch_count"] = (
            f"{prefetch}: the last prefetched delivery waits for the ones ahead of it, so prefetch x "
            f"{w.processing_time_ms} ms processing (/{w.slots_per_instance} slots, x margin) must fit in the "
            f"{timeout} ms consumer_timeout or the channel is closed and every delivery requeued")
        reasons["consumer_timeout_ms"] = (
            "delivery acknowledgement timeout (default 30 min): set consumer_timeout in rabbitmq.conf, or per queue "
            "with the consumer-timeout policy / x-consumer-timeout argument on RabbitMQ 3.11.15+")
    client = _stream_reader(consumer, reasons) if variant == "stream" else "AMQP 0-9-1 (pika / aio-pika)"
    lane_source = common.urls(kb, "gh-rabbitmq-consistent-hash-exchange-readme") if laned else []
    return models.ClientSettings(client=client, producer=producer, consumer=consumer,
                          reasons=reasons, sources=lane_source + common.urls(
                              kb, "rabbitmq-confirms-publisher-confirms",
                              "rabbitmq-confirms-channel-qos-prefetch-throughput", "rabbitmq-quorum-queues",
                              "rabbitmq-consumers-single-active-consumer",
                              *(("rabbitmq-streams", "rabbitmq-blog-streams-offset-tracking") if variant == "stream"
                                else ())))


def _mechanism(names: _Names, attempts: int) -> tuple[str, list[models.PlanWarning]]:
    if names.variant == "quorum":
        return (f"quorum queues with x-delivery-limit={names.delivery_limit} (redeliveries, so {attempts} deliveries "
                f"in all) and a dead-letter exchange ({names.dlx}); delayed retries through TTL wait queues that "
                "dead-letter back to the work queue"), []
    if names.variant == "classic":
        return (f"classic queues with a dead-letter exchange ({names.dlx}) for rejected messages and TTL wait queues "
                "for delayed retries; classic queues have no delivery limit, so the consumer counts attempts "
                "(x-death count) and rejects with requeue=false after the last one"), [models.PlanWarning(
                    message="Classic queues have no delivery limit: a message that crashes its consumer is requeued "
                            "forever.",
                    action="Use quorum queues (x-delivery-limit), or have consumers check the x-death count and "
                           "reject(requeue=false) after the last attempt.", severity="medium")]
    return ("streams cannot dead-letter or limit deliveries: the consumer republishes a failed message to "
            "the .dlq stream, records its offset and moves on"), []


def _warnings(spec: models.DesignInput, names: _Names, kb: KnowledgeBase) -> list[models.PlanWarning]:
    warnings = []
    timeout, prefetch = consumer_timeout(spec, kb)
    if timeout > int(common.broker_figure(kb, "rabbitmq", "consumer_timeout_default")):
        warnings.append(models.PlanWarning(
            message=f"Jobs of {spec.workload.processing_time_ms} ms outlive RabbitMQ's default 30-minute delivery "
                    "acknowledgement timeout: the channel would be closed and every unacknowledged delivery requeued, "
                    "counting against the delivery limit until healthy jobs are dead-lettered.",
            action=f"Set consumer_timeout = {timeout} in rabbitmq.conf (or the consumer-timeout policy on RabbitMQ "
                   f"3.11.15+) and keep prefetch at {prefetch}.", severity="high"))
    if names.variant == "stream" and any(lc.compacted for lc in spec.logical_channels):
        warnings.append(models.PlanWarning(message="RabbitMQ streams cannot compact: the snapshots stream keeps every "
                                            "snapshot.",
                                    action="Keep snapshots in a database table keyed by aggregate id, or trim the "
                                           "stream by max-age.", severity="medium"))
    if spec.delivery == "exactly_once":
        warnings.append(models.PlanWarning(message="RabbitMQ has no exactly-once delivery; redeliveries happen.",
                                    action="Deduplicate on event_id in the consumer (inbox table) to get "
                                           "effectively-once processing.", severity="high"))
    return warnings


class RabbitMQDesigner:
    broker_id: BrokerId = "rabbitmq"

    def design(self, spec: models.DesignInput, kb: KnowledgeBase) -> models.BrokerDesign:
        names = _Names(spec)
        mechanism, mechanism_warnings = _mechanism(names, spec.retry_policy.backoff.max_attempts)
        retry = models.RetryMapping(
            mechanism=mechanism,
            settings={"x-delivery-limit": names.delivery_limit, "dead_letter_exchange": names.dlx,
                      "retry_exchange": names.retry_x, "x-dead-letter-strategy": "at-least-once",
                      "delays_ms": spec.retry_policy.backoff.delays_ms},
            steps=common.steps(spec, "through the retry exchange into <queue>.retry.<n>, whose message TTL "
                                     "dead-letters it "
                        "back to the queue", "<queue>.dlq through the dead-letter exchange (also when the delivery "
                        "limit is hit by crashes or requeues)"),
            sources=common.urls(kb, "rabbitmq-quorum-queues-poison-message-handling", "rabbitmq-dlx",
                         "rabbitmq-quorum-queues-dead-lettering", "rabbitmq-ttl"),
        )
        channels = _channels(spec, names)
        lane_notes = [] if not any(c.settings.get("type") == "x-consistent-hash" for c in channels) else [
            "per-key ordered lanes use x-consistent-hash exchanges: enable the plugin first "
            "(rabbitmq-plugins enable rabbitmq_consistent_hash_exchange), or the definitions import fails; the "
            f"producer sets the {HASH_HEADER} header to the ordering key, each lane queue has a single active "
            "consumer, and the lane count cannot change without moving keys between lanes"]
        return models.BrokerDesign(
            channels=channels, consumer_groups=spec.consumer_groups,
            client_settings=_client(spec, kb, names.variant), retry=retry,
            warnings=_warnings(spec, names, kb) + mechanism_warnings,
            notes=[f"queue type {names.variant}"
                   + (": replicated with Raft, default 3 replicas" if names.variant == "quorum" else ""),
                   *lane_notes],
        )

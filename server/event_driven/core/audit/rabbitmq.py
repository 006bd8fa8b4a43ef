"""RabbitMQ audit rules: prefetch, dead-lettering and delivery limits, the acknowledgement timeout, confirms."""

from __future__ import annotations

from collections.abc import Iterator

from event_driven.core.audit.engine import Audited, Hit, SettingRule, fmt, rule, setting_rules


def _guidance(a: Audited) -> str:
    low, high = a.default("rabbitmq_prefetch_guidance_low"), a.default("rabbitmq_prefetch_guidance_high")
    return f"{fmt(low)}-{fmt(high)}"


@rule("rabbitmq_prefetch_unlimited", "rabbitmq", "rabbitmq-confirms-channel-qos-prefetch-throughput",
      "rabbitmq_prefetch_unlimited")
def prefetch_unlimited(a: Audited) -> Iterator[Hit]:
    if a.num("prefetch_count") == 0:
        yield Hit("prefetch_count", a.shown("prefetch_count"), "high",
                  "prefetch 0 means unlimited: the broker pushes every ready message to the first consumer, other "
                  "consumers idle and the consumer's memory grows with the backlog.",
                  f"Set basic.qos prefetch_count ({_guidance(a)} usually gives optimal throughput; 1 is safest but "
                  "slowest) with manual acknowledgements.")


@rule("rabbitmq_prefetch_very_large", "rabbitmq", "rabbitmq-confirms-channel-qos-prefetch",
      "rabbitmq_prefetch_unlimited")
def prefetch_very_large(a: Audited) -> Iterator[Hit]:
    pf, cap = a.num("prefetch_count"), a.default("rabbitmq_quorum_prefetch_cap")
    if pf is not None and pf > cap:
        high = fmt(a.default("rabbitmq_prefetch_guidance_high"))
        yield Hit("prefetch_count", a.shown("prefetch_count"), "medium",
                  f"prefetch {fmt(pf)}: quorum queues cap the effective prefetch at {fmt(cap)} and {fmt(cap)} vs "
                  f"{high} brings little extra throughput, while unacked messages pile up on one consumer.",
                  f"Use a prefetch of {_guidance(a)}.")


@rule("rabbitmq_prefetch_above_guidance", "rabbitmq", "rabbitmq-confirms-channel-qos-prefetch-throughput",
      "rabbitmq_prefetch_unlimited")
def prefetch_above_guidance(a: Audited) -> Iterator[Hit]:
    pf, high, cap = a.num("prefetch_count"), a.default("rabbitmq_prefetch_guidance_high"), \
        a.default("rabbitmq_quorum_prefetch_cap")
    if pf is not None and high < pf <= cap:
        yield Hit("prefetch_count", a.shown("prefetch_count"), "low",
                  f"prefetch {fmt(pf)} is above the {_guidance(a)} range RabbitMQ documents as usually optimal.",
                  f"Measure with {_guidance(a)} unless consumers are very fast.",
                  judgement=f"{_guidance(a)} is RabbitMQ's guidance, not a limit")

setting_rules(
    SettingRule("rabbitmq_quorum_no_dead_letter", "rabbitmq", "rabbitmq-quorum-queues-poison-message-handling",
                ("rabbitmq_quorum_delivery_limit_drop",), "x-dead-letter-exchange", "medium", unset="(not set)",
                when=lambda a: a.text("x-queue-type") == "quorum" and not a.has("x-dead-letter-exchange"),
                why="Quorum queue without a dead-letter target: since RabbitMQ 4.0 the default delivery-limit is "
                    "{default[rabbitmq_quorum_delivery_limit]}, after which a repeatedly failing message is dropped.",
                fix="Give the queue a dead-letter exchange (queue argument x-dead-letter-exchange or policy key "
                    "dead-letter-exchange; a stream is a cheap target)."),
    SettingRule("rabbitmq_delivery_limit_unlimited", "rabbitmq", "rabbitmq-quorum-queues-poison-message-handling",
                ("rabbitmq_requeue_poison_loop",), "x-delivery-limit", "low",
                when=lambda a: a.num("x-delivery-limit") == -1,
                why="x-delivery-limit=-1 restores unlimited redelivery (3.13 behaviour): a poison message can be "
                    "redelivered forever; RabbitMQ does not recommend it.",
                fix="Keep a delivery limit with a dead-letter target."),
    SettingRule("rabbitmq_no_publisher_confirms", "rabbitmq", "rabbitmq-confirms-publisher-confirms",
                ("rabbitmq_no_publisher_confirms_loss",), "publisher_confirms", "high",
                when=lambda a: a.durable and a.flag("publisher_confirms") is False,
                why="Publishing without confirms under a stated {delivery} guarantee: the publisher cannot know "
                    "whether the broker accepted a message.",
                fix="Enable confirms (confirm.select) and republish unconfirmed messages."),
)


@rule("rabbitmq_processing_exceeds_consumer_timeout", "rabbitmq", "rabbitmq-consumers-acknowledgement-timeout",
      "rabbitmq_consumer_ack_timeout",
      fix="Raise consumer_timeout (rabbitmq.conf, or the consumer-timeout policy on quorum queues from 4.3) "
          "above the worst-case processing time, or ack early and track work elsewhere.")
def processing_exceeds_consumer_timeout(a: Audited) -> Iterator[Hit]:
    per = a.per_message_time()
    ct, default = a.num("consumer_timeout"), a.default("rabbitmq_consumer_timeout_ms")
    limit = ct if ct is not None else default
    if per is not None and per > limit:
        yield Hit("consumer_timeout", a.shown("consumer_timeout") or f"(default {fmt(default)})", "high",
                  f"Processing takes {per / 1000:g} s, longer than the delivery-acknowledgement timeout "
                  f"({limit / 1000:g} s): the broker closes the channel and redelivers the message.")


@rule("rabbitmq_transient_messages", "rabbitmq", "rabbitmq-confirms-when-publishes-are-confirmed",
      "rabbitmq_no_publisher_confirms_loss",
      fix="Declare durable queues and publish with delivery_mode=2 (persistent).")
def transient_messages(a: Audited) -> Iterator[Hit]:
    transient = a.num("delivery_mode") == 1
    if a.durable and (transient or a.flag("durable") is False):
        key = "delivery_mode" if transient else "durable"
        yield Hit(key, a.shown(key), "high",
                  "Transient messages or a non-durable queue do not survive a broker restart; confirms for persistent "
                  "messages to durable queues are sent only after the write to disk.")

"""Apache Pulsar artifacts: a ``pulsar-admin`` setup script and client configurations.

* ``pulsar/setup.sh``: every topic (partitioned when the plan has more than one partition) and every retry-letter
  topic, each with its own topic-level retention (and deduplication for exactly-once plans), and each durable
  subscription created up front from the earliest message, so nothing published before the first consumer connects
  is lost. Namespace policies are never changed: the namespace (often the shared ``public/default``) may hold other
  applications' topics.
* ``pulsar/producer.json`` and ``pulsar/consumer-<subscription>.json``: keyword arguments for the Python client's
  ``Client.create_producer`` / ``Client.subscribe`` (enum values by name), plus the retry-letter settings, which only
  the Java and Go clients implement.
"""

from __future__ import annotations

from typing import Any

import jinja2

from event_driven.core.topology.models import Artifact, Channel, TopologyPlan

CHECKED_SCRIPT = ("bash -n, and a run with a stub pulsar-admin on PATH whose recorded argv must equal the plan's "
                  "topics, partitions, per-topic retention and subscriptions, with no namespace-level command "
                  "(tests/render/test_artifacts_pulsar.py)")
CHECKED_CLIENT = ("JSON parse; with pulsar-client installed, ConsumerType/InitialPosition/ConsumerDeadLetterPolicy and "
                  "Client.subscribe/create_producer accept every value (tests/render/test_artifacts_pulsar.py)")
# The plan names subscription types as Pulsar's docs and Java client do; the Python enum spells Key_Shared without '_'.
PYTHON_CONSUMER_TYPE = {"Exclusive": "Exclusive", "Shared": "Shared", "Failover": "Failover", "Key_Shared": "KeyShared"}
PERSISTENT = "persistent://"


def namespace_of(topic: str) -> str:
    if not topic.startswith(PERSISTENT) or topic.count("/") != 4:
        raise ValueError(f"Pulsar topic {topic!r} is not persistent://tenant/namespace/topic")
    tenant, namespace, _ = topic[len(PERSISTENT):].split("/")
    return f"{tenant}/{namespace}"


def retention_time(c: Channel) -> str:
    """pulsar-admin --time value: '-1' (no limit) or '<hours>h'."""
    explicit = c.settings.get("retention_time")
    if explicit is not None:
        return str(explicit)
    if c.keep_forever or c.retention_hours is None:
        return "-1"
    return f"{c.retention_hours}h"


def _subscriptions(plan: TopologyPlan) -> dict[str, dict[str, Any]]:
    return dict(plan.client_settings.consumer.get("subscriptions", {}))


def setup(plan: TopologyPlan) -> dict[str, Any]:
    """Topics (with their own retention) and subscriptions for the setup script."""
    dead_letter = plan.retry_policy.dead_letter_enabled
    topics: list[dict[str, Any]] = []
    seen: set[str] = set()
    for c in plan.channels:
        if c.kind != "topic" or c.name in seen:
            continue
        seen.add(c.name)
        topics.append({"name": c.name, "role": c.role, "purpose": " ".join(c.purpose.split()),
                       "partitions": c.partitions or 1, "retention": retention_time(c),
                       "namespace": namespace_of(c.name), "persistence": c.settings.get("persistence")})
    subs = _subscriptions(plan)
    if dead_letter:
        for name, s in subs.items():
            retry = s.get("retry_letter_topic")
            if retry and retry not in seen:
                seen.add(retry)
                source = next((c for c in plan.channels if c.name == s["topic"]), None)
                topics.append({"name": retry, "role": "retry", "purpose": f"Retry-letter topic of subscription {name}",
                               "partitions": 1, "retention": retention_time_for_retry(plan),
                               "namespace": namespace_of(retry),
                               "persistence": source.settings.get("persistence") if source else None})
    subscriptions = [{"name": name, "topic": s["topic"], "type": s["subscription_type"]} for name, s in subs.items()]
    return {"topics": topics, "subscriptions": subscriptions,
            "deduplication": plan.delivery == "exactly_once"}


def retention_time_for_retry(plan: TopologyPlan) -> str:
    """Retry-letter topics keep messages as long as dead letters do."""
    return f"{plan.retry_policy.dead_letter_retention_days * 24}h"


def consumer_config(plan: TopologyPlan, name: str, sub: dict[str, Any]) -> dict[str, Any]:
    cs = plan.client_settings.consumer
    kwargs: dict[str, Any] = {
        "topic": sub["topic"],
        "subscription_name": name,
        "consumer_type": PYTHON_CONSUMER_TYPE[sub["subscription_type"]],
        "initial_position": "Earliest",
        "negative_ack_redelivery_delay_ms": int(cs["negative_ack_redelivery_delay_ms"]),
    }
    if plan.retry_policy.dead_letter_enabled:
        kwargs["dead_letter_policy"] = {"max_redeliver_count": int(sub["max_redeliver_count"]),
                                        "dead_letter_topic": sub["dead_letter_topic"]}
    doc: dict[str, Any] = {
        "description": f"Consumer of subscription {name} on {sub['topic']} ({sub['subscription_type']})",
        "client": plan.client_settings.client,
        "usage": "pulsar.Client(url).subscribe(**subscribe) after replacing consumer_type and initial_position with "
                 "pulsar.ConsumerType[...] / pulsar.InitialPosition[...] and dead_letter_policy with "
                 "pulsar.ConsumerDeadLetterPolicy(**dead_letter_policy)",
        "subscription_type": sub["subscription_type"],
        "subscribe": kwargs,
        "reasons": {k: plan.client_settings.reasons[k] for k in ("subscription_type", "max_redeliver_count")
                    if k in plan.client_settings.reasons},
    }
    if plan.retry_policy.dead_letter_enabled and cs.get("enable_retry") and sub.get("retry_letter_topic"):
        doc["retry_letter"] = {
            "enable_retry": True,
            "retry_letter_topic": sub["retry_letter_topic"],
            "delays_ms": plan.retry_policy.backoff.delays_ms,
            "clients": "Java and Go only: ConsumerBuilder.enableRetry(true) with "
                       "DeadLetterPolicy.retryLetterTopic(...), then reconsumeLater(msg, delay). The Python (C++) "
                       "client has no retry-letter topic: negative_acknowledge() redelivers after "
                       "negative_ack_redelivery_delay_ms.",
        }
    return doc


def producer_config(plan: TopologyPlan) -> dict[str, Any]:
    p = plan.client_settings.producer
    key_shared = any(s["subscription_type"] == "Key_Shared" for s in _subscriptions(plan).values())
    kwargs: dict[str, Any] = {"send_timeout_millis": int(p["send_timeout_millis"]),
                              "batching_enabled": bool(p["batching_enabled"])}
    if kwargs["batching_enabled"] and key_shared:
        # A default batch mixes keys and is dispatched as one unit, which breaks Key_Shared's per-key assignment.
        kwargs["batching_type"] = "KeyBased"
    doc: dict[str, Any] = {
        "description": f"Producer settings for the {plan.delivery} plan",
        "client": plan.client_settings.client,
        "usage": "pulsar.Client(url).create_producer(topic, **create_producer) after replacing batching_type with "
                 "pulsar.BatchingType[...]",
        "topics": [c.name for c in plan.channels if c.kind == "topic" and c.role not in ("retry", "dead_letter")],
        "create_producer": kwargs,
    }
    if p.get("message_key"):
        doc["partition_key_field"] = p["message_key"]
        doc["partition_key_usage"] = (f"producer.send(payload, partition_key=event['{p['message_key']}']): the key "
                                      "picks the partition, so one key's messages stay in order")
    if p.get("transactions"):
        doc["transactions"] = p["transactions"]
    return doc


def render(plan: TopologyPlan, env: jinja2.Environment, domain: str) -> list[Artifact]:
    data = setup(plan)
    artifacts = [Artifact(
        path="pulsar/setup.sh", media_type="text/x-shellscript",
        description=f"pulsar-admin commands: {len(data['topics'])} topics with topic-level retention and "
                    f"{len(data['subscriptions'])} subscriptions",
        content=env.get_template("pulsar/setup.sh.j2").render(plan=plan, domain=domain, **data),
        checked_by=CHECKED_SCRIPT,
    ), Artifact(
        path="pulsar/producer.json", media_type="application/json",
        description="Python pulsar-client producer settings",
        content=env.get_template("pulsar/client.json.j2").render(config=producer_config(plan)),
        checked_by=CHECKED_CLIENT,
    )]
    for name, sub in _subscriptions(plan).items():
        artifacts.append(Artifact(
            path=f"pulsar/consumer-{name}.json", media_type="application/json",
            description=f"Python pulsar-client consumer settings of subscription {name}",
            content=env.get_template("pulsar/client.json.j2").render(config=consumer_config(plan, name, sub)),
            checked_by=CHECKED_CLIENT,
        ))
    return artifacts

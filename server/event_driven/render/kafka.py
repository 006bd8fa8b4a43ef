"""Kafka artifacts: a topic-creation script and librdkafka client configs.

* ``kafka/create-topics.sh``: one ``kafka-topics.sh --create --if-not-exists`` per topic of the plan, with partitions,
  replication factor and every topic config; every value is shell-quoted.
* ``kafka/producer.properties`` and ``kafka/consumer-<group>.properties``: librdkafka ``key=value`` lines built from
  ``plan.client_settings`` (booleans lower-case as librdkafka expects), each key preceded by the reason for its value.
"""

from __future__ import annotations

from typing import Any

import jinja2

from event_driven.core.topology.models import Artifact, TopologyPlan

CHECKED_SCRIPT = ("bash -n, and a run with a stub kafka-topics.sh on PATH whose recorded argv must equal the plan's "
                  "topics, partitions, replication factors and configs (tests/render/test_artifacts_kafka.py)")
CHECKED_CONFIG = ("confluent-kafka (librdkafka) Producer/Consumer construction: no error and no CONFWARN log line, "
                  "for every delivery guarantee (tests/render/test_artifacts_kafka.py)")


def config_value(value: Any) -> str:
    """A value as librdkafka reads it from a string: booleans are 'true'/'false', everything else str()."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if "\n" in text or "\r" in text:
        raise ValueError(f"configuration value {text!r} contains a line break")
    return text


def comment(text: str) -> str:
    """Text safe inside a one-line '#' comment."""
    return " ".join(str(text).split())


def _entries(settings: dict[str, Any], reasons: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": config_value(v), "reason": comment(reasons.get(k, ""))}
            for k, v in settings.items() if v is not None]


def topics(plan: TopologyPlan) -> list[dict[str, Any]]:
    """The topics to create, in plan order, with their configs as 'key=value' strings."""
    out = []
    for c in plan.channels:
        if c.kind != "topic":
            continue
        out.append({
            "name": c.name, "role": c.role, "purpose": comment(c.purpose),
            "partitions": c.partitions or 1, "replication_factor": c.replication_factor or 1,
            "configs": [f"{k}={config_value(v)}" for k, v in c.settings.items() if v is not None],
        })
    return out


def render(plan: TopologyPlan, env: jinja2.Environment, domain: str) -> list[Artifact]:
    cs = plan.client_settings
    common = {"domain": domain, "plan": plan}
    artifacts = [Artifact(
        path="kafka/create-topics.sh", media_type="text/x-shellscript",
        description=f"kafka-topics.sh commands that create the {len(topics(plan))} topics of the plan "
                    "(idempotent: --if-not-exists); BOOTSTRAP overrides the broker address",
        content=env.get_template("kafka/create-topics.sh.j2").render(**common, topics=topics(plan)),
        checked_by=CHECKED_SCRIPT,
    ), Artifact(
        path="kafka/producer.properties", media_type="text/x-java-properties",
        description=f"librdkafka producer configuration for {plan.delivery.replace('_', '-')} delivery",
        content=env.get_template("kafka/producer.properties.j2").render(
            **common, entries=_entries(cs.producer, cs.reasons), client=cs.client),
        checked_by=CHECKED_CONFIG,
    )]
    topic_of = {c.key: c.name for c in plan.channels if c.kind == "topic"}
    for g in plan.consumer_groups:
        artifacts.append(Artifact(
            path=f"kafka/consumer-{g.name}.properties", media_type="text/x-java-properties",
            description=f"librdkafka consumer configuration of group {g.name} ({g.strategy.replace('_', ' ')})",
            content=env.get_template("kafka/consumer.properties.j2").render(
                **common, group=g, topic=topic_of.get(g.channel, g.channel), client=cs.client,
                reason=comment(g.reason), entries=_entries(cs.consumer, cs.reasons)),
            checked_by=CHECKED_CONFIG,
        ))
    return artifacts

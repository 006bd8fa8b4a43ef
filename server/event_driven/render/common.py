"""Artifacts every plan gets, whatever the broker.

* ``asyncapi.yaml``: an AsyncAPI 3.0.0 document of the whole design (servers, channels, operations, the envelope).
* ``prometheus/alerts.yaml`` and ``prometheus/alerts_test.yaml``: the plan's alert rules and a promtool unit test with
  synthetic series that make every alert fire, plus a healthy case in which none may fire.
* ``schemas/envelope.schema.json``, ``schemas/envelope.avsc`` and ``schemas/cloudevents-mapping.json``.

The views handed to the templates are built here from the typed plan only. Every scalar reaches the YAML output
JSON-quoted (``tojson`` or :func:`to_yaml`), so no channel name, summary or description can break the structure.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2

from event_driven.core.topology.models import Artifact, Channel, PlannedTopology, TopologyPlan
from event_driven.kb.loader import KnowledgeBase
from event_driven.render.alert_tests import alert_test_view
from event_driven.vocab import BrokerId

ASYNCAPI_SPECS = "@asyncapi/specs 6.11.1"
ASYNCAPI_PARSER = "@asyncapi/parser 3.6.6"
ENVELOPE_MESSAGE = "EventEnvelope"
ADVISORY_MESSAGE = "DeliveryAdvisory"

# server id, protocol, protocol version, host (with variables), default port description
SERVERS: dict[BrokerId, list[dict[str, Any]]] = {
    "kafka": [{"id": "kafka", "protocol": "kafka", "host": "{bootstrap}:9092",
                      "variables": {"bootstrap": ("localhost", "A bootstrap broker of the Kafka cluster.")},
                      "description": "Kafka cluster (bootstrap servers)."}],
    "rabbitmq": [{"id": "rabbitmq", "protocol": "amqp", "protocolVersion": "0.9.1", "host": "{host}:5672",
                  "pathname": "/", "variables": {"host": ("localhost", "RabbitMQ node or load balancer.")},
                  "description": "RabbitMQ broker, AMQP 0-9-1, virtual host '/'."}],
    "sqs": [
        {"id": "sqs", "protocol": "sqs", "host": "sqs.{region}.amazonaws.com",
         "variables": {"region": ("us-east-1", "AWS region of the queues.")}, "description": "Amazon SQS queues."},
        {"id": "sns", "protocol": "sns", "host": "sns.{region}.amazonaws.com",
         "variables": {"region": ("us-east-1", "AWS region of the topics.")},
         "description": "Amazon SNS topics that fan out to the SQS queues."},
    ],
    "pulsar": [{"id": "pulsar", "protocol": "pulsar", "host": "{host}:6650",
                       "variables": {"host": ("localhost", "Pulsar broker or proxy (pulsar:// service URL).")},
                       "description": "Apache Pulsar cluster."}],
    "nats_jetstream": [{"id": "nats", "protocol": "nats", "host": "{host}:4222",
                        "variables": {"host": ("localhost", "NATS server with JetStream enabled.")},
                        "description": "NATS server with JetStream."}],
    "redis_streams": [{"id": "redis", "protocol": "redis", "host": "{host}:6379",
                       "variables": {"host": ("localhost", "Redis server.")},
                       "description": "Redis server (Streams)."}],
}

# 2020-12 keywords that have no draft-07 meaning: converting them silently would change the contract.
_NOT_DRAFT07 = {"prefixItems", "unevaluatedProperties", "unevaluatedItems", "dependentSchemas", "dependentRequired",
                "$dynamicRef", "$dynamicAnchor", "$anchor", "$vocabulary", "minContains", "maxContains"}
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_.$/-]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


# --- helpers ----------------------------------------------------------------------------------------------------------


def to_yaml(value: Any, indent: int = 0) -> str:
    """Block YAML in which every scalar is JSON-encoded: valid YAML 1.1 and 1.2, read alike by PyYAML and js-yaml."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        lines = []
        for key, item in value.items():
            k = str(key)
            k = k if _PLAIN_KEY.match(k) and k.lower() not in _YAML_WORDS else json.dumps(k)
            if _is_block(item):
                lines.append(f"{pad}{k}:\n{to_yaml(item, indent + 2)}")
            else:
                lines.append(f"{pad}{k}: {_scalar(item)}")
        return "\n".join(lines)
    if isinstance(value, list) and value:
        lines = []
        for item in value:
            if _is_block(item):
                lines.append(f"{pad}- {to_yaml(item, indent + 2).lstrip()}")
            else:
                lines.append(f"{pad}- {_scalar(item)}")
        return "\n".join(lines)
    return pad + _scalar(value)


def _is_block(value: Any) -> bool:
    return isinstance(value, (dict, list)) and bool(value)


def _scalar(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(value, ensure_ascii=True)


def _ident(text: str) -> str:
    """A component/channel/operation id: letters, digits, '.', '-' and '_' only."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "x"


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _title(domain: str) -> str:
    return " ".join(p.capitalize() for p in re.split(r"[-_.\s]+", domain) if p) or "Event"


def draft07(schema: dict[str, Any]) -> dict[str, Any]:
    """The 2020-12 envelope as an AsyncAPI Schema (a draft-07 superset): drop ``$schema``/``$id``, ``$defs`` ->
    ``definitions``. Raises ValueError on a 2020-12-only keyword rather than publishing a different contract."""

    def walk(node: Any, top: bool) -> Any:
        if isinstance(node, list):
            return [walk(v, False) for v in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _NOT_DRAFT07:
                raise ValueError(f"JSON Schema keyword {key!r} has no draft-07 equivalent")
            if top and key in ("$schema", "$id"):
                continue
            if key == "$ref" and isinstance(value, str):
                out[key] = value.replace("#/$defs/", "#/definitions/")
            elif key in ("properties", "patternProperties", "$defs", "definitions"):
                out["definitions" if key == "$defs" else key] = {k: walk(v, False) for k, v in value.items()}
            else:
                out[key] = walk(value, False)
        return out

    return walk(schema, True)


# --- AsyncAPI ---------------------------------------------------------------------------------------------------------


def _servers(plan: TopologyPlan, broker: BrokerId) -> list[dict[str, Any]]:
    servers = []
    for spec in SERVERS[broker]:
        if spec["id"] == "sns" and not any(c.settings.get("service") == "SNS" for c in plan.channels):
            continue
        server: dict[str, Any] = {"host": spec["host"], "protocol": spec["protocol"]}
        if "protocolVersion" in spec:
            server["protocolVersion"] = spec["protocolVersion"]
        if "pathname" in spec:
            server["pathname"] = spec["pathname"]
        server["description"] = spec["description"] + " Replace the host variables with your endpoints."
        server["variables"] = {k: {"default": d, "description": text} for k, (d, text) in spec["variables"].items()}
        if spec["id"] == "pulsar":
            parts = [p for p in (_pulsar_parts(c.name) for c in plan.channels) if p]
            tenant = parts[0][1] if parts else "public"
            server["bindings"] = {"pulsar": {"tenant": tenant, "bindingVersion": "0.1.0"}}
        servers.append({"id": spec["id"], "body": server})
    return servers


def _pulsar_parts(name: str) -> tuple[str, str, str, str] | None:
    m = re.fullmatch(r"(persistent|non-persistent)://([^/]+)/([^/]+)/(.+)", name)
    return (m.group(1), m.group(2), m.group(3), m.group(4)) if m else None


def _kafka_binding(ch: Channel) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for key, value in ch.settings.items():
        if key == "cleanup.policy":
            config[key] = [p.strip() for p in str(value).split(",") if p.strip()]
        else:
            config[key] = value
    binding: dict[str, Any] = {}
    if ch.partitions:
        binding["partitions"] = ch.partitions
    if ch.replication_factor:
        binding["replicas"] = ch.replication_factor
    if config:
        binding["topicConfiguration"] = config
    binding["bindingVersion"] = "0.5.0"
    return {"kafka": binding}


def _amqp_binding(ch: Channel, name: str) -> dict[str, Any]:
    s = ch.settings
    if ch.kind == "exchange":
        binding: dict[str, Any] = {"is": "routingKey", "exchange": {
            "name": name, "type": s.get("type", "topic"), "durable": bool(s.get("durable", True)),
            "autoDelete": False, "vhost": "/"}}
        if str(s.get("type", "")).startswith("x-"):  # a plugin type (x-consistent-hash): not in the binding's enum
            binding["x-exchange-type"] = binding["exchange"].pop("type")
    else:
        binding = {"is": "queue", "queue": {
            "name": name, "durable": bool(s.get("durable", True)), "exclusive": False, "autoDelete": False,
            "vhost": "/"}}
        if s.get("arguments"):
            binding["x-arguments"] = s["arguments"]
        if s.get("bind_to") is not None:
            binding["x-bound-to"] = {"exchange": s["bind_to"], "routingKey": s.get("routing_key", "")}
    binding["bindingVersion"] = "0.3.0"
    return {"amqp": binding}


def _sqs_binding(ch: Channel, name: str) -> dict[str, Any]:
    if ch.settings.get("service") == "SNS":
        ordering: dict[str, Any] = {"type": "FIFO" if ch.settings.get("FifoTopic") else "standard"}
        if ch.settings.get("FifoTopic"):
            ordering["contentBasedDeduplication"] = bool(ch.settings.get("ContentBasedDeduplication", False))
        return {"sns": {"name": name, "ordering": ordering, "bindingVersion": "0.1.0"}}
    attrs = ch.settings.get("attributes", {})
    queue: dict[str, Any] = {"name": name, "fifoQueue": bool(attrs.get("FifoQueue", False))}
    for attr, field in (("DeduplicationScope", "deduplicationScope"), ("FifoThroughputLimit", "fifoThroughputLimit"),
                        ("DelaySeconds", "deliveryDelay"), ("VisibilityTimeout", "visibilityTimeout"),
                        ("ReceiveMessageWaitTimeSeconds", "receiveMessageWaitTime"),
                        ("MessageRetentionPeriod", "messageRetentionPeriod")):
        if attr in attrs:
            queue[field] = attrs[attr]
    redrive = attrs.get("RedrivePolicy")
    if isinstance(redrive, dict) and redrive.get("deadLetterTargetArn"):
        target = str(redrive["deadLetterTargetArn"]).split(":")[-1]
        queue["redrivePolicy"] = {"deadLetterQueue": {"name": target},
                                  "maxReceiveCount": int(redrive.get("maxReceiveCount", 10))}
    return {"sqs": {"queue": queue, "bindingVersion": "0.2.0"}}


def _pulsar_binding(ch: Channel) -> dict[str, Any]:
    parts = _pulsar_parts(ch.name)
    if parts is None:
        return {}
    binding: dict[str, Any] = {"namespace": parts[2], "persistence": parts[0]}
    retention = str(ch.settings.get("retention_time", ""))
    m = re.fullmatch(r"(\d+)([mhd])", retention)
    if m:
        binding["retention"] = {"time": int(m.group(1)) * {"m": 1, "h": 60, "d": 1440}[m.group(2)]}
    binding["bindingVersion"] = "0.1.0"
    return {"pulsar": binding}


def _bindings(broker: BrokerId, ch: Channel, name: str) -> dict[str, Any]:
    if broker == "kafka":
        return _kafka_binding(ch)
    if broker == "rabbitmq":
        return _amqp_binding(ch, name)
    if broker == "sqs":
        return _sqs_binding(ch, name)
    if broker == "pulsar":
        return _pulsar_binding(ch)
    return {}  # NATS and Redis: AsyncAPI defines no channel bindings for them


def _tier_bindings(broker: BrokerId, members: list[Channel], tiers: list[str], name: str) -> dict[str, Any]:
    """One binding for a group of retry tiers: what differs per tier (TTL, routing key) goes under x-per-tier."""
    per = [_bindings(broker, m, name) for m in members]
    merged = json.loads(json.dumps(per[0]))
    for proto, binding in merged.items():
        differing = [k for k in binding if any(p.get(proto, {}).get(k) != binding[k] for p in per)]
        if differing:
            binding["x-per-tier"] = {t: {k: p[proto].get(k) for k in differing}
                                     for t, p in zip(tiers, per, strict=True)}
            for k in differing:
                del binding[k]
            binding["bindingVersion"] = binding.pop("bindingVersion")  # keep it last
    return merged


def _address(broker: BrokerId, ch: Channel) -> str:
    if broker == "nats_jetstream":
        subjects = ch.settings.get("subjects") or []
        if len(subjects) == 1 and "*" not in str(subjects[0]):
            return str(subjects[0])  # a NATS channel address is the subject; the stream captures it
    return ch.name


def _describe(plan: TopologyPlan, broker: BrokerId, ch: Channel) -> str:
    tech = "Amazon SNS" if ch.settings.get("service") == "SNS" else plan.broker.technology
    bits = [f"{ch.purpose}.", f"{tech} {ch.kind} '{ch.name}' (role {ch.role})."]
    if ch.partitions:
        bits.append(f"{ch.partitions} partitions.")
    if ch.replication_factor:
        bits.append(f"Replication factor {ch.replication_factor}.")
    if ch.keep_forever:
        bits.append("Kept forever.")
    elif ch.retention_hours:
        bits.append(f"Retention {ch.retention_hours} h.")
    subjects = ch.settings.get("subjects")
    if broker == "nats_jetstream" and subjects:
        bits.append("JetStream stream capturing subjects: " + ", ".join(map(str, subjects)) + ".")
    return " ".join(bits)


def _retry_groups(channels: list[Channel]) -> dict[str, list[Channel]]:
    """Retry tiers that differ only by a trailing tier number are one parameterised AsyncAPI channel."""
    groups: dict[str, list[Channel]] = {}
    for ch in channels:
        m = re.fullmatch(r"(.*\D)(\d+)", ch.name)
        if ch.role == "retry" and m:
            groups.setdefault(f"{ch.kind}|{m.group(1)}", []).append(ch)
    return {k: v for k, v in groups.items() if len(v) > 1}


def _message_for(broker: BrokerId, ch: Channel) -> str:
    if broker == "nats_jetstream" and ch.role == "dead_letter":
        return ADVISORY_MESSAGE  # the dead-letter stream captures JetStream advisories, not the envelope
    return ENVELOPE_MESSAGE


def _tier_channel(plan: TopologyPlan, broker: BrokerId, ch: Channel, members: list[Channel], prefix: str,
                  taken: set[str]) -> dict[str, Any]:
    """One parameterised AsyncAPI channel for a group of retry tiers."""
    tiers = [re.fullmatch(r".*\D(\d+)", m.name).group(1) for m in members]  # type: ignore[union-attr]  # grouped by it
    name = prefix + "{tier}"
    return {
        "id": _unique(_ident(re.sub(r"\.?\d+$", "", ch.key)), taken), "address": name,
        "title": f"{ch.key.rsplit('.', 1)[0]} (tiers {', '.join(tiers)})",
        "description": " ".join(f"{m.purpose}." for m in members)
        + f" {plan.broker.technology} {ch.kind}s '{name}', one per tier.",
        "parameters": {"tier": {"enum": tiers, "default": tiers[0],
                                "description": "Retry tier: the n-th retry, with its own delay."}},
        "bindings": _tier_bindings(broker, members, tiers, name),
        "extension": {"keys": [m.key for m in members], "kind": ch.kind, "role": ch.role,
                      "names": [m.name for m in members]},
    }


def _channels(plan: TopologyPlan, broker: BrokerId, server_ids: list[str]
              ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The AsyncAPI channels, and plan channel key -> AsyncAPI channel id."""
    channels: list[dict[str, Any]] = []
    by_key: dict[str, str] = {}
    taken: set[str] = set()
    unique: list[Channel] = []  # first channel of each key, in plan order
    for c in plan.channels:
        if all(u.key != c.key for u in unique):
            unique.append(c)
    grouped = _retry_groups(unique)
    grouped_member = {c.key: gk for gk, members in grouped.items() for c in members}
    emitted_groups: set[str] = set()
    for ch in unique:
        gk = grouped_member.get(ch.key)
        if gk in emitted_groups:
            by_key[ch.key] = by_key[grouped[gk][0].key]
            continue
        if gk is not None:
            emitted_groups.add(gk)
            entry = _tier_channel(plan, broker, ch, grouped[gk], gk.split("|", 1)[1], taken)
            by_key.update({m.key: entry["id"] for m in grouped[gk]})
        else:
            entry = {"id": _unique(_ident(ch.key), taken), "address": _address(broker, ch), "title": ch.key,
                     "description": _describe(plan, broker, ch), "parameters": {},
                     "bindings": _bindings(broker, ch, ch.name),
                     "extension": {"key": ch.key, "kind": ch.kind, "role": ch.role, "name": ch.name}}
            by_key[ch.key] = entry["id"]
        if len(server_ids) > 1:
            sid = "sns" if ch.settings.get("service") == "SNS" else server_ids[0]
            entry["servers"] = [{"$ref": f"#/servers/{sid}"}]
        entry["message"] = _message_for(broker, ch)
        entry["extension"] = entry.pop("extension")  # after servers and message, as the template lists them
        channels.append(entry)
    return channels, by_key


def asyncapi_view(planned: PlannedTopology) -> dict[str, Any]:
    plan, broker, domain = planned.plan, planned.broker, planned.domain
    servers = _servers(plan, broker)
    channels, by_key = _channels(plan, broker, [s["id"] for s in servers])
    return {
        "title": f"{_title(domain)} event-driven topology",
        "description": _info_description(plan),
        "servers": servers,
        "channels": channels,
        "operations": _operations(plan, broker, by_key),
        "messages": _messages(plan, broker, {c["message"] for c in channels}),
        "schemas": {"EventEnvelope": draft07(plan.message_schema.schema_)},
    }


def _producer_channel(plan: TopologyPlan, logical_key: str, by_key: dict[str, str]) -> str | None:
    if logical_key in by_key:
        return by_key[logical_key]
    for ch in plan.channels:  # e.g. SQS work queue: the producer sends straight to '<key>@queue'
        if ch.key.startswith(logical_key + "@") and ch.role not in ("retry", "dead_letter"):
            return by_key.get(ch.key)
    return None


def _consumer_channel(plan: TopologyPlan, logical_key: str, group: str, by_key: dict[str, str]) -> str | None:
    for key in (f"{logical_key}@{group}", f"{logical_key}@queue", logical_key, f"{logical_key}@lane.0",
                f"{logical_key}@{group}.lane.0"):
        ch = next((c for c in plan.channels if c.key == key and c.role not in ("retry", "dead_letter")), None)
        if ch is not None and not (ch.kind == "exchange" or ch.settings.get("service") == "SNS"):
            return by_key[key]
    return None


def _operations(plan: TopologyPlan, broker: BrokerId, by_key: dict[str, str]) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    taken: set[str] = set()
    for lc in plan.logical_channels:
        if lc.role in ("retry", "dead_letter"):
            continue
        cid = _producer_channel(plan, lc.key, by_key)
        if cid is None:
            continue
        for producer in lc.producers:
            op: dict[str, Any] = {
                "id": _unique(_ident(f"{producer}.send.{lc.key}"), taken), "action": "send", "channel": cid,
                "title": f"{producer} publishes {lc.role}",
                "description": f"{producer} publishes to '{lc.key}': {lc.purpose}."
                + (f" Ordering key: {lc.ordering_key}." if lc.ordering_key else ""),
                "bindings": {},
            }
            if broker == "rabbitmq":
                op["bindings"] = {"amqp": {"deliveryMode": 2, "mandatory": True, "bindingVersion": "0.3.0"}}
            ops.append(op)
    for group in plan.consumer_groups:
        cid = _consumer_channel(plan, group.channel, group.name, by_key)
        if cid is None:
            continue
        op = {
            "id": _unique(_ident(f"{group.name}.receive.{group.channel}"), taken), "action": "receive",
            "channel": cid, "title": f"{group.service} consumes as {group.name}",
            "description": (f"Consumer group '{group.name}' ({group.strategy.replace('_', ' ')}, "
                            f"{group.instances} instance{'s' if group.instances != 1 else ''}): {group.reason}."),
            "bindings": {},
        }
        if broker == "kafka":
            op["bindings"] = {"kafka": {"groupId": {"type": "string", "enum": [group.name]}, "bindingVersion": "0.5.0"}}
        elif broker == "rabbitmq":
            op["bindings"] = {"amqp": {"ack": True, "bindingVersion": "0.3.0"}}
        ops.append(op)
    return ops


def _info_description(plan: TopologyPlan) -> str:
    variant = f" ({plan.broker.variant})" if plan.broker.variant else ""
    lines = [
        f"{plan.shape}",
        "",
        f"Broker: {plan.broker.technology}{variant}. Use case: {plan.use_case}; delivery: {plan.delivery}; "
        f"ordering: {plan.ordering}.",
        f"Retries and dead letters: {plan.retry.mechanism}.",
        f"Envelope format: {plan.message_schema.format}; compatibility {plan.message_schema.compatibility}.",
        "",
        "Generated by event-driven plan_topology; host names are placeholders.",
    ]
    return "\n".join(lines)


def _messages(plan: TopologyPlan, broker: BrokerId, used: set[str]) -> dict[str, Any]:
    ms = plan.message_schema
    avro = ms.format == "avro"
    messages: dict[str, Any] = {}
    envelope: dict[str, Any] = {
        "name": ENVELOPE_MESSAGE,
        "title": ms.schema_.get("title", "Event envelope"),
        "summary": "The envelope every message of this design carries.",
        "description": (f"{ms.schema_.get('description', '')} Evolution: {ms.evolution_rule}"
                        + (" On the wire the envelope is Avro (schemas/envelope.avsc); the payload schema here is "
                           "its JSON Schema equivalent." if avro else "")).strip(),
        "contentType": "avro/binary" if avro else "application/json",
        "correlationId": {"description": "Shared by every message of one flow.",
                          "location": "$message.payload#/metadata/correlation_id"},
        "payload": {"$ref": "#/components/schemas/EventEnvelope"},
        "bindings": {},
    }
    if broker == "kafka":
        envelope["bindings"] = {"kafka": {
            "key": {"type": "string", "description": "aggregate_id: keeps one aggregate's events in order."},
            "bindingVersion": "0.5.0"}}
    messages[ENVELOPE_MESSAGE] = envelope
    if ADVISORY_MESSAGE in used:
        messages[ADVISORY_MESSAGE] = {
            "name": ADVISORY_MESSAGE,
            "title": "JetStream delivery advisory",
            "summary": "max_deliver or terminated advisory captured by the dead-letter stream.",
            "description": ("JetStream publishes it when a message hits max_deliver or is terminated; fetch the "
                            "original from the source stream by stream_seq."),
            "contentType": "application/json",
            "payload": {"type": "object", "required": ["type", "stream", "consumer", "stream_seq"], "properties": {
                "type": {"type": "string", "enum": ["io.nats.jetstream.advisory.v1.max_deliver",
                                                    "io.nats.jetstream.advisory.v1.terminated"]},
                "id": {"type": "string"},
                "timestamp": {"type": "string", "format": "date-time"},
                "stream": {"type": "string"},
                "consumer": {"type": "string"},
                "stream_seq": {"type": "integer", "minimum": 1},
                "deliveries": {"type": "integer", "minimum": 1},
                "reason": {"type": "string"},
            }},
            "bindings": {},
        }
    return messages


# --- render -----------------------------------------------------------------------------------------------------------


def render(planned: PlannedTopology, env: jinja2.Environment, kb: KnowledgeBase) -> list[Artifact]:
    plan, domain = planned.plan, planned.domain
    alerts_group = f"{_ident(domain)}-event-driven"
    ctx = {"plan": plan, "domain": domain, "to_yaml": to_yaml}
    asyncapi = env.get_template("common/asyncapi.yaml.j2").render(doc=asyncapi_view(planned), **ctx)
    alerts = env.get_template("common/alerts.yaml.j2").render(group=alerts_group, **ctx)
    alerts_test = env.get_template("common/alerts_test.yaml.j2").render(test=alert_test_view(plan), **ctx)
    ms = plan.message_schema
    mapping = {
        "$comment": "How the event envelope maps onto CloudEvents 1.0 attributes (binary or structured mode).",
        "specversion": "1.0",
        "spec": kb.sources.url("gh-cloudevents-spec-spec"),
        "attributes": ms.cloudevents_mapping,
    }
    return [
        Artifact(path="asyncapi.yaml", media_type="application/vnd.aai.asyncapi+yaml;version=3.0.0",
                 description=("AsyncAPI 3.0.0 document of the whole design: servers, one channel per broker entity "
                              "(retry tiers grouped by a {tier} parameter), send/receive operations per producer and "
                              "consumer group, the envelope message and broker bindings."),
                 content=asyncapi,
                 checked_by=(f"official AsyncAPI 3.0.0 JSON Schema ({ASYNCAPI_SPECS} schemas/3.0.0.json) with "
                             f"jsonschema Draft7Validator plus a local $ref walker, and {ASYNCAPI_PARSER} "
                             "(Spectral ruleset, no error diagnostics)")),
        Artifact(path="prometheus/alerts.yaml", media_type="application/yaml",
                 description="Prometheus alerting rules: consumer lag (Burrow-style), stalled consumers, dead letters.",
                 content=alerts, checked_by="promtool check rules (Prometheus 2.42)"),
        Artifact(path="prometheus/alerts_test.yaml", media_type="application/yaml",
                 description=("promtool unit test: synthetic series that make each alert fire with its labels and "
                              "annotations, and a healthy case in which no alert fires. Run: promtool test rules "
                              "prometheus/alerts_test.yaml"),
                 content=alerts_test, checked_by="promtool test rules (Prometheus 2.42)"),
        Artifact(path="schemas/envelope.schema.json", media_type="application/schema+json",
                 description="The event envelope as JSON Schema 2020-12 (closed model).",
                 content=json.dumps(ms.schema_, indent=2, ensure_ascii=False) + "\n",
                 checked_by=("jsonschema Draft202012Validator.check_schema, then validation of a sample envelope "
                             "(and rejection of a malformed one)")),
        Artifact(path="schemas/envelope.avsc", media_type="application/vnd.apache.avro+json",
                 description=f"The event envelope as an Avro record; registry compatibility {ms.compatibility}.",
                 content=json.dumps(ms.avro_schema, indent=2, ensure_ascii=False) + "\n",
                 checked_by=("fastavro.parse_schema and a write/read round trip; avro ReaderWriterCompatibilityChecker "
                             "(an optional field with a default is BACKWARD-compatible, a required one is not)")),
        Artifact(path="schemas/cloudevents-mapping.json", media_type="application/json",
                 description="CloudEvents 1.0 attribute -> envelope field mapping.",
                 content=json.dumps(mapping, indent=2, ensure_ascii=False) + "\n",
                 checked_by=("no third-party oracle: the test only checks that each mapped envelope field exists in "
                             "schemas/envelope.schema.json")),
    ]

"""The tools' input schemas as agents see them: one type per property, enums spelled out, short descriptions.

The server accepts any JSON for every argument and validates it itself (app/arguments.py), so a wrong type comes
back in the same field-level error format as a wrong value. These schemas tell a model what to send.
"""

from __future__ import annotations

from typing import Any

from event_driven.vocab import DELIVERIES, ORDERINGS, PLANNABLE_BROKERS, USE_CASES

DETAIL = {
    "type": "string",
    "enum": ["summary", "full"],
    "default": "summary",
    "description": "summary (default): the decision and the top of each list; full: everything.",
}
FILES = {
    "type": "string",
    "enum": ["links", "inline"],
    "default": "links",
    "description": "links (default): files as resource links to read with resources/read; inline: embedded.",
}

EVENT_CONTEXT: dict[str, Any] = {
    "type": "object",
    "description": (
        "The event context (YAML/JSON text also accepted). use_case: " + " | ".join(USE_CASES) + "; requirements: "
        "throughput ('10K msg/s'), latency ('100ms'), ordering ("
        + " | ".join(ORDERINGS)
        + "), delivery ("
        + " | ".join(DELIVERIES)
        + "), retention ('7 days'), message_size ('2 KB'), replay ('none' | 'full' | "
        "'30 days'), processing_time ('20 min'), idempotent_consumers (bool); producers, consumers: lists of "
        "service names."
    ),
    "examples": [
        {
            "use_case": "pub_sub",
            "requirements": {"throughput": "10K msg/s", "delivery": "at_least_once"},
            "producers": ["orders"],
            "consumers": ["billing"],
        }
    ],
}


def obj(description: str) -> dict[str, Any]:
    return {"type": "object", "description": description}


def text_or_list(description: str) -> dict[str, Any]:
    return {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}], "description": description}


def schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required)}


BROKER_OPTIONS = (
    "kafka, rabbitmq[.quorum|.classic|.stream], sqs[.standard|.fifo|.fifo_high_throughput], pulsar, "
    "nats_jetstream, redis_streams"
)

VALIDATE = schema({"event_context": EVENT_CONTEXT, "detail": DETAIL}, ("event_context",))
SELECT = schema(
    {
        "event_context": EVENT_CONTEXT,
        "constraints": obj(
            "Optional: cloud (aws|gcp|azure|on_premises|any), deployment (managed|self_hosted|any), "
            "existing_brokers (ids), max_complexity (low|medium|high)."
        ),
        "detail": DETAIL,
    },
    ("event_context",),
)
PLAN = schema(
    {
        "event_context": EVENT_CONTEXT,
        "broker": {
            "type": "string",
            "description": f"Optional: {BROKER_OPTIONS}. Default: the best plannable broker.",
            "examples": list(PLANNABLE_BROKERS),
        },
        "options": obj(
            "Optional: domain, replication_factor, producer_bytes_per_s_per_partition, "
            "consumer_msg_per_s_per_partition, message_size_bytes, processing_timeout_ms, max_attempts, "
            "dead_letter, request_reply, saga_style, compaction, schema_format (json|avro)."
        ),
        "detail": DETAIL,
        "files": FILES,
    },
    ("event_context",),
)
DIAGNOSE = schema(
    {
        "symptoms": text_or_list("What is observed, in the user's words."),
        "error_lines": text_or_list("Error or log lines, verbatim."),
        "config": {
            "anyOf": [{"type": "object"}, {"type": "string"}],
            "description": "Client/topic/queue config as an object or properties/YAML/JSON text.",
        },
        "metrics": obj(
            "Optional samples: consumer_group_offsets, queue_depths, unacked_counts, dlq_depths, "
            "redelivery_counts, processing_time_ms {scope, samples_ms}, rebalances, consumer_counts."
        ),
        "broker": {"type": "string", "description": "kafka, rabbitmq, sqs, pulsar, nats, redis; inferred when absent."},
        "event_context": EVENT_CONTEXT,
        "max_hypotheses": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
        "target": {
            "type": "string",
            "description": "Optional: an inspection target's name: its live state joins the evidence.",
        },
        "detail": DETAIL,
    }
)
TESTS = schema(
    {
        "event_context": EVENT_CONTEXT,
        "plan": obj("A plan from plan_topology (full detail), instead of event_context."),
        "options": obj(
            "Optional: suites, package, modules {suite: your.module}, include_integration, kafka_bootstrap, "
            "topology_dir, broker, plan_options."
        ),
        "detail": DETAIL,
        "files": FILES,
    }
)

SCHEMA_TEXT = {
    "anyOf": [{"type": "string"}, {"type": "object"}],
    "description": "Avro (JSON), JSON Schema or .proto text, or an Avro/JSON Schema object.",
}
SCHEMA_CHECK = schema(
    {
        "new_schema": SCHEMA_TEXT,
        "old_schema": SCHEMA_TEXT,
        "history": {
            "type": "array",
            "items": SCHEMA_TEXT,
            "description": "Every registered version, oldest first "
            "(for the *_TRANSITIVE modes), instead of old_schema.",
        },
        "format": {"type": "string", "enum": ["avro", "json", "protobuf"], "description": "Inferred when omitted."},
        "mode": {
            "type": "string",
            "enum": [
                "BACKWARD",
                "BACKWARD_TRANSITIVE",
                "FORWARD",
                "FORWARD_TRANSITIVE",
                "FULL",
                "FULL_TRANSITIVE",
                "NONE",
            ],
            "description": "The subject's compatibility mode; default the plan's, else BACKWARD.",
        },
        "plan": obj("Optional: a plan from plan_topology; its envelope's compatibility mode applies."),
        "detail": DETAIL,
    },
    ("new_schema",),
)

INSPECT = schema(
    {
        "target": {"type": "string", "description": "A target name from the operator's targets file."},
        "plan": obj("Optional: a plan from plan_topology (detail='full'): report the drift between it and the broker."),
        "pattern": {
            "type": "string",
            "description": "Optional: only channels whose names match this glob, e.g. 'orders.*'.",
        },
        "detail": DETAIL,
    },
    ("target",),
)

"""The seed's event envelope as JSON Schema (2020-12) and Avro, its CloudEvents mapping, and the evolution rule."""

from __future__ import annotations

from event_driven.core.topology.models import MessageSchema
from event_driven.kb.sources import SourceBook

# CloudEvents 1.0.2; schema evolution (Confluent, StreamNative: transitive modes, JSON Schema content models); subject
# naming (Kleppmann on several event types per topic). Ids in knowledge/sources.yaml.
SOURCE_IDS = ("gh-cloudevents-spec-spec", "confluent-fundamentals-schema-evolution",
              "docs-fundamentals-schema-evolution", "streamnative-sr-json-schema",
              "confluent-blog-put-several-event-types-kafka-topic")
# The JSON Schema dialect the envelope is written in: an identifier the schema declares, not a citation.
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _avro_name(domain: str) -> str:
    return "".join(part.capitalize() for part in domain.replace("-", "_").split("_") if part) or "Event"


def _text(description: str, **constraints: object) -> dict:
    """A string property; key order (type, constraints, description) is the published schema's."""
    return {"type": "string", **constraints, "description": description}


def _uuid(description: str) -> dict:
    return _text(description, format="uuid")


def envelope_json_schema(domain: str) -> dict:
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": f"urn:event-driven:{domain}:envelope:v1",
        "title": f"{_avro_name(domain)}EventEnvelope",
        "description": "The event envelope every message carries (seed skill event schema).",
        "type": "object",
        "required": ["event_id", "event_type", "aggregate_id", "aggregate_version", "timestamp", "payload", "metadata"],
        # Closed content model: adding a property is a visible, reviewed change (see evolution_rule).
        "additionalProperties": False,
        "properties": {
            "event_id": _uuid("Unique per event; consumers deduplicate on it."),
            "event_type": _text("Past-tense name, e.g. OrderPlaced.", pattern="^[A-Z][A-Za-z0-9]*$"),
            "aggregate_id": _text("Entity the event belongs to; the partition key.", minLength=1),
            "aggregate_version": {"type": "integer", "minimum": 1,
                                  "description": "Position in the aggregate's stream."},
            "timestamp": {"type": "string", "format": "date-time"},
            "payload": {"type": "object", "description": "Event-type specific data."},
            "metadata": {
                "type": "object",
                "required": ["correlation_id", "causation_id"],
                "additionalProperties": False,
                "properties": {
                    "correlation_id": _uuid("Shared by every message of one flow."),
                    "causation_id": _uuid("event_id of the message that caused this one."),
                    "user_id": {"type": ["string", "null"]},
                },
            },
        },
    }


def envelope_avro_schema(domain: str) -> dict:
    return {
        "type": "record",
        "name": "EventEnvelope",
        "namespace": f"events.{domain.replace('-', '_')}.v1",
        "doc": "The event envelope every message carries (seed skill event schema).",
        "fields": [
            {"name": "event_id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "event_type", "type": "string"},
            {"name": "aggregate_id", "type": "string"},
            {"name": "aggregate_version", "type": "long"},
            {"name": "timestamp", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "payload", "type": "string", "doc": "Event-type specific data, JSON-encoded."},
            {"name": "metadata", "type": {
                "type": "record", "name": "EventMetadata",
                "fields": [
                    {"name": "correlation_id", "type": {"type": "string", "logicalType": "uuid"}},
                    {"name": "causation_id", "type": {"type": "string", "logicalType": "uuid"}},
                    {"name": "user_id", "type": ["null", "string"], "default": None},
                ],
            }},
        ],
    }


def _allowed_changes(schema_format: str) -> str:
    """What a BACKWARD step may change, for the content model the envelope actually has."""
    if schema_format == "avro":
        return ("Allowed: add fields with a default, delete fields (a reader skips what the writer's schema has and "
                "its own lacks); never rename a field or change its type; upgrade consumers before producers.")
    return ("Allowed: add optional properties. The JSON Schema is a closed model (additionalProperties: false), so "
            "deleting a property is not BACKWARD-safe: the new schema rejects old events that still carry it; keep "
            "it optional and stop writing it instead. Never rename a property or change its type; upgrade consumers "
            "before producers.")


def message_schema(domain: str, use_case: str, producers: list[str], schema_format: str,
                   sources: SourceBook) -> MessageSchema:
    forever = use_case in ("event_sourcing",)
    compatibility = "BACKWARD_TRANSITIVE" if forever else "BACKWARD"
    why = (
        "events are kept and replayed forever, so every schema version must read all earlier ones (a chain of "
        "BACKWARD steps can still break v1 readers)" if forever else
        "the registry default: consumers upgrade first and read the previous version"
    )
    return MessageSchema(
        format=schema_format,
        schema=envelope_json_schema(domain),
        versioning=("semantic event types with a schema version per subject; the topic name carries the major version "
                    "(.v1); a breaking change is a new event type on a new .v2 channel, published side by side"),
        avro_schema=envelope_avro_schema(domain),
        cloudevents_mapping={
            "id": "event_id",
            "source": f"urn:service:{producers[0] if producers else domain}",
            "specversion": "1.0 (constant)",
            "type": "event_type, prefixed in reverse-DNS style, e.g. com.example." + domain + ".OrderPlaced",
            "subject": "aggregate_id",
            "time": "timestamp",
            "datacontenttype": "application/json",
            "data": "payload",
            "correlationid": "metadata.correlation_id (extension attribute)",
            "causationid": "metadata.causation_id (extension attribute)",
            "aggregateversion": "aggregate_version (extension attribute)",
        },
        compatibility=compatibility,
        evolution_rule=f"{compatibility}: {why}. {_allowed_changes(schema_format)}",
        subject_naming=("TopicNameStrategy (<topic>-value) for one event type per topic; TopicRecordNameStrategy when "
                        "a "
                        "topic carries several event types"),
        sources=[sources.url(i) for i in SOURCE_IDS],
    )

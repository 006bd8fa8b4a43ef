"""Offline schema compatibility checking (Avro, JSON Schema, Protobuf) under Schema Registry's modes.

Pure: no I/O. The caller passes the rule book (``knowledge/schema_rules.yaml``, loaded by ``kb.schema_rules``).
"""

from event_driven.core.schema.check import check_schema_change
from event_driven.core.schema.request import SchemaCheckRequest, schema_check_request
from event_driven.core.schema.result import Incompatibility, Rollout, SchemaCheckResult

__all__ = [
    "Incompatibility", "Rollout", "SchemaCheckRequest", "SchemaCheckResult", "check_schema_change",
    "schema_check_request",
]

"""The envelope's evolution rule agrees with its content model, judged by a JSON Schema validator.

The JSON envelope is closed (additionalProperties: false). Under BACKWARD the new schema must read old events: adding an
optional property keeps every old event valid, deleting one does not (old events still carry it), so the rule may
allow the first and must not allow the second. Avro readers skip fields they lack, so there deleting is allowed.
"""

from __future__ import annotations

import copy
import uuid

from jsonschema import Draft202012Validator

from event_driven.app.plan import plan_topology
from event_driven.kb.loader import knowledge

CONTEXT = {"use_case": "pub_sub", "requirements": {"throughput": "1K msg/s"}, "producers": ["orders"],
           "consumers": ["billing"]}


def plan(schema_format: str = "json"):
    return plan_topology(CONTEXT, knowledge(), "kafka", {"schema_format": schema_format}, render=False)


def old_event() -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": "OrderPlaced", "aggregate_id": "o-1", "aggregate_version": 1,
            "timestamp": "2026-12-01T09:00:00Z", "payload": {"total": 10},
            "metadata": {"correlation_id": str(uuid.uuid4()), "causation_id": str(uuid.uuid4()), "user_id": "u-1"}}


def test_closed_model_rejects_old_events_once_an_optional_property_is_deleted_and_the_rule_says_so():
    p = plan()
    v1 = p.message_schema.schema_
    assert v1["properties"]["metadata"]["additionalProperties"] is False
    Draft202012Validator(v1).validate(old_event())
    deleted = copy.deepcopy(v1)
    del deleted["properties"]["metadata"]["properties"]["user_id"]  # an optional property
    assert not Draft202012Validator(deleted).is_valid(old_event())  # the new reader rejects the old event
    added = copy.deepcopy(v1)
    added["properties"]["metadata"]["properties"]["tenant_id"] = {"type": ["string", "null"]}
    assert Draft202012Validator(added).is_valid(old_event())  # adding an optional property stays BACKWARD
    rule = p.message_schema.evolution_rule
    assert "add optional properties" in rule and "deleting a property is not BACKWARD-safe" in rule


def test_avro_rule_allows_deleting_fields():
    rule = plan("avro").message_schema.evolution_rule
    assert "delete fields" in rule and "not BACKWARD-safe" not in rule

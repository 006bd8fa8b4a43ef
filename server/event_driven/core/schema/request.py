"""The request of ``check_schema_change``: schemas as text or objects, a history oldest first, a format and a mode."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from event_driven.errors import InputError, from_validation_error
from event_driven.kb.schema_rules import CompatibilityMode, SchemaFormat
from event_driven.vocab import values

# A schema: .proto or JSON text, or an already parsed JSON value (an object, an Avro union list, a JSON Schema boolean).
SchemaInput = str | dict[str, object] | list[object] | bool
FORMATS: tuple[str, ...] = values(SchemaFormat)
MODES: tuple[str, ...] = values(CompatibilityMode)


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class SchemaCheckRequest(BaseModel):
    """Is ``new_schema`` a safe next version after ``old_schema`` (or after every version of ``history``)?"""

    model_config = ConfigDict(extra="forbid")

    new_schema: SchemaInput = Field(description="The proposed next version.")
    old_schema: SchemaInput | None = Field(None, description="The latest registered version.")
    history: list[SchemaInput] | None = Field(
        None, min_length=1, description="Every registered version, oldest first (for the transitive modes)."
    )
    format: Annotated[SchemaFormat | None, BeforeValidator(_lower)] = Field(
        None, description="avro, json or protobuf; inferred from the schemas when omitted and unambiguous."
    )
    mode: Annotated[CompatibilityMode | None, BeforeValidator(_upper)] = Field(
        None, description="The subject's compatibility mode; Schema Registry's default (BACKWARD) when omitted."
    )


ALLOWED = {"format": ", ".join(FORMATS), "mode": ", ".join(MODES)}


def schema_check_request(data: Mapping[str, object]) -> SchemaCheckRequest:
    """Validate raw input (from MCP or the CLI); every problem becomes a FieldError naming the allowed values."""
    try:
        return SchemaCheckRequest.model_validate(dict(data))
    except ValidationError as exc:
        raise InputError(from_validation_error(exc, allowed=ALLOWED)) from None

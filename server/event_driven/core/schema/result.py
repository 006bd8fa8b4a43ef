"""The result of ``check_schema_change``: the verdict, every incompatibility with its fix, and the rollout order."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from event_driven.kb.schema_rules import CompatibilityMode, Direction, SchemaFormat, UpgradeFirst

BreakingSide = Literal["old_readers_new_data", "new_readers_old_data"]
SIDE_OF: dict[Direction, BreakingSide] = {"backward": "new_readers_old_data", "forward": "old_readers_new_data"}


class Incompatibility(BaseModel):
    rule: str = Field(description="Rule id, e.g. 'avro.reader_field_missing_default'.")
    description: str = Field(description="What the rule says.")
    source: str = Field(description="URL of the source the rule follows.")
    location: str = Field(description="Field path or message and field number in the schema.")
    side: BreakingSide = Field(description="Which readers break: old readers on new data, or new readers on old data.")
    against_version: int = Field(description="The registered version (1 = oldest) the new schema breaks against.")
    message: str = Field(description="What exactly breaks.")
    registry_code: str | None = Field(None, description="Schema Registry's name for this difference, if it has one.")
    fix: str = Field(description="A concrete change that makes the new schema pass.")


class Rollout(BaseModel):
    upgrade_first: UpgradeFirst = Field(description="Who to upgrade first under this mode.")
    checked_against: Literal["latest", "all", "none"]
    allows_next: list[str] = Field(description="The kinds of change this mode allows in the next version.")


class SchemaCheckResult(BaseModel):
    compatible: bool
    format: SchemaFormat
    format_inferred: bool
    mode: CompatibilityMode
    mode_defaulted: bool = Field(description="True when no mode was given and the registry's default applies.")
    new_version: int = Field(description="The version number the new schema would get.")
    versions_checked: list[int] = Field(description="Registered versions the mode compares the new schema with.")
    incompatibilities: list[Incompatibility]
    rollout: Rollout
    compatible_modes: list[CompatibilityMode] = Field(
        description="Every mode under which this history would accept the new schema."
    )
    sources: list[str] = Field(description="URLs of the mode's source and of every rule cited, in order.")

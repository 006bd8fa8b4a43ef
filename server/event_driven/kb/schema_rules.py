"""Model for ``knowledge/schema_rules.yaml``: Schema Registry compatibility modes and the per-format rules.

The file is the one home of the default mode, what each mode checks and allows, and each rule's description, source
(an id of ``sources.yaml``, a URL once loaded) and fixes; ``core/schema`` holds only the checks, keyed by rule id.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from event_driven.kb.common import KnowledgeModel, SourceUrl

SchemaFormat = Literal["avro", "json", "protobuf"]
CompatibilityMode = Literal[
    "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE",
]
# backward: readers on the new schema meet data written with an old one; forward: the reverse.
Direction = Literal["backward", "forward"]
UpgradeFirst = Literal["consumers", "producers", "either", "coordinated"]


class DefaultMode(KnowledgeModel):
    value: CompatibilityMode
    source: SourceUrl


class ModeRule(KnowledgeModel):
    """What one compatibility mode checks, against which versions, and the rollout order it implies."""

    directions: list[Direction]
    against: Literal["latest", "all", "none"]
    upgrade_first: UpgradeFirst
    allows: list[str] = Field(min_length=1)
    source: SourceUrl


class RuleFix(KnowledgeModel):
    """The fix to propose, for the direction in which the rule broke. ``{placeholders}`` are filled per finding."""

    backward: str = Field(min_length=1)
    forward: str = Field(min_length=1)


class CompatibilityRule(KnowledgeModel):
    id: str = Field(pattern=r"^(avro|json|protobuf)\.[a-z_]+$")
    format: SchemaFormat
    description: str = Field(min_length=1)
    source: SourceUrl
    fix: RuleFix


class SchemaRuleBook(KnowledgeModel):
    default_mode: DefaultMode
    modes: dict[CompatibilityMode, ModeRule]
    rules: list[CompatibilityRule]

    @model_validator(mode="after")
    def _consistent(self) -> SchemaRuleBook:
        missing = sorted(set(CompatibilityMode.__args__) - set(self.modes))
        if missing:
            raise ValueError(f"modes missing: {missing}")
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate rule ids")
        for rule in self.rules:
            if not rule.id.startswith(rule.format + "."):
                raise ValueError(f"rule {rule.id} is filed under format {rule.format}")
        return self

    def rule(self, rule_id: str) -> CompatibilityRule:
        found = [r for r in self.rules if r.id == rule_id]
        if not found:
            raise KeyError(rule_id)
        return found[0]

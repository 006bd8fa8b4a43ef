"""What a format's rules report: one break found while a reader schema meets a writer schema's data.

Format modules know nothing of modes, versions or fixes; they answer one question, "can a reader on this schema read
what this writer schema writes?", with a list of :class:`Finding`. ``check.py`` turns findings into incompatibilities.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    rule: str  # a rule id of knowledge/schema_rules.yaml
    location: str  # field path (Avro, JSON Schema) or message and field number (Protobuf)
    message: str  # what exactly breaks, in the schema's own terms
    registry_code: str | None = None  # the name Schema Registry gives the difference, where it has one
    params: dict[str, str] = field(default_factory=dict)  # fills the rule's fix template


class FixParams(dict[str, str]):
    """Template values; a placeholder a finding did not fill stays visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"

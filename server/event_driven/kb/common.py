"""Building blocks shared by every knowledge-base model.

Every number in the knowledge base is a :class:`SourcedNumber`: the value, its unit, the URL that states it and,
where the figure changed between releases, the versions it holds for. Models forbid unknown keys so that a typo in a
YAML file stops start-up instead of being silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from event_driven.kb.sources import resolve_source

# A source id from knowledge/sources.yaml in the file; its URL once loaded.
SourceUrl = Annotated[str, AfterValidator(resolve_source)]


class KnowledgeModel(BaseModel):
    """Base for knowledge models: strict about unknown keys, immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourcedNumber(KnowledgeModel):
    """A figure with the evidence behind it."""

    value: float | int
    unit: str = Field(min_length=1, description="e.g. 'msg/s', 'bytes', 'hours', 'ms', 'count'")
    source: SourceUrl
    versions: str | None = Field(default=None, description="Release range the figure holds for, e.g. '>=3.0'")
    assumptions: str | None = Field(default=None, description="Conditions under which the figure was measured")
    note: str | None = None


def require_unique(ids: Iterable[str], what: str) -> None:
    """Reject a list in which an id occurs more than once, naming the repeated ids after ``what``."""
    seen = list(ids)
    dupes = sorted({i for i in seen if seen.count(i) > 1})
    if dupes:
        raise ValueError(f"{what}: {dupes}")

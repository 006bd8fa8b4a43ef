"""Model for ``knowledge/debug_checklist.yaml``: the seed skill's debug checklist."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from event_driven.kb.common import KnowledgeModel, SourceUrl


class ChecklistItem(KnowledgeModel):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    question: str
    why: str
    how_to_check: Annotated[list[str], Field(min_length=1)]
    sources: Annotated[list[SourceUrl], Field(min_length=1)]


class DebugChecklist(KnowledgeModel):
    source: SourceUrl
    items: Annotated[list[ChecklistItem], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> DebugChecklist:
        ids = [item.id for item in self.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate checklist ids: {dupes}")
        return self

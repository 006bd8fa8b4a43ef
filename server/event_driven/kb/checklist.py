"""Model for ``knowledge/debug_checklist.yaml``: the seed skill's debug checklist, and how each item is answered.

Each item's ``verdicts`` are conditions in the knowledge base's one condition language (:mod:`.predicates`) over the
facts a diagnosis request shows; the first that holds gives the status and the reason. Reasons are templates:
``{q:KEY}`` quotes the user's config line for KEY, ``{v:FACT}`` shows a fact's value.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, model_validator

from event_driven.kb.common import KnowledgeModel, SourceUrl, require_unique
from event_driven.kb.predicates import Node

ChecklistStatus = Literal["pass", "fail", "unknown"]
PLACEHOLDER = re.compile(r"\{([qv]):([^{}]+)\}")


class Verdict(KnowledgeModel):
    """When ``when`` holds, the item's answer is ``status`` for ``reason``."""

    when: Node
    status: ChecklistStatus
    reason: Annotated[str, Field(min_length=5)]


class ChecklistItem(KnowledgeModel):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    question: str
    why: str
    how_to_check: Annotated[list[str], Field(min_length=1)]
    sources: Annotated[list[SourceUrl], Field(min_length=1)]
    verdicts: list[Verdict] = Field(default_factory=list)
    otherwise: str = Field(default="", description="The reason when no verdict holds (status unknown)")


class DebugChecklist(KnowledgeModel):
    source: SourceUrl
    items: Annotated[list[ChecklistItem], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique_ids(self) -> DebugChecklist:
        require_unique((item.id for item in self.items), "duplicate checklist ids")
        return self

"""Model for ``knowledge/diagnosis_vocabulary.yaml``: how diagnose_issue reads a report's words.

Phrases fold multi-word expressions to concept words, stop words are dropped, and concept groups map every word of a
group (and its stem) to one token, so that a report and a failure mode's symptom phrase meet at the same tokens. The
file carries reading aids, not facts: no numbers and no sources.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from event_driven.kb.common import KnowledgeModel


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    return pattern


Word = Annotated[str, Field(pattern=r"^[a-z0-9']+$")]


class Phrase(KnowledgeModel):
    pattern: Annotated[str, AfterValidator(_compiles)]
    replace: str


class DiagnosisVocabulary(KnowledgeModel):
    stop_words: str = Field(description="Space-separated words dropped before matching")
    phrases: list[Phrase] = Field(description="Applied in order, case-insensitive, before tokenising")
    concepts: dict[Word, str] = Field(description="concept token -> space-separated words that read as it")
    multi: dict[Word, list[Word]] = Field(default_factory=dict, description="word -> the concepts it stands for")
    complaints: dict[str, list[str]] = Field(
        default_factory=dict, description="failure-mode category -> phrases that voice its complaint"
    )
    negations: str = Field(description="Space-separated words that negate the next content word ('not reprocessed')")
    setting_words: str = Field(
        description="Space-separated words that name a setting before a figure: a change of its value names no release"
    )
    figure_words: str = Field(
        description="Space-separated words a figure follows in prose ('takes 2.5', 'above 2.5') that name no component"
    )

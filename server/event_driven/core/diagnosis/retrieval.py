"""Symptoms as reporters write them: BM25 retrieval over each failure mode's description.

The phrase matcher (:mod:`.scoring`) rewards a report that repeats one of an entry's short symptom phrases. Reports
rarely do: they describe the situation in their own words. BM25 (``bm25s``) ranks every entry by how well the whole
report matches the entry's title, symptom phrases, summary, causes, error signatures and the names of the settings it
tests or changes, all passed through the same normaliser (:meth:`.text.Reader.tokenize`), so synonyms and stems
meet. The package is imported on the first diagnosis, not at server start.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from event_driven.core.diagnosis.text import Reader
from event_driven.kb.failure_modes import FailureMode

if TYPE_CHECKING:  # the import is deferred to the first diagnosis (cold start)
    import bm25s


def _setting_names(fm: FailureMode) -> list[str]:
    """The settings the entry's conditions test or its resolutions change: reporters name the setting they touched."""
    keys: list[str] = []
    for cond in fm.config_conditions:
        tested, present = cond.keys()
        keys.extend(sorted(tested | present))
    keys.extend(change.key for res in fm.resolutions for change in res.config_changes)
    return [k for k in keys if not k.startswith("observed.")]


def _document(fm: FailureMode, reader: Reader) -> list[str]:
    """Title, symptoms, summary and causes, plus what reporters paste or name: error signatures and setting names."""
    texts = [fm.title, *fm.symptoms, fm.summary, *fm.causes, *(s.pattern for s in fm.error_signatures),
             *_setting_names(fm)]
    return reader.tokenize(" . ".join(texts))


class SymptomIndex:
    """A BM25 index with one document per failure mode."""

    def __init__(self, fms: Sequence[FailureMode], reader: Reader) -> None:
        import bm25s

        # bm25s sets its own logger to DEBUG, so its progress lines would reach the server's stderr log.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self.ids = [fm.id for fm in fms]
        self._bm25: bm25s.BM25 = bm25s.BM25()
        self._bm25.index([_document(fm, reader) for fm in fms], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)

    def scores(self, query: Sequence[str]) -> dict[str, float]:
        """BM25 score per failure-mode id for the query tokens (0 when nothing matches)."""
        known = [t for t in dict.fromkeys(query) if t in self._vocab]
        if not known:
            return {}
        values = self._bm25.get_scores(known)
        return {fid: float(v) for fid, v in zip(self.ids, values, strict=True) if v > 0}

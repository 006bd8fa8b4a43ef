"""``diagnose_issue``: rank failure modes of the knowledge base against what a user reports.

Pure: no MCP imports, no I/O, no printing. :func:`diagnose` takes a :class:`DiagnoseRequest` (symptoms, error
lines, configuration, metrics, event context; all optional but at least one of the first four) and the loaded
:class:`~event_driven.kb.loader.KnowledgeBase`, and returns a :class:`Diagnosis`.

Scoring (per failure mode; deterministic)
-----------------------------------------
``score = (W_SYM * symptom_match + retrieval + versions + signatures + config + metrics + audit + context)
* broker_factor``

* **symptom_match**: the user's text (symptoms and error lines) and every symptom phrase of the entry (plus its
  title) are normalised: lower case, CamelCase / snake_case split, contractions expanded, stop words dropped, light
  suffix stemming, and common synonyms folded into one concept (dup/duplicate/twice/again, lag/behind/backlog,
  rebalance/rebalancing/rejoin, kicked out/left the group, lost/missing/disappear/vanish, stuck/stall/hang...).
  A phrase's *coverage* is the IDF-weighted share of its tokens found in the user's text (IDF over the catalogue,
  so words that appear in many entries, like "message", count little). Phrases covering < 50 % are ignored. A
  match's strength is ``coverage * min(1, matched IDF / 5)`` (one common word alone is weak evidence), times 0.7
  when the words come from different sentences; the entry's match is ``c1 + 0.5 c2 + 0.25 c3`` over its three best
  phrases. The first word after a negation is marked (``not reprocessed`` is not a duplicate).
* **retrieval**: BM25 (:mod:`.retrieval`, the ``bm25s`` package) ranks every entry by how well the whole report
  matches its title, symptoms, summary, causes, error signatures and the names of the settings it tests or changes
  (same normaliser), for reports that describe the situation in their own words rather than repeat a phrase; an
  entry within ``MIN_BM25_SHARE`` of the best match adds ``W_BM25 * share^2``, scaled down when even the best match
  is weak.
* **versions** (:mod:`.versions`): a version note (release range, note, source) whose range holds a version the
  report names, and whose words the report shares, adds ``W_VERSION_NOTE * overlap`` (half when no version of that
  broker is stated); entries marked ``stated_version_supports`` (a release-specific bug) gain ``W_VERSION_STATED``
  when the report names any component version.
* **signatures**: each error signature found in the error lines (or pasted into the symptoms) adds
  ``W_SIG * specificity`` (specificity grows with the pattern's length), divided by sqrt(k) when the same line
  matches signatures of k entries; the best signature counts fully, further ones a quarter.
* **config**: each config condition that evaluates True adds (``supports``) or subtracts (``refutes``) ``W_CFG``
  when every key it tests is in the user's config, ``W_CFG_WEAK`` when it relied on a documented default or on a
  key being absent (only for the entry's own broker; a default compared with an observed fact, such as the default
  ack deadline against the processing time the report states, counts for the broker in use).
* **metrics**: each metric pattern computed from the samples adds ``W_MET`` (supports) or subtracts
  ``0.75 * W_MET`` (refutes).
* **audit / context**: a config-audit finding that names the entry adds ``W_AUDIT`` (x0.5 for medium) unless a
  condition on the same key already counted; a context that states at-least-once with non-idempotent consumers
  supports the non-idempotent-consumer entry.
* **broker_factor**: 1 when the entry applies to the broker (``any`` entries apply everywhere), 0.2 when it does not
  and the broker was given, 0.4 when it was inferred. When the broker was given, entries for other brokers are
  dropped unless nothing for that broker matched.

Entries without supporting evidence, or with a score <= 0, are dropped. ``confidence`` = ``(1 - exp(-score / 4)) *
(0.5 + 0.5 * share)`` where *share* = score^2 / sum of score^2 over all kept hypotheses: the first factor measures
how much evidence there is, the second how clearly it points here rather than elsewhere (squared, so a clear leader
stands out). It is a ranking aid, not a calibrated probability.

When the runner-up scores at least 40 % of the leader, :attr:`Diagnosis.separating_question` names the one question
or read-only command that separates the two (:mod:`.separate`): the catalogue's ``distinguish`` entry for the pair,
or else one built from the two entries' first next diagnostics.
"""

from event_driven.core.diagnosis.brokers import normalize_broker
from event_driven.core.diagnosis.diagnose import diagnose
from event_driven.core.diagnosis.request import DiagnoseRequest
from event_driven.core.diagnosis.result import (
    BrokerInference,
    ChecklistResult,
    Diagnosis,
    Evidence,
    Hypothesis,
    LagVerdict,
)
from event_driven.core.diagnosis.text import Reader

__all__ = [
    "BrokerInference",
    "ChecklistResult",
    "DiagnoseRequest",
    "Diagnosis",
    "Evidence",
    "Hypothesis",
    "LagVerdict",
    "Reader",
    "diagnose",
    "normalize_broker",
]

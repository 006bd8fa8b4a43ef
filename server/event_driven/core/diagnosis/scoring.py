"""Scoring: how much each kind of evidence counts for a failure mode (see the package docstring for the formula)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from event_driven.core.diagnosis.result import Evidence
from event_driven.core.diagnosis.retrieval import SymptomIndex
from event_driven.core.diagnosis.text import Reader
from event_driven.core.diagnosis.versions import StatedVersion, matching_notes
from event_driven.core.evidence import ObservedPattern, ParsedConfig
from event_driven.kb.failure_modes import FailureMode
from event_driven.kb.loader import KnowledgeBase
from event_driven.kb.predicates import Comparison, Thresholds

W_SYM = 3.0
W_SIG = 4.0
W_CFG = 1.5
W_CFG_WEAK = 0.4
W_MET = 2.0
W_AUDIT = 1.5
W_CONTEXT = 0.75
PENALTY_GIVEN = 0.2
PENALTY_INFERRED = 0.4
CORROBORATION = 0.5  # per extra independent kind of supporting evidence; dev plateau 0.45-0.8, paraphrase flat
UNVOICED_COMPLAINT_FACTOR = 0.75  # duplicates/loss/ordering entry, report voices no such complaint (dev: 0.75 best)
CONTRADICTED_FACTOR = 0.3  # the report voices a complaint the mechanism cannot produce (cannot_explain)
UNNAMED_ACTOR_FACTOR = 0.5  # the report names none of the entry's actors (needs_mention) and only words support it
RESTATES_SYMPTOM_FACTOR = 0.7  # cross-validated on the dev and paraphrase sets (0.6-0.8 equal on dev)
MIN_COVERAGE = 0.4  # cross-validated: 0.4 beats 0.5 on dev (+1 top-1, +3 top-3), paraphrase equal
K_INFO = 5.0
SPREAD_FACTOR = 0.7
W_BM25 = 2.0
MIN_BM25_SHARE = 0.3
BM25_FULL = 6.0  # a best match at least this strong counts fully; weaker reports count in proportion
W_VERSION_STATED = 0.75
W_VERSION_NOTE = 3.0
MIN_NOTE_OVERLAP = 0.3
# Base rate of a cause that dominates a broker's public incident record. Set to 3 when release defects were 14 of 21
# Pulsar dev and paraphrase cases; the fourth collection brought that share to 13 of 30, so the weight is scaled with
# it (3 x 0.43 / 0.67 ~ 2). Dev: 2 and 3 differ by one case.
W_COMMON = 2.0
UNSTATED_VERSION_FACTOR = 0.5  # a version note that matches the words but no version of that broker is stated

SCORING_TEXT = (
    f"score = ({W_SYM:g} x symptom phrase match [IDF-weighted coverage >= {MIN_COVERAGE:.0%}, x min(1, matched IDF "
    f"/ {K_INFO:g}), x{SPREAD_FACTOR:g} across sentences; best + 0.5 second + 0.25 third] "
    f"+ {W_BM25:g} x share^2 of the best BM25 match of the whole report (with the config's keys and values) "
    f"over the entries' descriptions [share >= "
    f"{MIN_BM25_SHARE:.0%}; x min(1, best / {BM25_FULL:g})] "
    f"+ {W_VERSION_NOTE:g} x word overlap per version note whose release range holds a version the report states "
    f"[overlap >= {MIN_NOTE_OVERLAP:.0%}] + {W_VERSION_STATED:g} for a stated version where that alone is evidence "
    f"+ {W_COMMON:g} for a cause that dominates the broker's public incident record "
    f"+ {W_SIG:g} x signature specificity per error signature [shared lines / sqrt(k)] "
    f"+/- {W_CFG:g} per config condition on keys you set ({W_CFG_WEAK:g} when it relies on a default or a missing "
    f"key, or only makes the mode possible) +/- {W_MET:g} per metric pattern seen (refuting x0.75) "
    f"+ {W_AUDIT:g} per high/critical config finding "
    f"naming the entry, half for medium) "
    f"x broker factor (1 if the entry fits the broker, {PENALTY_GIVEN:g} if not and the broker was given, "
    f"{PENALTY_INFERRED:g} if inferred) x {RESTATES_SYMPTOM_FACTOR:g} for an entry that restates the symptom rather "
    "than naming a mechanism (a backlog, duplicates, an idle consumer) when only words support it, x (1 + "
    f"{CORROBORATION:g} per extra independent kind of supporting evidence: words, error line, setting, metric, "
    f"version), x {UNVOICED_COMPLAINT_FACTOR:g} for a duplicates, loss or ordering entry when the report voices "
    f"no such complaint and only words support it, x {CONTRADICTED_FACTOR:g} when it voices one the mechanism "
    "cannot produce (duplicates from an at-most-once drop), "
    f"x {UNNAMED_ACTOR_FACTOR:g} when it names none of the actors the mechanism needs (an autoscaler, an exporter) and "
    "only words support it. confidence = "
    "(1 - exp(-score/4)) x (0.5 + 0.5 x score^2 / sum of score^2 over the kept hypotheses): evidence strength "
    "times how clearly it points at this entry; a ranking aid, not a "
    "probability."
)


def _signature_hits(sig_pattern: str, kind: str, text: str, matches: bool) -> bool:
    """A signature match with word boundaries at alphanumeric edges (no 'Timeout' inside 'BlockedTimeout')."""
    if kind == "regex":
        return matches
    if matches:
        pat = sig_pattern.lower()
        low = text.lower()
        start = 0
        while True:
            i = low.find(pat, start)
            if i < 0:
                break
            j = i + len(pat)
            left_ok = not pat[0].isalnum() or i == 0 or not low[i - 1].isalnum()
            right_ok = not pat[-1].isalnum() or j == len(low) or not low[j].isalnum()
            if left_ok and right_ok:
                return True
            start = i + 1
        return False
    if kind == "exception":
        # The same error code spelled by another client: UNKNOWN_MEMBER_ID / UnknownMemberId / UnknownMemberIdError.
        sq = re.sub(r"[^a-z0-9]", "", sig_pattern.lower())
        if len(sq) >= 6:
            for ident in re.findall(r"[A-Za-z0-9_]+", text):
                si = ident.replace("_", "").lower()
                if si in (sq, sq + "error", sq + "exception"):
                    return True
    return False


class _Index:
    """IDF over the catalogue and the tokenised phrases of every entry (computed once per knowledge base)."""

    def __init__(self, fms: list[FailureMode], reader: Reader) -> None:
        self.reader = reader
        tokenize = reader.tokenize
        tokenized: dict[str, list[tuple[str, list[str]]]] = {}
        df: dict[str, int] = {}
        for fm in fms:
            items = [(s, tokenize(s)) for s in fm.symptoms] + [(fm.title, tokenize(fm.title))]
            tokenized[fm.id] = [(text, toks) for text, toks in items if toks]
            vocab = {t for _, toks in items for t in toks}
            for t in vocab:
                df[t] = df.get(t, 0) + 1
        n = len(fms)
        self.idf = {t: math.log(1 + n / c) for t, c in df.items()}
        # Per phrase: its text, its distinct tokens in a fixed order and their total IDF (computed once, not per call).
        self.phrases: dict[str, list[tuple[str, tuple[str, ...], float]]] = {}
        for fid, items in tokenized.items():
            rows = []
            for text, toks in items:
                uniq = tuple(sorted(set(toks)))
                total = sum(self.idf.get(t, 0.0) for t in uniq)
                if total > 0:
                    rows.append((text, uniq, total))
            self.phrases[fid] = rows
        self._fms = fms
        self._bm25: SymptomIndex | None = None

    @property
    def bm25(self) -> SymptomIndex:
        if self._bm25 is None:
            self._bm25 = SymptomIndex(self._fms, self.reader)
        return self._bm25


# The last knowledge base's parts and their index: one is in use at a time, and holding the parts keeps the identity
# check sound.
_LAST_INDEX: tuple[object, object, _Index] | None = None


def index_of(kb: KnowledgeBase) -> _Index:
    """The index of ``kb``, built once. A knowledge base is read-only once loaded: one changed in place is not
    re-read (derive a new one with ``model_copy``)."""
    global _LAST_INDEX
    held = _LAST_INDEX
    if held is None or held[0] is not kb.failure_modes or held[1] is not kb.vocabulary:
        held = _LAST_INDEX = (kb.failure_modes, kb.vocabulary, _Index(kb.failure_modes.failure_modes,
                                                                      Reader(kb.vocabulary)))
    return held[2]


class Scored:
    def __init__(self, fm: FailureMode) -> None:
        self.fm = fm
        self.raw = 0.0
        self.score = 0.0
        self.pro: list[Evidence] = []
        self.con: list[Evidence] = []
        self.sig = 0

    def add(self, ev: Evidence) -> None:
        self.raw += ev.weight
        (self.pro if ev.weight > 0 else self.con).append(ev)


def _best_quote(sentences: list[tuple[str, set[str]]], toks: list[str]) -> str | None:
    best, hits = None, 0
    for s, st in sentences:
        n = len(st & set(toks))
        if n > hits:
            best, hits = s, n
    return best


def _phrase_match(
    uniq: tuple[str, ...], total: float, toks: set[str], idf: Mapping[str, float]
) -> tuple[float, list[str]]:
    got = [t for t in uniq if t in toks]
    got_idf = sum(idf.get(t, 0.0) for t in got)
    cov = got_idf / total
    if cov < MIN_COVERAGE:
        return 0.0, got
    return cov * min(1.0, got_idf / K_INFO), got


def score_symptoms(sc: Scored, idx: _Index, user: set[str], sentences: list[tuple[str, set[str]]]) -> None:
    """Phrase matches within one sentence count fully; words gathered across sentences count SPREAD_FACTOR."""
    covs: list[tuple[float, str, list[str], str | None]] = []
    for text, uniq, total in idx.phrases.get(sc.fm.id, []):
        if sum(idx.idf.get(t, 0.0) for t in uniq if t in user) / total < MIN_COVERAGE:
            continue  # no sentence, nor the whole report, covers enough of this phrase
        best, best_got, quote = 0.0, [], None
        for sent, stoks in sentences:
            val, got = _phrase_match(uniq, total, stoks, idx.idf)
            if val > best:
                best, best_got, quote = val, got, sent
        val, got = _phrase_match(uniq, total, user, idx.idf)
        if val * SPREAD_FACTOR > best:
            best, best_got, quote = val * SPREAD_FACTOR, got, _best_quote(sentences, got)
        if best > 0:
            covs.append((best, text, best_got, quote))
    covs.sort(key=lambda c: (-c[0], c[1]))
    for factor, (val, text, got, quote) in zip((1.0, 0.5, 0.25), covs[:3], strict=False):
        sc.add(
            Evidence(
                kind="symptom",
                effect="supports",
                weight=round(W_SYM * factor * val, 3),
                quote=quote,
                matched=text,
                why=f"matched words: {', '.join(got)} (match strength {val:.2f})",
            )
        )


def score_signatures(scored: dict[str, Scored], lines: list[str]) -> list[tuple[str, str]]:
    """Signature evidence; returns (broker, pattern) pairs for broker inference."""
    sig_brokers: list[tuple[str, str]] = []
    per_entry: dict[str, list[Evidence]] = {}
    for line in lines:
        hits: dict[str, list[Any]] = {}
        for sc in scored.values():
            for sig in sc.fm.error_signatures:
                if _signature_hits(sig.pattern, sig.kind, line, sig.matches(line)):
                    hits.setdefault(sc.fm.id, []).append(sig)
                    if sig.broker:
                        sig_brokers.append((sig.broker, sig.pattern))
        k = len(hits)
        for fid, sigs in hits.items():
            best = max(sigs, key=lambda s: (len(s.pattern), s.pattern))
            spec = min(1.0, 0.4 + len(best.pattern) / 30)
            w = W_SIG * spec / math.sqrt(k)
            per_entry.setdefault(fid, []).append(
                Evidence(
                    kind="error_signature",
                    effect="supports",
                    weight=round(w, 3),
                    quote=line.strip()[:300],
                    matched=f"{best.kind}: {best.pattern}",
                    why=(
                        f"printed by {best.client or best.broker or 'the client'}"
                        + (
                            f"; the same line also matches {k - 1} other entr{'y' if k == 2 else 'ies'}"
                            if k > 1
                            else ""
                        )
                    ),
                    source=best.source,
                )
            )
    for fid, evs in per_entry.items():
        evs.sort(key=lambda e: (-e.weight, e.matched))
        seen: set[str] = set()
        first = True
        for ev in evs:
            if ev.matched in seen:
                continue
            seen.add(ev.matched)
            if not first:
                ev = ev.model_copy(update={"weight": round(ev.weight * 0.25, 3)})
            scored[fid].add(ev)
            scored[fid].sig += 1
            first = False
    return sig_brokers


def _weak_basis_ok(sc: Scored, val_keys: set[str], config_brokers: set[str], broker: str | None) -> bool:
    """Whether a condition that holds only through a default or a missing key may vote: when the user's config is of
    the entry's broker, or when it compares a documented default of the broker in use with an observed fact (a
    default deadline against the processing time the report states)."""
    brokers = set(sc.fm.brokers)
    if brokers & config_brokers:
        return True
    observed = any(k.startswith("observed.") for k in val_keys)
    return observed and broker is not None and broker in brokers


def score_config(
    sc: Scored,
    flat: Mapping[str, Any],
    parsed: ParsedConfig,
    config_brokers: set[str],
    thresholds: Thresholds,
    broker: str | None = None,
) -> set[str]:
    """Config-condition evidence. Conditions that hold only through a documented default or a missing key count
    weakly, and only for the entry's own broker (see :func:`_weak_basis_ok`), so an unrelated config does not vote."""
    keys_used: set[str] = set()
    for cond in sc.fm.config_conditions:
        try:
            result = cond.evaluate(flat, thresholds)
        except Exception:  # noqa: BLE001 - a malformed user value must not break the diagnosis
            result = None
        if result is not True:
            continue
        val_keys, pres_keys = cond.keys()
        explicit = bool(val_keys) and all(k in flat for k in val_keys)
        if not explicit and not _weak_basis_ok(sc, val_keys, config_brokers, broker):
            continue
        w = W_CFG if explicit and not cond.precondition else W_CFG_WEAK
        quotes = [q for k in sorted(val_keys | pres_keys) if (q := parsed.quote(k))]
        if explicit:
            keys_used |= val_keys
        basis = (
            " (a setting that makes this possible, not a fault in itself)" if explicit and cond.precondition
            else "" if explicit else " (relies on a documented default or on a key being absent)"
        )
        sc.add(
            Evidence(
                kind="config_condition",
                effect=cond.effect,
                weight=w if cond.effect == "supports" else -w,
                quote="; ".join(quotes) or None,
                matched=cond.describe(thresholds) + basis,
                why=cond.why,
                source=cond.default.source if isinstance(cond, Comparison) and cond.default else None,
            )
        )
    return keys_used


def score_metrics(sc: Scored, observed: dict[str, ObservedPattern]) -> None:
    for mp in sc.fm.metric_patterns:
        ob = observed.get(mp.name)
        if ob is None:
            continue
        w = W_MET if mp.effect == "supports" else -0.75 * W_MET
        sc.add(
            Evidence(
                kind="metric_pattern",
                effect=mp.effect,
                weight=w,
                quote=ob.detail,
                matched=mp.name,
                why=mp.why,
                source=ob.source,
            )
        )


def score_retrieval(sc: Scored, scores: Mapping[str, float], best: float) -> None:
    """BM25 evidence: the entry's share of the best match over the whole catalogue."""
    value = scores.get(sc.fm.id, 0.0)
    if best <= 0 or value <= 0:
        return
    share = min(1.0, value / best)
    if share < MIN_BM25_SHARE:
        return
    strength = min(1.0, best / BM25_FULL) if BM25_FULL > 0 else 1.0
    sc.add(
        Evidence(
            kind="retrieval",
            effect="supports",
            weight=round(W_BM25 * share**2 * strength, 3),
            quote=None,
            matched="BM25 over the entry's title, symptoms, summary, causes, signatures and settings",
            why=f"the report matches this entry at {share:.0%} of the best match (BM25 {value:.2f})",
        )
    )


def score_versions(
    sc: Scored, stated: list[StatedVersion], broker: str | None, user: set[str], reader: Reader
) -> None:
    """Version evidence: notes whose release range holds the version the report names and whose words it shares."""
    if sc.fm.stated_version_supports and stated:
        shown = "; ".join(dict.fromkeys(v.text for v in stated[:3]))
        sc.add(
            Evidence(
                kind="version",
                effect="supports",
                weight=W_VERSION_STATED,
                quote=shown,
                matched="a component version named in the report",
                why="the report names the release in use; a release-specific bug is possible",
            )
        )
    for note, sv in matching_notes(sc.fm.versions, stated, broker):
        words = reader.token_set(note.note)
        overlap = len(words & user) / len(words) if words else 0.0
        if overlap < MIN_NOTE_OVERLAP:
            continue
        factor = 1.0 if sv is not None else UNSTATED_VERSION_FACTOR
        why = (
            f"the report runs {'.'.join(map(str, sv.version))}, inside the range {note.versions}"
            if sv
            else f"no {note.component or note.broker} version is stated; this applies if the release in use is "
            f"{note.versions}"
        )
        sc.add(
            Evidence(
                kind="version",
                effect="supports",
                weight=round(W_VERSION_NOTE * overlap * factor, 3),
                quote=sv.text if sv else None,
                matched=f"{note.component or note.broker} {note.versions}: {note.note}",
                why=why,
                source=note.source,
            )
        )


def score_base_rate(sc: Scored, broker: str | None) -> None:
    """A cause that dominates the broker's public incident record counts as weak evidence whenever it is in use."""
    if broker is not None and broker in sc.fm.common_for:
        sc.add(
            Evidence(
                kind="broker",
                effect="supports",
                weight=W_COMMON,
                quote=broker,
                matched=f"most public {broker} incidents of this kind turn out to be this cause",
                why="base rate: without evidence for a setting, this is the likeliest explanation on this broker",
            )
        )

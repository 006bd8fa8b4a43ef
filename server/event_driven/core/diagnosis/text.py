"""The user's words as tokens: normalisation, stop words, stemming, synonym concepts and negation.

The words themselves (stop words, multi-word phrases, concept groups) are data in
``knowledge/diagnosis_vocabulary.yaml``, loaded with the rest of the knowledge base and compiled once per knowledge
base (the scoring index holds its :class:`Reader`).

Both sides of a symptom match go through :meth:`Reader.tokenize`: the user's symptoms and error lines, and every symptom
phrase of the knowledge base, so "kicked out of the group" and "left the group" meet at the same tokens.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from event_driven.core.evidence import parse_duration_ms
from event_driven.kb.vocabulary import DiagnosisVocabulary

_SIZE_RE = re.compile(r"\b(\d+(?:\.\d+)?)\s*([kmgt]i?b|bytes)\b", re.IGNORECASE)
_UNIT_MB = {"b": 1e-6, "k": 1e-3, "m": 1.0, "g": 1e3, "t": 1e6}
# Message-size limits of the brokers covered stay well below this; a larger figure describes stored volume.
PAYLOAD_MAX_MB = 100.0


def _size_words(m: re.Match[str]) -> str:
    """A stated payload size ("a 3 MB message", "over 256 KB") is a statement about size; a figure of 100 MB or more
    ("topic storage 350 MB", "10 GB on disk") describes stored volume, not one message."""
    unit = m.group(2).lower()
    mb = float(m.group(1)) * _UNIT_MB["b" if unit == "bytes" else unit[0]]
    if mb <= 0:
        return " "
    return " large size " if mb < PAYLOAD_MAX_MB else " volume "


def _stem(word: str) -> str:
    """Light suffix stripping: rebalancing / rebalanced / rebalances -> rebalanc; trimmed / trimming -> trim."""
    w = word
    for _ in range(2):
        for suf in ("ing", "ed", "es", "s", "er", "ly"):
            if w.endswith(suf) and len(w) - len(suf) >= 3 and not (suf == "s" and w.endswith("ss")):
                w = w[: -len(suf)]
                if suf in ("ing", "ed", "er") and len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                    w = w[:-1]
                break
        else:
            break
    if w.endswith("e") and len(w) > 3:
        w = w[:-1]
    return w


def _split_identifiers(text: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return re.sub(r"[_./:\-]+", " ", text)


class Reader:
    """One knowledge base's vocabulary (``knowledge/diagnosis_vocabulary.yaml``), compiled once: the diagnosis reads
    with the vocabulary of the knowledge base it was given, never with a process-wide one."""

    def __init__(self, vocab: DiagnosisVocabulary) -> None:
        synonyms: dict[str, tuple[str, ...]] = {}
        for concept, words in vocab.concepts.items():
            for w in words.split():
                synonyms[w] = (concept,)
        synonyms.update({w: tuple(cs) for w, cs in vocab.multi.items()})
        stems: dict[str, tuple[str, ...]] = {}
        for w, c in synonyms.items():
            st = _stem(w)
            if st == w or len(st) >= 4:  # 'none' -> 'non' must not turn 'non-unique' into 'empty'
                stems.setdefault(st, c)
        self.stop_words = frozenset(vocab.stop_words.split())
        self.negations = frozenset(vocab.negations.split())
        # Version reading: words before a figure that name a setting, and every word that names no component.
        self.setting_words = frozenset(vocab.setting_words.split())
        self.not_components = self.setting_words | frozenset(vocab.figure_words.split())
        self._phrases = [(re.compile(p.pattern, re.IGNORECASE), p.replace) for p in vocab.phrases]
        self._synonyms = synonyms
        self._stem_synonyms = stems
        self._sets: dict[str, frozenset[str]] = {}
        # Per failure-mode category, the tokens of the phrases that voice its complaint (``complaints``).
        self.complaint_tokens = {cat: frozenset(t for p in phrases for t in self.tokenize(p))
                                 for cat, phrases in vocab.complaints.items()}

    def tokenize(self, text: str) -> list[str]:
        """Normalised tokens of ``text``: stop words removed, stems, synonyms folded, and the first content word
        after a negation (not / never / no / without) marked ``no_<token>`` so 'not reprocessed' does not count as a
        duplicate."""
        t = text.replace("’", "'")
        t = _SIZE_RE.sub(_size_words, t)
        for rx, rep in self._phrases:
            t = rx.sub(rep, t)
        t = _split_identifiers(t).lower()
        out: list[str] = []
        negate = False
        for word in re.findall(r"[a-z0-9]+", t):
            if word in self.negations:
                negate = True
                continue
            if word in self.stop_words or len(word) < 2 or word.isdigit():
                continue
            toks = self._word_tokens(word)
            out.extend(f"no_{x}" for x in toks) if negate else out.extend(toks)
            negate = False
        return out

    def _word_tokens(self, word: str) -> tuple[str, ...]:
        if word in self._synonyms:
            return self._synonyms[word]
        st = _stem(word)
        if st in self._stem_synonyms:
            return self._stem_synonyms[st]
        return () if st in self.stop_words else (st,)

    def token_set(self, text: str) -> frozenset[str]:
        """The tokens of a fixed knowledge-base text (a version note), computed once per text."""
        if text not in self._sets:
            self._sets[text] = frozenset(self.tokenize(text))
        return self._sets[text]


@functools.lru_cache(maxsize=256)
def _actor_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    longest_first = sorted(words, key=len, reverse=True)
    alternatives = "|".join(re.escape(w.lower()).replace(r"\ ", r"[\s_-]+") for w in longest_first)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})", re.IGNORECASE)


def names_any(words: Iterable[str], text: str) -> bool:
    """Whether ``text`` names one of ``words`` as written, a word starting at a word boundary ("exporter" in
    "kafka-exporter", "scale" in "scaled"). Raw text, not tokens: tokenising reduces "another consumer" to the
    generic ``consumer``, which every report names."""
    return bool(_actor_pattern(tuple(words)).search(text))


_PT_RE = re.compile(
    r"\b(?:takes?|taking|took|runs?|running|ran|lasts?|lasting|processing(?:\s+time)?|handler|duration|long)\s+"
    r"(?:(?:of|is|for|about|around|roughly|approximately|over|more than|longer than|up to|at least|nearly|almost|"
    r"~)\s*)*~?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?)\b"
    r"|~?(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|mins?|minutes?|h|hrs?|hours?)\s+"
    r"(?:handler|task|job|processing)\b",
    re.IGNORECASE,
)


def processing_time_from_text(texts: Iterable[str]) -> tuple[float, str] | None:
    best: tuple[float, str] | None = None
    for t in texts:
        for m in _PT_RE.finditer(t):
            num, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            ms = parse_duration_ms(f"{num}{unit}")
            if ms is not None and (best is None or ms > best[0]):
                best = (ms, m.group(0).strip())
    return best

"""The user's words as tokens: normalisation, stop words, stemming, synonym concepts and negation.

Both sides of a symptom match go through :func:`tokenize`: the user's symptoms and error lines, and every symptom
phrase of the knowledge base, so "kicked out of the group" and "left the group" meet at the same tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from event_driven.core.evidence import parse_duration_ms

STOP_WORDS = frozenset("""
a an the is are was were be been being am to of in on at for with by from as and or but if then than so that this
these those it its it's i we you they he she them our your my me us do does did doing done have has had having can
could would should will shall may might must just also only very too about into over under out up down off again?
when while after before during since until because what which who whom whose where why how there here some any each
every both either neither other another such own lot lots one's using use used get go goes going went
happen happens happened happening seem seems seemed still even though although via per within without like
""".split()) - {"again?"}

# Multi-word phrases folded before tokenising (order matters: longer first).
_PHRASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), r)
    for p, r in [
        (r"\bmore than once\b", " duplicate "),
        (r"\b(multiple|several|many) times\b", " duplicate "),
        (r"\bkick(ed|s)? out of (the )?(consumer )?group\b", " leave group rebalance "),
        (r"\bkick(ed|s)? out\b", " leave "),
        (r"\bdrop(s|ped|ping)? out\b", " leave "),
        (r"\b(over and over|again and again|in a loop|forever|endless(ly)?|infinite(ly)?)\b", " loop "),
        (r"\btim(ed|es|e)[ -]out\b", " timeout "),
        (r"\bout of memory\b", " memory "),
        (r"\bout of order\b", " order "),
        (r"\bthundering herd\b", " herd "),
        (r"\b(all )?at (the same|once|the same time|the same moment)\b", " herd "),
        (r"\b(same moment|lock-?step)\b", " herd "),
        (r"\bfall(s|ing)? behind\b", " lag "),
        (r"\bpil(e|es|ed|ing) up\b", " backlog "),
        (r"\b(can ?not|can't|cannot|unable to|could ?not|couldn't)\b", " fail "),
        (r"\b(not acked|not acknowledged|un-?ack(nowledg)?ed)\b", " unack "),
        (r"\bdead[- ]?letter(ed|ing)?( queue| exchange| topic)?\b", " dlq "),
        (r"\bno longer\b", " stop "),
        (r"\bwon't\b", " will not "),
        (r"\b(\w+)n't\b", r" \1 not "),
    ]
]

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


# Concept groups: every listed word (and its stem) maps to the concept token(s).
_SYNONYMS: dict[str, tuple[str, ...]] = {}
for _concept, _words in {
    "dup": "duplicate duplicates duplicated dup dups dupe dupes twice double doubled again repeated copy copies",
    "lag": "lag lags lagging behind backlog backlogs",
    "rebalance": "rebalance rebalances rebalancing rebalanced rejoin rejoins rejoined rejoining reassign reassigned "
                 "revoke revoked",
    "leave": "leave leaves leaving left kick kicked",
    "lost": "lost lose loses losing loss missing miss missed disappear disappears disappeared vanish vanishes "
            "vanished gone",
    "stuck": "stuck stall stalls stalled stalling hang hangs hanging hung freeze freezes frozen halt halted",
    "fail": "fail fails failed failing failure failures error errors err exception exceptions",
    "crash": "crash crashes crashed crashing die dies died dying kill killed panic terminate terminated "
             "terminates",
    "exit": "exit exits exited exiting quit quits shutdown",
    "monitor": "monitoring dashboard dashboards grafana prometheus exporter exporters graph graphs chart panel",
    "health": "health healthy healthcheck healthchecks liveness readiness aliveness probe probes",
    "throttle": "throttle throttles throttled throttling",
    "heartbeat": "heartbeat heartbeats",
    "block": "block blocks blocked blocking",
    "restart": "restart restarts restarted restarting reboot rebooted bounce bounced",
    "msg": "message messages msg msgs event events record records entry entries",
    "job": "job jobs task tasks",
    "consumer": "consumer consumers subscriber subscribers worker workers listener listeners handler handlers",
    "publish": "producer producers publisher publishers produce produces produced producing publish publishes "
               "published publishing send sends sent sending sender emit emits emitted write writes written "
               "writing",
    "receive": "receive receives received receiving get gets got getting fetch fetches fetched fetching pull "
               "pulls pulled read reads reading reader readers dispatch dispatches dispatched dispatching deliver "
               "delivers delivered delivering",
    # A report that names a release change points at release-specific defects, however it is worded.
    "upgrade": "upgrade upgrades upgraded upgrading downgrade downgraded downgrading rollback regression version",
    # Every deadline the broker or client enforces reads as one concept: timeout, deadline, expiry.
    "timeout": "timeout timeouts deadline deadlines expire expires expired expiry",
    "empty": "empty nothing none",
    "order": "order ordering ordered reorder reordered sequence sequences",
    "connect": "connect connects connected connecting connection connections",
    "retry": "retry retries retried retrying",
    "herd": "herd stampede",
    "overload": "overload overloaded overwhelm overwhelms overwhelmed overwhelming hammer hammers hammering flood "
                "flooded saturate saturates saturated swamp swamped",
    "spike": "spike spikes surge surges burst bursts",
    "large": "large larger big bigger huge oversized",
    "slow": "slow slower slowly sluggish delay delayed delays late",
    "unack": "unack unacked unacknowledged",
    "ack": "ack acks acked acking acknowledge acknowledged acknowledgement acknowledgment acknowledgements",
    "redeliver": "redeliver redelivers redelivered redelivery redeliveries",
    "memory": "memory ram oom heap",
    "idle": "idle idling",
    "skew": "skew skewed uneven imbalance imbalanced unbalanced",
    "container": "docker container containers",
    "dlq": "dlq dlx dlqs",
    "database": "database databases db dbs row rows table tables sql",
}.items():
    for _w in _words.split():
        _SYNONYMS[_w] = (_concept,)
_SYNONYMS.update({
    "reconnect": ("connect", "retry"), "reconnects": ("connect", "retry"), "reconnecting": ("connect", "retry"),
    "reconnection": ("connect", "retry"), "reconnections": ("connect", "retry"), "reconnected": ("connect", "retry"),
    "requeue": ("requeue", "redeliver"), "requeued": ("requeue", "redeliver"), "requeues": ("requeue", "redeliver"),
    "requeuing": ("requeue", "redeliver"), "requeueing": ("requeue", "redeliver"),
    "reprocess": ("dup", "redeliver"), "reprocessed": ("dup", "redeliver"), "reprocessing": ("dup", "redeliver"),
    "reprocesses": ("dup", "redeliver"),
    # Redis stream commands name the concept they act on.
    "xtrim": ("xtrim", "trim"), "xpending": ("xpending", "pend"), "xack": ("xack", "ack"),
    "xclaim": ("xclaim", "claim"), "xautoclaim": ("xautoclaim", "claim"), "xadd": ("xadd", "publish"),
    "xreadgroup": ("xreadgroup", "receive", "group"), "xgroup": ("xgroup", "group"),
})


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


_STEM_SYNONYMS: dict[str, tuple[str, ...]] = {}
for _w, _c in _SYNONYMS.items():
    _st = _stem(_w)
    if _st == _w or len(_st) >= 4:  # 'none' -> 'non' must not turn 'non-unique' into 'empty'
        _STEM_SYNONYMS.setdefault(_st, _c)

_NEGATIONS = frozenset({"not", "never", "no", "without", "nor"})


def _split_identifiers(text: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", text)
    return re.sub(r"[_./:\-]+", " ", text)


def tokenize(text: str) -> list[str]:
    """Normalised tokens of ``text``: stop words removed, stems, synonyms folded, and the first content word after
    a negation (not / never / no / without) marked ``no_<token>`` so 'not reprocessed' does not count as a
    duplicate."""
    t = text.replace("’", "'")
    t = _SIZE_RE.sub(_size_words, t)
    for rx, rep in _PHRASES:
        t = rx.sub(rep, t)
    t = _split_identifiers(t).lower()
    out: list[str] = []
    negate = False
    for word in re.findall(r"[a-z0-9]+", t):
        if word in _NEGATIONS:
            negate = True
            continue
        if word in STOP_WORDS or len(word) < 2 or word.isdigit():
            continue
        if word in _SYNONYMS:
            toks: tuple[str, ...] | list[str] = _SYNONYMS[word]
        else:
            st = _stem(word)
            if st in _STEM_SYNONYMS:
                toks = _STEM_SYNONYMS[st]
            elif st in STOP_WORDS:
                continue
            else:
                toks = [st]
        out.extend(f"no_{x}" for x in toks) if negate else out.extend(toks)
        negate = False
    return out


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


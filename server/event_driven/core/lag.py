"""Kafka consumer-lag evaluation using LinkedIn Burrow's rules.

This is a pure-Python port of the partition and group rules in Burrow's
caching evaluator (``core/internal/evaluator/caching.go``), as the code stands
after these fixes:

* PR #338: a ring of recent broker (log-end) offsets, so a slow topic that
  gets one new message does not show up as STOP before the consumer has had a
  chance to commit.
* PR #591: ``allowed-lag``, so a lag of N offsets (for example the
  transaction control record that exactly-once producers leave at the end of
  a partition) is not treated as lag.
* PR #716: a REWIND is detected even when lag was zero earlier in the window,
  and it stops counting once the consumer is back at the offset it had
  reached before the rewind.

Rules, in Burrow's order, for one partition (``calculatePartitionStatus``):

0. If fewer than ``min_complete`` of the window's slots hold a commit, the
   partition is OK (insufficient data), and no rule is applied.
1. If the current lag is ``<= allowed_lag`` the partition is OK.
2. STOP: the time from the last commit to *now* is greater than the time
   between the first and last commit in the window, unless a recent log-end
   offset was ``<=`` the last committed offset (the consumer was caught up
   recently).
3. REWIND: a committed offset is lower than the one before it, and no later
   commit in the window has got back to that earlier offset.
4. If the lag at any commit in the window was ``<= allowed_lag``, the
   partition is OK.
5. STALL: every commit in the window has the same offset (and lag > 0).
6. WARNING: offsets move but the lag never goes down between two commits.
7. Otherwise OK.

Group status (``evaluateConsumerStatus``): the worst partition status, where
STOP, STALL and REWIND are all reported as ERROR at group level, so a group is
OK, WARNING or ERROR. ``total_lag`` is the sum of the partitions' current lag.
A group is ``complete`` in proportion to the partitions whose window is full.

How the input maps onto Burrow's stored data
--------------------------------------------
Burrow keeps two rings per partition: the last ``intervals`` offset commits
(offset, commit time, lag when the commit arrived) and the last ``intervals``
broker offsets. Here a partition is a time series of ``OffsetSample``:

* a sample with ``committed_offset`` set is one commit entry: offset, its
  ``timestamp_ms`` as commit time, lag ``max(0, log_end_offset - committed)``
  (Burrow stores negative lag as 0);
* a sample with ``committed_offset=None`` is a broker-only observation of the
  log-end offset (or, before the first commit, "not committed yet");
* the window is the last ``window`` commit samples; ``complete`` is
  ``commits_in_window / window`` like Burrow's nil ring slots;
* current lag = latest sample's log-end offset minus the last committed
  offset, floored at 0 (Burrow does the same);
* the broker-offset ring is the log-end offsets of the last ``window``
  samples taken at or after the last commit (see "Deviations");
* ``now`` is ``config.now_ms``; when unset, the latest sample's timestamp
  (in ``evaluate_group``, the latest sample of any partition in the group, so
  a partition whose samples ended early can still be STOP).

Samples that are not in timestamp order are sorted (stable) by
``timestamp_ms`` and the result says so in ``reasons``.

If samples come from periodic polling (for example ``kafka-consumer-groups
--describe`` every minute) rather than from commit events, a consumer that
died keeps showing the same committed offset in every poll and is reported
STALL, not STOP; both are ERROR at group level. To see STOP from polled data,
record the committed offset only when it changes and the log-end offset as a
broker-only sample (``committed_offset=None``) otherwise.

Deviations from Burrow (each is also stated in the result's reasons)
--------------------------------------------------------------------
* Partitions that were never committed: Burrow reports them OK with lag 0 and
  complete 0 (``evaluatePartitionStatus`` returns early when there are no
  offsets). Here they get status ``NOT_COMMITTED``, which counts as OK for the
  group status, and ``current_lag`` is the latest log-end offset (lag from
  offset 0: an upper bound, because the earliest retained offset is unknown).
  That lag is not added to ``total_lag`` (Burrow adds 0) but is reported as
  ``not_committed_lag_upper_bound``.
* Fewer than 2 commits in the window: Burrow runs STALL and WARNING on one
  commit, where both are trivially true, so one commit with lag is a STALL.
  Here REWIND/STALL/WARNING need 2 commits; with 1 the partition is OK
  (insufficient data). STOP is still applied, as in Burrow.
* Broker-offset ring: Burrow fetches broker offsets on its own timer, so its
  ring covers the last few minutes. Samples here pair each commit with the
  log-end offset seen at that time, and log-end offsets from before the last
  commit are always at or below it for a consumer that made progress, which
  would disable STOP. So only observations at or after the last commit are
  used; this matches every case in Burrow's ``caching_test.go``.
* ``now`` defaults to the latest sample rather than the wall clock, so the
  result depends only on the input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal, NamedTuple, get_args

from pydantic import BaseModel, ConfigDict, Field

from event_driven.errors import InputError, field_error
from event_driven.kb.sources import SourceBook

# knowledge/sources.yaml ids: Burrow's rule page, its evaluator, and the three fixes this port follows.
BURROW_RULES_SOURCE = "gh-linkedin-burrow-consumer-lag-evaluation-rules"
BURROW_SOURCE_IDS: tuple[str, ...] = (
    BURROW_RULES_SOURCE,
    "gh-linkedin-burrow-caching-go",
    "gh-linkedin-burrow-pull-338",
    "gh-linkedin-burrow-pull-591",
    "gh-linkedin-burrow-pull-716",
)


def burrow_sources(sources: SourceBook) -> list[str]:
    return [sources.url(i) for i in BURROW_SOURCE_IDS]


PartitionStatus = Literal["OK", "WARNING", "STOP", "STALL", "REWIND", "NOT_COMMITTED"]
GroupStatus = Literal["OK", "WARNING", "ERROR"]
CheckRule = Literal[
    "committed",
    "completeness",
    "current_lag",
    "stop",
    "rewind",
    "zero_lag_in_window",
    "min_commits",
    "stall",
    "lag_not_decreasing",
]
CheckOutcome = Literal["triggered", "clear", "suppressed", "skipped"]

# Burrow's StatusConstant values (protocol.go): OK=1, WARN=2, ERR=3, STOP=4,
# STALL=5, REWIND=6. NOT_COMMITTED is OK for Burrow.
_SEVERITY: dict[str, int] = {
    "NOT_COMMITTED": 1,
    "OK": 1,
    "WARNING": 2,
    "STOP": 4,
    "STALL": 5,
    "REWIND": 6,
}
# Evaluation order: every rule after "committed", as CheckRule lists them.
_RULE_ORDER: tuple[CheckRule, ...] = get_args(CheckRule)[1:]

def _input_error(message: str, path: str = "$") -> InputError:
    return InputError(field_error(path, "out_of_range", message))


# ---------------------------------------------------------------- input models


class OffsetSample(BaseModel):
    """One observation of a partition.

    ``committed_offset`` is the group's committed offset at ``timestamp_ms``
    (``None``: no commit in this observation, only the log-end offset), and
    ``log_end_offset`` is the partition's log-end offset (high watermark).
    """

    model_config = ConfigDict(extra="forbid")

    timestamp_ms: int
    committed_offset: int | None = None
    log_end_offset: int


class PartitionOffsets(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str
    partition: int
    samples: list[OffsetSample]


class LagEvaluationConfig(BaseModel):
    """Evaluation settings.

    ``window`` is Burrow's storage ``intervals`` (default 10).
    ``min_complete`` is the evaluator's ``minimum-complete``; Burrow sets no
    default for it, so it is 0.0 and every partition with a commit is
    evaluated. ``allowed_lag`` is the evaluator's ``allowed-lag`` (default 0).
    ``now_ms`` defaults to the latest sample's timestamp (the group's latest in
    ``evaluate_group``).
    """

    model_config = ConfigDict(extra="forbid")

    window: int = Field(default=10, ge=1)
    min_complete: float = Field(default=0.0, ge=0.0, le=1.0)
    allowed_lag: int = Field(default=0, ge=0)
    now_ms: int | None = Field(default=None, ge=0)


# --------------------------------------------------------------- output models


class LagCheck(BaseModel):
    """One rule, in evaluation order, and what it found."""

    model_config = ConfigDict(extra="forbid")

    rule: CheckRule
    outcome: CheckOutcome
    detail: str


class LagWindow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_timestamp_ms: int | None
    last_timestamp_ms: int | None
    now_ms: int
    samples_used: int = Field(description="commit samples in the window")
    samples_total: int = Field(description="all samples given for the partition")
    broker_offsets_used: int = Field(description="log-end offsets in the recent-offset ring")
    complete: float
    start_offset: int | None
    end_offset: int | None


class PartitionLagResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str
    partition: int
    status: PartitionStatus
    current_lag: int
    current_lag_is_upper_bound: bool = False
    committed_offset: int | None
    log_end_offset: int
    complete: float
    window: LagWindow
    reasons: list[str]
    checks: list[LagCheck]


class PartitionRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: str
    partition: int
    status: PartitionStatus
    current_lag: int


class GroupLagResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str
    status: GroupStatus
    total_lag: int
    total_partitions: int
    complete: float
    partitions: list[PartitionLagResult]
    worst_partition: PartitionRef | None
    max_lag_partition: PartitionRef | None
    not_committed: list[PartitionRef]
    not_committed_lag_upper_bound: int
    summary: str
    sources: list[str]


# -------------------------------------------------------------- rule helpers


class _Entry(NamedTuple):
    """One stored commit: Burrow's ConsumerOffset."""

    offset: int
    timestamp_ms: int
    lag: int


def _lag_always_above(entries: list[_Entry], allowed_lag: int) -> bool:
    """Burrow isLagAlwaysNotZero: no commit in the window had lag <= allowed."""
    return all(e.lag > allowed_lag for e in entries)


def _first_rewind_index(entries: list[_Entry]) -> int | None:
    """Burrow checkIfOffsetsRewind: index of the first offset lower than its predecessor."""
    for i in range(1, len(entries)):
        if entries[i].offset < entries[i - 1].offset:
            return i
    return None


def _rewind_recovered(entries: list[_Entry], index: int) -> int | None:
    """Burrow checkIfRewindRecovered: index of the first later commit back at the pre-rewind offset."""
    target = entries[index - 1].offset
    for j in range(index, len(entries)):
        if entries[j].offset >= target:
            return j
    return None


def _stopped(entries: list[_Entry], now_ms: int) -> bool:
    """Burrow checkIfOffsetsStopped: now - last commit > last - first commit."""
    first, last = entries[0].timestamp_ms, entries[-1].timestamp_ms
    return (now_ms - last) > (last - first)


def _stalled(entries: list[_Entry]) -> bool:
    """Burrow checkIfOffsetsStalled: every commit has the same offset."""
    return all(entries[i].offset == entries[i - 1].offset for i in range(1, len(entries)))


def _first_lag_decrease(entries: list[_Entry]) -> int | None:
    """Index of the first commit whose lag is lower than the previous one."""
    for i in range(1, len(entries)):
        if entries[i].lag < entries[i - 1].lag:
            return i
    return None


def _lag_not_decreasing(entries: list[_Entry]) -> bool:
    """Burrow checkIfLagNotDecreasing."""
    return _first_lag_decrease(entries) is None


def _recent_lag_zero(entries: list[_Entry], broker_offsets: list[int]) -> bool:
    """Burrow checkIfRecentLagZero: a recent log-end offset <= the last committed offset."""
    last = entries[-1].offset
    return any(b <= last for b in broker_offsets)


# ------------------------------------------------------------------ helpers


def _ts(ms: int) -> str:
    iso = datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
    return f"t={ms} ({iso.replace('+00:00', 'Z')})"


def _dur(ms: int) -> str:
    return f"{ms / 1000:g} s"


def _where(p: PartitionOffsets) -> str:
    return f"topic {p.topic!r} partition {p.partition}"


def _validate(p: PartitionOffsets) -> None:
    where = _where(p)
    if not p.topic:
        raise InputError(field_error("$.topic", "too_short", f"{where}: topic must be a non-empty string"))
    if p.partition < 0:
        raise _input_error(f"{where}: partition must be >= 0, got {p.partition}", "$.partition")
    if not p.samples:
        raise InputError(field_error(
            "$.samples", "too_short", f"{where}: samples is empty; give at least one OffsetSample "
            "(timestamp_ms, committed_offset or null, log_end_offset)"))
    for i, s in enumerate(p.samples):
        at = f"{where}, sample {i}"
        if s.timestamp_ms < 0:
            raise _input_error(f"{at}: timestamp_ms {s.timestamp_ms} is negative; use epoch milliseconds >= 0",
                               f"$.samples[{i}].timestamp_ms")
        if s.log_end_offset < 0:
            raise _input_error(f"{at}: log_end_offset {s.log_end_offset} is negative; offsets must be >= 0",
                               f"$.samples[{i}].log_end_offset")
        if s.committed_offset is not None and s.committed_offset < 0:
            raise _input_error(
                f"{at}: committed_offset {s.committed_offset} is negative; use an offset >= 0, or null when the "
                "group has no committed offset (Kafka reports -1 for that)", f"$.samples[{i}].committed_offset")


def _finish_checks(checks: list[LagCheck], decided_by: CheckRule) -> list[LagCheck]:
    done = {c.rule for c in checks}
    for rule in _RULE_ORDER:
        if rule not in done:
            checks.append(
                LagCheck(
                    rule=rule,
                    outcome="skipped",
                    detail=f"not evaluated: the status was decided by the {decided_by} rule",
                )
            )
    return checks


# --------------------------------------------------------------- partition


def evaluate_partition(
    p: PartitionOffsets, config: LagEvaluationConfig | None = None
) -> PartitionLagResult:
    """Evaluate one partition's offsets with Burrow's rules."""
    return _evaluate_partition(p, config or LagEvaluationConfig(), None)


def _sorted_samples(p: PartitionOffsets, reasons: list[str]) -> list[OffsetSample]:
    samples = list(p.samples)
    if any(samples[i].timestamp_ms < samples[i - 1].timestamp_ms for i in range(1, len(samples))):
        samples.sort(key=lambda s: s.timestamp_ms)
        reasons.append(
            f"The {len(samples)} samples were not in timestamp order; they were sorted by "
            "timestamp_ms before evaluation."
        )
    return samples


def _now(p: PartitionOffsets, config: LagEvaluationConfig, latest: OffsetSample, now_note: str | None,
         reasons: list[str]) -> int:
    now_ms = config.now_ms if config.now_ms is not None else latest.timestamp_ms
    if now_ms < latest.timestamp_ms:
        raise _input_error(
            f"{_where(p)}: now_ms {now_ms} is earlier than the latest sample "
            f"(timestamp_ms {latest.timestamp_ms}); now_ms must be >= every sample timestamp",
            "$.now_ms",
        )
    if config.now_ms is None:
        reasons.append(f"'now' is the latest sample, {_ts(now_ms)} (now_ms was not given).")
    elif now_note:
        reasons.append(now_note)
    return now_ms


def _evaluate_partition(
    p: PartitionOffsets, config: LagEvaluationConfig, now_note: str | None
) -> PartitionLagResult:
    _validate(p)
    reasons: list[str] = []
    samples = _sorted_samples(p, reasons)
    latest = samples[-1]
    now_ms = _now(p, config, latest, now_note, reasons)
    commits = [(s, s.committed_offset) for s in samples if s.committed_offset is not None]
    if not commits:
        return _not_committed(p, samples, latest, now_ms, reasons)
    w = _window(p, config, samples, commits[-config.window :], latest, now_ms, reasons)
    for rule, judge in _PARTITION_RULES:
        status = judge(w)
        if status is not None:
            return w.result(status, rule)
    raise AssertionError("the last rule always decides")  # pragma: no cover - lag_not_decreasing returns a status


class _Window:
    """One partition's window of commits and the running record of the rules applied to it."""

    def __init__(self, p: PartitionOffsets, config: LagEvaluationConfig, entries: list[_Entry],
                 latest: OffsetSample, broker_offsets: list[int], window: LagWindow, reasons: list[str]) -> None:
        self.p, self.config, self.entries, self.latest = p, config, entries, latest
        self.first, self.last = entries[0], entries[-1]
        self.broker_offsets, self.window, self.reasons = broker_offsets, window, reasons
        self.allowed = config.allowed_lag
        self.now_ms = window.now_ms
        self.current_lag = max(0, latest.log_end_offset - self.last.offset)
        self.checks: list[LagCheck] = []
        self.lag_text = (
            f"current lag {self.current_lag} (log-end offset {latest.log_end_offset} at "
            f"{_ts(latest.timestamp_ms)} minus committed offset {self.last.offset})"
        )

    def check(self, rule: CheckRule, outcome: CheckOutcome, detail: str) -> None:
        self.checks.append(LagCheck(rule=rule, outcome=outcome, detail=detail))

    def note(self, rule: CheckRule, outcome: CheckOutcome, detail: str, *reasons: str) -> None:
        """A rule's finding and the reasons it gives the reader."""
        self.check(rule, outcome, detail)
        self.reasons.extend(reasons)

    def result(self, status: PartitionStatus, decided_by: CheckRule) -> PartitionLagResult:
        return PartitionLagResult(
            topic=self.p.topic,
            partition=self.p.partition,
            status=status,
            current_lag=self.current_lag,
            committed_offset=self.last.offset,
            log_end_offset=self.latest.log_end_offset,
            complete=self.window.complete,
            window=self.window,
            reasons=self.reasons,
            checks=_finish_checks(self.checks, decided_by),
        )


def _window(p: PartitionOffsets, config: LagEvaluationConfig, samples: list[OffsetSample],
            commits: list[tuple[OffsetSample, int]], latest: OffsetSample, now_ms: int,
            reasons: list[str]) -> _Window:
    entries = [_Entry(offset=c, timestamp_ms=s.timestamp_ms, lag=max(0, s.log_end_offset - c)) for s, c in commits]
    last = entries[-1]
    recent = [s for s in samples if s.timestamp_ms >= last.timestamp_ms][-config.window :]
    broker_offsets = [s.log_end_offset for s in recent]
    if latest.log_end_offset < last.offset:
        reasons.append(
            f"The last committed offset {last.offset} is ahead of the latest log-end offset "
            f"{latest.log_end_offset}; current lag is taken as 0, as Burrow does."
        )
    clamped = [s for s, c in commits if s.log_end_offset < c]
    if clamped:
        reasons.append(
            f"{len(clamped)} commit(s) had a committed offset above the log-end offset seen with "
            "it; their lag is stored as 0, as Burrow stores negative lag."
        )
    window = LagWindow(
        first_timestamp_ms=entries[0].timestamp_ms,
        last_timestamp_ms=last.timestamp_ms,
        now_ms=now_ms,
        samples_used=len(entries),
        samples_total=len(samples),
        broker_offsets_used=len(broker_offsets),
        complete=len(entries) / config.window,
        start_offset=entries[0].offset,
        end_offset=last.offset,
    )
    return _Window(p, config, entries, latest, broker_offsets, window, reasons)


def _rule_completeness(w: _Window) -> PartitionStatus | None:
    """Rule 0: minimum-complete."""
    n, size, complete, need = len(w.entries), w.config.window, w.window.complete, w.config.min_complete
    if complete < need:
        detail = (
            f"only {n} of {size} window slots hold a commit "
            f"(complete={complete:.2f} < min_complete={need:.2f})"
        )
        w.note("completeness", "triggered", detail,
            f"Insufficient data: {detail}. Burrow reports such a partition OK without applying "
            "its rules."
        )
        return "OK"
    w.check("completeness", "clear",
            f"{n} of {size} window slots hold a commit (complete={complete:.2f} >= min_complete={need:.2f})")
    return None


def _rule_current_lag(w: _Window) -> PartitionStatus | None:
    """Rule 1: the current lag is within the allowed lag."""
    if w.current_lag <= w.allowed:
        detail = f"{w.lag_text} <= allowed_lag {w.allowed}"
        w.note("current_lag", "triggered", detail,
               f"OK: {detail}; Burrow never reports such a partition in error.")
        if w.allowed and w.current_lag:
            w.reasons.append(
                f"A lag of up to {w.allowed} is tolerated (allowed_lag), e.g. for the "
                "transaction control records exactly-once producers leave at the end of a "
                "partition (Burrow PR #591)."
            )
        return "OK"
    w.check("current_lag", "clear", f"{w.lag_text} > allowed_lag {w.allowed}; the rules apply")
    return None


def _rule_stop(w: _Window) -> PartitionStatus | None:
    """Rule 2: STOP, unless the consumer was caught up recently (PR #338)."""
    last = w.last
    since_last = w.now_ms - last.timestamp_ms
    span = last.timestamp_ms - w.first.timestamp_ms
    if not _stopped(w.entries, w.now_ms):
        w.check("stop", "clear", f"last commit {_dur(since_last)} before now, not more than the window's {_dur(span)}")
        return None
    stop_text = (
        f"the last commit (offset {last.offset} at {_ts(last.timestamp_ms)}) was "
        f"{_dur(since_last)} before now, longer than the {_dur(span)} between the first and "
        f"last commit in the window"
    )
    if _recent_lag_zero(w.entries, w.broker_offsets):
        detail = (
            f"{stop_text}, but a recent log-end offset ({min(w.broker_offsets)}) was <= the committed offset "
            f"{last.offset}, so the consumer was caught up recently"
        )
        w.note("stop", "suppressed", detail,
            f"Not STOP: {detail} (recent log-end offsets {w.broker_offsets}; Burrow PR #338 "
            "delays STOP on slow topics until the consumer has had time to commit)."
        )
        return None
    seen = f"none of the {len(w.broker_offsets)} log-end offsets seen since that commit"
    detail = f"{stop_text}, and {seen} (lowest {min(w.broker_offsets)}) was <= {last.offset}"
    w.note("stop", "triggered", detail, f"STOP: {detail}. The consumer has stopped committing; {w.lag_text}.")
    return "STOP"


def _rule_rewind(w: _Window) -> PartitionStatus | None:
    """Rule 3: REWIND, unless recovered (PR #716); checked before the zero-lag rule."""
    idx = _first_rewind_index(w.entries)
    if idx is None:
        w.check("rewind", "clear", "committed offsets never went back")
        return None
    before, after = w.entries[idx - 1], w.entries[idx]
    back = (
        f"the committed offset went back from {before.offset} ({_ts(before.timestamp_ms)}) "
        f"to {after.offset} ({_ts(after.timestamp_ms)})"
    )
    rec = _rewind_recovered(w.entries, idx)
    if rec is None:
        detail = f"{back} and no later commit got back to {before.offset} (last {w.last.offset})"
        w.note("rewind", "triggered", detail,
            f"REWIND: {detail}; {w.lag_text}. This counts even if lag was zero earlier in the "
            "window (Burrow PR #716)."
        )
        return "REWIND"
    back_at = w.entries[rec]
    recovered = f"offset {back_at.offset} at {_ts(back_at.timestamp_ms)} is back at or past {before.offset}"
    detail = f"{back}, then recovered: {recovered}"
    w.note("rewind", "suppressed", detail, f"Not REWIND: {detail}; the other rules decide (Burrow PR #716).")
    return None


def _rule_zero_lag_in_window(w: _Window) -> PartitionStatus | None:
    """Rule 4: the lag was within the allowed lag at some commit in the window."""
    entries = w.entries
    if _lag_always_above(entries, w.allowed):
        w.check("zero_lag_in_window", "clear",
                f"lag stayed above {w.allowed} at all {len(entries)} commits (lowest {min(e.lag for e in entries)})")
        return None
    hits = [x for x in entries if x.lag <= w.allowed]
    e = hits[-1]
    detail = (
        f"lag was {e.lag} (<= allowed_lag {w.allowed}) at {len(hits)} of "
        f"{len(entries)} commits, most recently at offset {e.offset} at {_ts(e.timestamp_ms)}"
    )
    w.note("zero_lag_in_window", "triggered", detail,
           f"OK: {detail}; the consumer caught up within the window (rule 1).")
    return "OK"


def _rule_min_commits(w: _Window) -> PartitionStatus | None:
    """Deviation from Burrow: the trend rules need two commits."""
    if len(w.entries) >= 2:
        w.check("min_commits", "clear", f"{len(w.entries)} commits in the window")
        return None
    last = w.last
    detail = (
        f"only 1 commit in the window (offset {last.offset} at {_ts(last.timestamp_ms)}, "
        f"lag {last.lag}); STALL and WARNING compare consecutive commits"
    )
    w.note("min_commits", "triggered", detail,
        f"Insufficient data: {detail}. Burrow would report STALL here (its checks are "
        "trivially true for one commit); this evaluator reports OK until a second commit "
        "arrives."
    )
    return "OK"


def _rule_stall(w: _Window) -> PartitionStatus | None:
    """Rule 5: STALL, every commit at the same offset."""
    first, last = w.first, w.last
    if not _stalled(w.entries):
        w.check("stall", "clear", f"committed offset moved from {first.offset} to {last.offset}")
        return None
    lags = [e.lag for e in w.entries]
    lag_range = f"stayed {lags[0]}" if min(lags) == max(lags) else f"went from {lags[0]} to {lags[-1]}"
    detail = (
        f"committed offset {last.offset} unchanged for {len(w.entries)} commits "
        f"({_ts(first.timestamp_ms)} to {_ts(last.timestamp_ms)}) while lag {lag_range}"
    )
    w.note("stall", "triggered", detail,
           f"STALL: {detail}; the consumer commits but does not advance.")
    w.reasons.append(
        "If these samples are periodic polls rather than commit events, a consumer that "
        "stopped looks the same (Burrow would see no new commits and report STOP)."
    )
    return "STALL"


def _rule_lag_not_decreasing(w: _Window) -> PartitionStatus:
    """Rule 6: WARNING when the lag never decreases; otherwise OK (rule 7)."""
    entries = w.entries
    dec = _first_lag_decrease(entries)
    if dec is None:
        detail = (
            f"offsets advanced from {w.first.offset} to {w.last.offset} over {len(entries)} "
            f"commits but lag never decreased: {[e.lag for e in entries]}"
        )
        w.note("lag_not_decreasing", "triggered", detail,
               f"WARNING: {detail}; the consumer is slower than the producers.")
        return "WARNING"
    a, b = entries[dec - 1], entries[dec]
    detail = f"lag decreased from {a.lag} to {b.lag} between {_ts(a.timestamp_ms)} and {_ts(b.timestamp_ms)}"
    w.note("lag_not_decreasing", "clear", detail,
        f"OK: lag is above {w.allowed} throughout but {detail}, so the consumer is "
        f"catching up ({w.lag_text})."
    )
    return "OK"


# The rules in Burrow's order; each either decides the status or records why it did not and passes on.
_PARTITION_RULES: tuple[tuple[CheckRule, Callable[[_Window], PartitionStatus | None]], ...] = (
    ("completeness", _rule_completeness),
    ("current_lag", _rule_current_lag),
    ("stop", _rule_stop),
    ("rewind", _rule_rewind),
    ("zero_lag_in_window", _rule_zero_lag_in_window),
    ("min_commits", _rule_min_commits),
    ("stall", _rule_stall),
    ("lag_not_decreasing", _rule_lag_not_decreasing),
)


def _not_committed(
    p: PartitionOffsets,
    samples: list[OffsetSample],
    latest: OffsetSample,
    now_ms: int,
    reasons: list[str],
) -> PartitionLagResult:
    detail = (
        f"no committed offset in any of the {len(samples)} samples "
        f"({_ts(samples[0].timestamp_ms)} to {_ts(latest.timestamp_ms)})"
    )
    reasons.append(
        f"NOT_COMMITTED: {detail}. Burrow reports such a partition OK with lag 0 and "
        f"complete 0; here it is reported explicitly with lag {latest.log_end_offset}, the "
        "log-end offset counted from offset 0. That is an upper bound: the real backlog "
        "depends on the earliest retained offset and the consumer's auto.offset.reset."
    )
    checks = [LagCheck(rule="committed", outcome="triggered", detail=detail)]
    return PartitionLagResult(
        topic=p.topic,
        partition=p.partition,
        status="NOT_COMMITTED",
        current_lag=latest.log_end_offset,
        current_lag_is_upper_bound=True,
        committed_offset=None,
        log_end_offset=latest.log_end_offset,
        complete=0.0,
        window=LagWindow(
            first_timestamp_ms=None,
            last_timestamp_ms=None,
            now_ms=now_ms,
            samples_used=0,
            samples_total=len(samples),
            broker_offsets_used=0,
            complete=0.0,
            start_offset=None,
            end_offset=None,
        ),
        reasons=reasons,
        checks=_finish_checks(checks, "committed"),
    )


# ------------------------------------------------------------------- group


def _ref(r: PartitionLagResult) -> PartitionRef:
    return PartitionRef(
        topic=r.topic, partition=r.partition, status=r.status, current_lag=r.current_lag
    )


def _name(r: PartitionLagResult | PartitionRef) -> str:
    return f"{r.topic}:{r.partition}"


def _check_unique(group: str, partitions: list[PartitionOffsets]) -> None:
    seen: dict[tuple[str, int], int] = {}
    for i, p in enumerate(partitions):
        key = (p.topic, p.partition)
        if key in seen:
            raise InputError(field_error(
                f"$.partitions[{i}]", "not_allowed",
                f"group {group!r}: topic {p.topic!r} partition {p.partition} appears twice "
                f"(entries {seen[key]} and {i}); give each partition once with all its samples"))
        seen[key] = i


def _group_status(results: list[PartitionLagResult]) -> GroupStatus:
    if any(_SEVERITY[r.status] > _SEVERITY["WARNING"] for r in results):
        return "ERROR"
    return "WARNING" if any(r.status == "WARNING" for r in results) else "OK"


def evaluate_group(
    group: str,
    partitions: list[PartitionOffsets],
    config: LagEvaluationConfig | None = None,
    *,
    sources: SourceBook,
) -> GroupLagResult:
    """Evaluate every partition a group consumes and roll up as Burrow does; ``sources`` supplies Burrow's URLs."""
    config = config or LagEvaluationConfig()
    _check_unique(group, partitions)
    # One 'now' for the whole group: a partition whose samples ended early must be judged
    # against the group's latest observation, or it could never be STOP.
    now_note = None
    stamps = [s.timestamp_ms for p in partitions for s in p.samples]
    if config.now_ms is None and stamps:
        config = config.model_copy(update={"now_ms": max(stamps)})
        now_note = f"'now' is the latest sample across the group, {_ts(max(stamps))} (now_ms was not given)."
    results = [_evaluate_partition(p, config, now_note) for p in partitions]
    committed = [r for r in results if r.status != "NOT_COMMITTED"]
    not_committed = [r for r in results if r.status == "NOT_COMMITTED"]
    status = _group_status(results)
    total_lag = sum(r.current_lag for r in committed)
    worst = max(results, key=lambda r: (_SEVERITY[r.status], r.current_lag), default=None)
    max_lag = None
    for r in committed:  # Burrow Maxlag: first partition with the largest current lag
        if max_lag is None or r.current_lag > max_lag.current_lag:
            max_lag = r
    nc_bound = sum(r.current_lag for r in not_committed)
    rules_url = sources.url(BURROW_RULES_SOURCE)
    return GroupLagResult(
        group=group,
        status=status,
        total_lag=total_lag,
        total_partitions=len(results),
        complete=sum(1 for r in results if r.complete == 1.0) / len(results) if results else 0.0,
        partitions=results,
        worst_partition=_ref(worst) if worst is not None else None,
        max_lag_partition=_ref(max_lag) if max_lag is not None else None,
        not_committed=[_ref(r) for r in not_committed],
        not_committed_lag_upper_bound=nc_bound,
        summary=_summary(group, status, results, committed, not_committed, total_lag, nc_bound, worst, rules_url),
        sources=burrow_sources(sources),
    )


def _summary(
    group: str,
    status: GroupStatus,
    results: list[PartitionLagResult],
    committed: list[PartitionLagResult],
    not_committed: list[PartitionLagResult],
    total_lag: int,
    nc_bound: int,
    worst: PartitionLagResult | None,
    rules_url: str,
) -> str:
    if not results:
        return (
            f"Consumer group {group!r} has no partitions to evaluate, so it is OK with nothing "
            f"checked (Burrow does the same, with complete 0). Rules: {rules_url}."
        )
    counts: dict[str, list[str]] = {}
    for r in results:
        counts.setdefault(r.status, []).append(_name(r))
    order = ["REWIND", "STALL", "STOP", "WARNING", "OK", "NOT_COMMITTED"]
    parts = []
    for s in order:
        names = counts.get(s, [])
        if names:
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            parts.append(f"{len(names)} {s} ({shown})")
    text = (
        f"Consumer group {group!r} is {status}: of {len(results)} partitions, "
        f"{'; '.join(parts)}. Total lag over the {len(committed)} committed partitions is "
        f"{total_lag}."
    )
    if status == "ERROR":
        text += " STOP, STALL and REWIND partitions make the group ERROR, as in Burrow."
    if worst is not None and worst.status not in ("OK", "NOT_COMMITTED"):
        first = next((x for x in worst.reasons if x.startswith(worst.status)), "")
        text += f" Worst is {_name(worst)}: {first or worst.status}"
        if not text.endswith("."):
            text += "."
    if not_committed:
        text += (
            f" {len(not_committed)} partition(s) have no committed offset; their log-end "
            f"offsets add up to {nc_bound}, an upper bound on their backlog (Burrow reports "
            "them OK with lag 0)."
        )
    text += f" Rules: Burrow's consumer lag evaluation ({rules_url})."
    return text

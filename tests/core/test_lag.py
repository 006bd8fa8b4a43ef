"""Tests for event_driven.core.lag (Burrow consumer-lag rules).

Sources reproduced here:
* Burrow core/internal/evaluator/caching_test.go, table ``tests`` (cases 0-10) and
  TestCachingEvaluator_SingleRequest_* with the storage fixture
  core/internal/storage/fixtures.go (CoordinatorWithOffsets).
* Burrow wiki "Consumer Lag Evaluation Rules"
  (https://github.com/linkedin/Burrow/wiki/Consumer-Lag-Evaluation-Rules): rules 1-4 and
  example 4, quoted in the tests. The stored copy of the wiki available when writing
  these tests did not include the example tables, so the numbers in the wiki tests are
  built to match the quoted rule text, not copied from the page.
* Burrow PR #338 (broker-offset ring, slow topics), PR #591 (allowed lag, exactly-once
  control records), PR #716 / issue #714 (rewind after zero lag).
"""

from __future__ import annotations

import functools

import pytest

from event_driven.core import lag
from event_driven.core.lag import (
    LagEvaluationConfig,
    OffsetSample,
    PartitionOffsets,
    evaluate_partition,
)
from event_driven.errors import InputError
from event_driven.kb.loader import knowledge

SOURCES = knowledge().sources
evaluate_group = functools.partial(lag.evaluate_group, sources=SOURCES)

T0 = 1_700_000_000_000  # an arbitrary epoch-ms origin for constructed data


def commits(offsets, lags, timestamps):
    """Commit samples; log-end offset = offset + lag, so the stored lag is `lag`."""
    return [
        OffsetSample(timestamp_ms=t, committed_offset=o, log_end_offset=o + g)
        for o, g, t in zip(offsets, lags, timestamps, strict=True)
    ]


def broker(log_ends, timestamps):
    """Broker-only observations (no commit)."""
    return [
        OffsetSample(timestamp_ms=t, committed_offset=None, log_end_offset=b)
        for b, t in zip(log_ends, timestamps, strict=True)
    ]


def part(samples, topic="orders", partition=0):
    return PartitionOffsets(topic=topic, partition=partition, samples=samples)


def outcome(result, rule):
    return next(c.outcome for c in result.checks if c.rule == rule)


def entries(offsets, timestamps, lags):
    return [lag._Entry(o, t, g) for o, t, g in zip(offsets, timestamps, lags, strict=True)]


# ---------------------------------------------------------------------------
# caching_test.go, table `tests`. Each row: offsets, commit timestamps (ms), stored lags,
# broker offsets, currentLag, timeNow (s), expected per-check results, expected status.
# Check order in the tuple: isLagAlwaysNotZero, checkIfOffsetsRewind, checkIfOffsetsStopped,
# checkIfOffsetsStalled, checkIfLagNotDecreasing, checkIfRecentLagZero.
# ---------------------------------------------------------------------------

_TS5 = [100000, 200000, 300000, 400000, 500000]
_OFF5 = [1000, 2000, 3000, 4000, 5000]
_BIG_OFF = list(range(792748079, 792748094))
_BIG_TS = [
    1512224618356, 1512224619362, 1512224620366, 1512224621367, 1512224622370,
    1512224623373, 1512224624378, 1512224625379, 1512224626383, 1512224627383,
    1512224628383, 1512224629388, 1512224630391, 1512224631394, 1512224632397,
]

BURROW_CASES = [
    # 0 - returns OK because there is zero lag somewhere
    (0, _OFF5, _TS5, [0, 50, 100, 150, 200], [5200], 200, 600,
     (False, False, False, False, True, False), "OK"),
    # 1 - not STOP: time since last commit (400s) equals the window span, not greater
    (1, _OFF5, _TS5, [0, 50, 100, 150, 200], [5200], 200, 900,
     (False, False, False, False, True, False), "OK"),
    # 2 - STOP because time since last commit (500s) is great enough, despite zero lag (#290)
    (2, _OFF5, _TS5, [0, 50, 100, 150, 200], [5200], 200, 1000,
     (False, False, True, False, True, False), "STOP"),
    # 3 - STOP when lag is always non-zero as well
    (3, _OFF5, _TS5, [50, 100, 150, 200, 250], [5250], 250, 1000,
     (True, False, True, False, True, False), "STOP"),
    # 4 - OK because of zero lag, although stall is true
    (4, [1000] * 5, _TS5, [0, 50, 100, 150, 200], [1200], 200, 600,
     (False, False, False, True, True, False), "OK"),
    # 5 - STALL because the lag is always non-zero
    (5, [1000] * 5, _TS5, [100, 150, 200, 250, 300], [1300], 300, 600,
     (True, False, False, True, True, False), "STALL"),
    # 6 - still STALL when the lag stays the same
    (6, [1000] * 5, _TS5, [100] * 5, [1100], 100, 600,
     (True, False, False, True, True, False), "STALL"),
    # 7 - offsets go backwards (3000 -> 2000). The stored test expects REWIND (pre-#716 code);
    #     after PR #716 the later commit 4000 >= 3000 counts as recovered, and lag decreases
    #     (1250 -> 300), so the current rules give OK. See test_burrow_case7_* below.
    (7, [1000, 2000, 3000, 2000, 4000], _TS5, [100, 150, 200, 1250, 300], [4300], 300, 600,
     (True, True, False, False, False, False), "OK"),
    # 8 - OK because the current lag is 0, although timestamps say stopped
    (8, _OFF5, _TS5, [50, 100, 150, 200, 250], [5250], 0, 1000,
     (True, False, True, False, True, False), "OK"),
    # 9 - STOP: current lag non-zero (new data), lag always zero in offsets (#290)
    (9, _BIG_OFF, _BIG_TS, [0] * 15,
     [792749024, 792749000, 792748800, 792748600, 792748500], 931, 1512224650,
     (False, False, True, False, True, False), "STOP"),
    # 10 - OK: would be STOP by timestamps, but recent broker offsets show zero lag (#303)
    (10, _BIG_OFF, _BIG_TS, [0] * 15, [792748094, 792748093, 792748093, 792748093], 1, 1512224650,
     (False, False, True, False, True, True), "OK"),
]
# Case 11 (nil lag entries from backfilled commits) has no equivalent: every sample here
# carries a log-end offset, so a commit's lag is always known.


@pytest.mark.parametrize(
    "case,offsets,ts,lags,brokers,current_lag,now_s,expected,status", BURROW_CASES
)
def test_burrow_caching_rule_functions(
    case, offsets, ts, lags, brokers, current_lag, now_s, expected, status
):
    # caching_test.go TestCachingEvaluator_CheckRules: each rule function on its own.
    e = entries(offsets, ts, lags)
    got = (
        lag._lag_always_above(e, 0),
        lag._first_rewind_index(e) is not None,
        lag._stopped(e, now_s * 1000),
        lag._stalled(e),
        lag._lag_not_decreasing(e),
        lag._recent_lag_zero(e, brokers),
    )
    assert got == expected, f"caching_test.go case {case}"


def _burrow_case_partition(offsets, ts, lags, brokers, window):
    samples = commits(offsets, lags, ts)
    # Burrow keeps broker offsets in a separate ring; here they are broker-only samples taken
    # after the last commit. Enough of them are given to fill the window when Burrow's ring
    # holds no offset from the time of the last commit (case 9).
    ordered = sorted(brokers)
    if len(ordered) < window and min(ordered) > offsets[-1]:
        ordered = [ordered[0]] * (window - len(ordered)) + ordered
    last = ts[-1]
    samples += broker(ordered, [last + 1000 * (i + 1) for i in range(len(ordered))])
    return part(samples)


@pytest.mark.parametrize(
    "case,offsets,ts,lags,brokers,current_lag,now_s,expected,status", BURROW_CASES
)
def test_burrow_caching_status_end_to_end(
    case, offsets, ts, lags, brokers, current_lag, now_s, expected, status
):
    # caching_test.go TestCachingEvaluator_CheckRules: calculatePartitionStatus, through the
    # public API. Case 8 passes currentLag=0 with broker offset 5250; here current lag is
    # derived from the latest log-end offset, so that sample is 5000.
    if case == 8:
        brokers = [5000]
    cfg = LagEvaluationConfig(window=len(offsets), now_ms=now_s * 1000)
    r = evaluate_partition(_burrow_case_partition(offsets, ts, lags, brokers, len(offsets)), cfg)
    assert r.current_lag == current_lag, f"case {case}"
    assert r.status == status, f"case {case}: {r.reasons}"


def test_burrow_case7_rewind_recovered_is_ok_after_pr716():
    # caching_test.go case 7 data under the post-PR #716 rule: the rewind 3000 -> 2000 is
    # followed by 4000 >= 3000, so it is recovered and the other rules decide.
    r = evaluate_partition(
        _burrow_case_partition([1000, 2000, 3000, 2000, 4000], _TS5,
                               [100, 150, 200, 1250, 300], [4300], 5),
        LagEvaluationConfig(window=5, now_ms=600_000),
    )
    assert r.status == "OK"
    assert outcome(r, "rewind") == "suppressed"
    assert outcome(r, "lag_not_decreasing") == "clear"
    assert any("went back from 3000" in x and "4000" in x for x in r.reasons)


def test_burrow_case7_unrecovered_rewind_is_rewind():
    # caching_test.go case 7 with the last commit at 2500 instead of 4000: no commit gets back
    # to 3000, so REWIND, which outranks every later rule.
    r = evaluate_partition(
        _burrow_case_partition([1000, 2000, 3000, 2000, 2500], _TS5,
                               [100, 150, 200, 1250, 300], [2800], 5),
        LagEvaluationConfig(window=5, now_ms=600_000),
    )
    assert r.status == "REWIND"
    assert r.current_lag == 300
    assert [c.outcome for c in r.checks][:4] == ["clear", "clear", "clear", "triggered"]
    assert outcome(r, "stall") == "skipped"


# ---------------------------------------------------------------------------
# caching_test.go TestCachingEvaluator_SingleRequest_* with storage fixtures.go:
# broker offset 4321; "testgroup" commits 1000..1900 every 10 s (full ring of 10);
# "testgroup2" commits 1000..1400 (half ring); now = start + 100 s.
# ---------------------------------------------------------------------------


def _fixture_group(n):
    ts = [T0 + 10_000 * i for i in range(n)]
    offs = [1000 + 100 * i for i in range(n)]
    return part([OffsetSample(timestamp_ms=t, committed_offset=o, log_end_offset=4321)
                 for o, t in zip(offs, ts, strict=True)], topic="testtopic")


def test_burrow_single_request_full_ring_ok():
    g = evaluate_group("testgroup", [_fixture_group(10)], LagEvaluationConfig(now_ms=T0 + 100_000))
    assert g.status == "OK"
    assert g.complete == 1.0
    assert g.total_partitions == 1
    assert g.total_lag == 2421


def test_burrow_single_request_incomplete_is_stop_and_error():
    g = evaluate_group("testgroup2", [_fixture_group(5)], LagEvaluationConfig(now_ms=T0 + 100_000))
    assert g.status == "ERROR"
    assert g.complete == 0.0
    assert g.total_lag == 2921
    p = g.partitions[0]
    assert p.complete == 0.5
    assert p.status == "STOP"
    assert g.max_lag_partition is not None and g.max_lag_partition.current_lag == 2921
    assert (p.window.start_offset, p.window.end_offset) == (1000, 1400)


# ---------------------------------------------------------------------------
# Wiki "Consumer Lag Evaluation Rules" (constructed data matching the quoted rules).
# ---------------------------------------------------------------------------

_TS10 = [T0 + 60_000 * i for i in range(10)]  # one commit a minute: the wiki's 10-minute window
_OFF10 = [10 * (i + 1) for i in range(10)]


def test_wiki_rule1_zero_lag_in_window_is_ok():
    # Rule 1: "If any lag within the window is zero, the status is considered to be OK."
    r = evaluate_partition(part(commits(_OFF10, [0, 0, 0, 0, 0, 0, 1, 3, 5, 5], _TS10)))
    assert r.status == "OK"
    assert r.current_lag == 5
    assert outcome(r, "zero_lag_in_window") == "triggered"


def test_wiki_rule2_offset_fixed_lag_fixed_or_increasing_is_stall():
    # Rule 2: "If the consumer offset does not change over the window, and the lag is either
    # fixed or increasing, the consumer is in an ERROR state, and the partition is marked as
    # STALLED."
    r = evaluate_partition(part(commits([10] * 10, [5, 5, 5, 6, 6, 7, 7, 8, 9, 10], _TS10)))
    assert r.status == "STALL"
    assert r.current_lag == 10
    assert any("committed offset 10 unchanged for 10 commits" in x and "from 5 to 10" in x
               for x in r.reasons)
    g = evaluate_group("g", [part(commits([10] * 10, [5] * 10, _TS10))])
    assert g.status == "ERROR"


def test_wiki_rule3_offsets_move_lag_never_decreases_is_warning():
    # Rule 3: offsets increase but lag stays the same or grows between every pair:
    # "This means that the consumer is slow, and is falling behind." (WARNING)
    r = evaluate_partition(part(commits(_OFF10, [1, 1, 1, 1, 1, 2, 2, 2, 3, 3], _TS10)))
    assert r.status == "WARNING"
    assert outcome(r, "lag_not_decreasing") == "triggered"
    assert evaluate_group("g", [part(commits(_OFF10, [1] * 10, _TS10))]).status == "WARNING"


def test_wiki_example4_lag_goes_up_and_down_is_ok():
    # Example 4: "This means that the consumer is moving forwards and was catching up during
    # part of the window. This pattern is common for topics that are busy."
    r = evaluate_partition(part(commits(_OFF10, [5, 3, 5, 2, 1, 1, 2, 1, 4, 6], _TS10)))
    assert r.status == "OK"
    assert outcome(r, "lag_not_decreasing") == "clear"
    assert any("lag decreased from 5 to 3" in x for x in r.reasons)


def test_wiki_rule4_no_recent_commit_is_stop():
    # Rule 4: now - most recent commit > most recent - oldest commit => STOPPED (ERROR).
    samples = commits(_OFF10, [5] * 10, _TS10)  # window spans 540 s
    samples += broker([110], [_TS10[-1] + 600_000])  # log end seen 600 s after the last commit
    r = evaluate_partition(part(samples))
    assert r.status == "STOP"
    assert r.current_lag == 10
    assert any("600 s before now" in x and "540 s" in x for x in r.reasons)
    # exactly equal is not STOP (caching_test.go case 1: "not greater than")
    r = evaluate_partition(part(samples[:-1]), LagEvaluationConfig(now_ms=_TS10[-1] + 540_000))
    assert outcome(r, "stop") == "clear"
    r = evaluate_partition(part(samples[:-1]), LagEvaluationConfig(now_ms=_TS10[-1] + 540_001))
    assert r.status == "STOP"


def test_wiki_rule4_consumer_at_broker_offset_is_not_error():
    # Rule 4: "However, if the consumer offset and the current broker offset for the partition
    # are equal, the partition is not considered to be in error."
    samples = commits(_OFF10, [5] * 10, _TS10) + broker([100], [_TS10[-1] + 3_600_000])
    r = evaluate_partition(part(samples))
    assert r.status == "OK"
    assert r.current_lag == 0
    assert outcome(r, "current_lag") == "triggered"
    assert outcome(r, "stop") == "skipped"


# ---------------------------------------------------------------------------
# Traps fixed in Burrow.
# ---------------------------------------------------------------------------


def _slow_topic():
    # Consumer caught up (lag 0) on a topic that gets a message every few minutes.
    ts = [T0 + 300_000 * i for i in range(10)]
    return commits([100 + i for i in range(10)], [0] * 10, ts), ts[-1]


def test_trap_slow_topic_no_new_data_is_ok():
    # PR #338 / issue #38: no new data for hours, log-end offset unchanged => lag 0 => OK.
    samples, last = _slow_topic()
    samples += broker([109] * 3, [last + 3_600_000 * i for i in (1, 2, 3)])
    r = evaluate_partition(part(samples))
    assert r.status == "OK"
    assert r.current_lag == 0


def test_trap_slow_topic_one_new_message_is_not_a_false_stop():
    # PR #338: after a long quiet period one message arrives (log end 109 -> 110); timestamps
    # alone say STOP, but the log-end offset was <= the committed offset at the last commit,
    # so the consumer was caught up recently and gets time to commit.
    samples, last = _slow_topic()
    samples += broker([110], [last + 3_600_000])
    r = evaluate_partition(part(samples))
    assert r.current_lag == 1
    assert outcome(r, "stop") == "suppressed"
    assert r.status == "OK"
    assert any("PR #338" in x for x in r.reasons)


def test_trap_slow_topic_still_stops_when_consumer_never_commits_again():
    # PR #338 only delays STOP: once `window` observations since the last commit all show the
    # new message unconsumed, the partition is STOP.
    samples, last = _slow_topic()
    samples += broker([110] * 10, [last + 3_600_000 + 30_000 * i for i in range(10)])
    r = evaluate_partition(part(samples))
    assert r.status == "STOP"
    assert r.current_lag == 1


def _eos_partition(recommit):
    # PR #591 / issue #570: with exactly-once producers the transaction marker leaves a
    # constant lag of 1 at the end of the partition.
    ts = [T0 + 60_000 * i for i in range(10)]
    offs = [1000] * 10 if recommit else [1000 + 100 * i for i in range(10)]
    samples = commits(offs, [1] * 10, ts)
    if not recommit:  # no new data: the consumer has nothing to commit
        samples += broker([offs[-1] + 1] * 10, [ts[-1] + 600_000 * (i + 1) for i in range(10)])
    return part(samples)


def test_trap_transaction_marker_lag_1_without_allowed_lag_is_false_alarm():
    assert evaluate_partition(_eos_partition(recommit=False)).status == "STOP"
    assert evaluate_partition(_eos_partition(recommit=True)).status == "STALL"


def test_trap_transaction_marker_lag_1_with_allowed_lag_1_is_ok():
    cfg = LagEvaluationConfig(allowed_lag=1)
    for recommit in (False, True):
        r = evaluate_partition(_eos_partition(recommit), cfg)
        assert r.status == "OK"
        assert r.current_lag == 1
        assert outcome(r, "current_lag") == "triggered"
        assert any("allowed_lag" in x and "PR #591" in x for x in r.reasons)


def test_allowed_lag_still_flags_real_lag():
    # allowed_lag only forgives lag up to N: lag 1..5 growing with moving offsets is WARNING.
    r = evaluate_partition(
        part(commits(_OFF10, [2, 2, 2, 3, 3, 3, 4, 4, 5, 5], _TS10)),
        LagEvaluationConfig(allowed_lag=1),
    )
    assert r.status == "WARNING"


def test_trap_rewind_after_zero_lag_is_rewind():
    # Issue #714 / PR #716, first table: commits 10, 20, 30 with lag 0, then offset 20 with
    # log end 40. Before PR #716 the zero lag made this OK. (The table lists lag 10
    # for the last row; with LEO 40 the lag is 20.)
    samples = [
        OffsetSample(timestamp_ms=T0 + 60_000 * i, committed_offset=o, log_end_offset=e)
        for i, (o, e) in enumerate([(10, 10), (20, 20), (30, 30), (20, 40)])
    ]
    r = evaluate_partition(part(samples), LagEvaluationConfig(window=4))
    assert r.status == "REWIND"
    assert r.current_lag == 20
    assert outcome(r, "zero_lag_in_window") == "skipped"
    assert any("went back from 30" in x and "to 20" in x for x in r.reasons)
    assert evaluate_group("g", [part(samples)], LagEvaluationConfig(window=4)).status == "ERROR"


def test_trap_rewind_recovered_falls_back_to_normal_rules():
    # Issue #714, second table: 20 (lag 0), 30 (lag 0), 20 (LEO 40), 30 (LEO 45). The consumer
    # is back at 30, so the rewind no longer counts and the zero lag makes it OK.
    samples = [
        OffsetSample(timestamp_ms=T0 + 60_000 * i, committed_offset=o, log_end_offset=e)
        for i, (o, e) in enumerate([(20, 20), (30, 30), (20, 40), (30, 45)])
    ]
    r = evaluate_partition(part(samples), LagEvaluationConfig(window=4))
    assert r.status == "OK"
    assert r.current_lag == 15
    assert outcome(r, "rewind") == "suppressed"
    assert outcome(r, "zero_lag_in_window") == "triggered"


def test_rewind_outside_window_is_ignored():
    # Only the last `window` commits count: the rewind at the 2nd commit has aged out.
    offs = [500, 100] + [200 + 10 * i for i in range(10)]
    ts = [T0 + 60_000 * i for i in range(12)]
    r = evaluate_partition(part(commits(offs, [50, 60] + [40 - i for i in range(10)], ts)))
    assert r.window.samples_used == 10
    assert r.window.start_offset == 200
    assert r.status == "OK"
    assert outcome(r, "rewind") == "clear"
    r = evaluate_partition(part(commits(offs, [50, 60] + [40 - i for i in range(10)], ts)),
                           LagEvaluationConfig(window=12))
    assert r.status == "REWIND"


def test_partition_never_committed():
    samples = broker([500, 700, 900], [T0, T0 + 60_000, T0 + 120_000])
    r = evaluate_partition(part(samples, partition=3))
    assert r.status == "NOT_COMMITTED"
    assert r.current_lag == 900
    assert r.current_lag_is_upper_bound is True
    assert r.committed_offset is None
    assert r.complete == 0.0
    assert r.checks[0].rule == "committed" and r.checks[0].outcome == "triggered"
    assert any("Burrow reports such a partition OK with lag 0" in x for x in r.reasons)

    ok = part(commits(_OFF10, [0] * 10, _TS10), partition=0)
    g = evaluate_group("g", [ok, part(samples, partition=3)])
    assert g.status == "OK"  # Burrow counts a never-committed partition as OK
    assert g.total_lag == 0  # not added to total lag (Burrow adds 0)
    assert g.not_committed_lag_upper_bound == 900
    assert [(x.topic, x.partition) for x in g.not_committed] == [("orders", 3)]
    assert g.complete == 0.5
    assert "orders:3" in g.summary and "900" in g.summary


def test_insufficient_data_below_min_complete_is_ok():
    # minimum-complete: 3 of 10 slots filled (0.3) < 0.5 => OK without rules, although the
    # same data is a STALL when evaluated.
    samples = commits([10, 10, 10], [5, 6, 7], _TS10[:3])
    r = evaluate_partition(part(samples), LagEvaluationConfig(min_complete=0.5))
    assert r.status == "OK"
    assert r.complete == pytest.approx(0.3)
    assert outcome(r, "completeness") == "triggered"
    assert any(x.startswith("Insufficient data") for x in r.reasons)
    # Burrow's default minimum-complete is 0, so the rules run:
    assert evaluate_partition(part(samples)).status == "STALL"


def test_single_commit_is_insufficient_data_not_stall():
    # Deviation: Burrow would say STALL for one commit with lag; here it is OK until a second
    # commit arrives.
    r = evaluate_partition(part(commits([10], [5], [T0])))
    assert r.status == "OK"
    assert outcome(r, "min_commits") == "triggered"
    assert any("Burrow would report STALL" in x for x in r.reasons)


# ---------------------------------------------------------------------------
# Input handling and group roll-up.
# ---------------------------------------------------------------------------


def test_unsorted_samples_are_sorted_and_reported():
    samples = commits(_OFF10, [1, 1, 1, 1, 1, 2, 2, 2, 3, 3], _TS10)
    shuffled = samples[5:] + samples[:5]
    r = evaluate_partition(part(shuffled))
    assert r.status == evaluate_partition(part(samples)).status == "WARNING"
    assert any("not in timestamp order" in x for x in r.reasons)
    assert not any("not in timestamp order" in x for x in evaluate_partition(part(samples)).reasons)


@pytest.mark.parametrize(
    "sample,needle",
    [
        (OffsetSample(timestamp_ms=T0, committed_offset=-1, log_end_offset=5), "committed_offset -1"),
        (OffsetSample(timestamp_ms=T0, committed_offset=1, log_end_offset=-5), "log_end_offset -5"),
        (OffsetSample(timestamp_ms=-3, committed_offset=1, log_end_offset=5), "timestamp_ms -3"),
    ],
)
def test_negative_values_are_rejected(sample, needle):
    good = OffsetSample(timestamp_ms=T0 - 1000, committed_offset=1, log_end_offset=5)
    with pytest.raises(InputError) as exc:
        evaluate_partition(part([good, sample], topic="payments", partition=7))
    msg = str(exc.value)
    assert "'payments' partition 7" in msg and "sample 1" in msg and needle in msg
    assert isinstance(exc.value, ValueError)


def test_empty_samples_are_rejected():
    with pytest.raises(InputError, match="'orders' partition 2: samples is empty"):
        evaluate_partition(part([], partition=2))


def test_now_before_latest_sample_is_rejected():
    with pytest.raises(InputError, match="now_ms"):
        evaluate_partition(part(commits([1, 2], [0, 0], [T0, T0 + 1000])),
                           LagEvaluationConfig(now_ms=T0))


def test_duplicate_partition_in_group_is_rejected():
    p = part(commits([1, 2], [0, 0], [T0, T0 + 1000]))
    with pytest.raises(InputError, match="appears twice"):
        evaluate_group("g", [p, p])


def test_models_forbid_unknown_fields():
    with pytest.raises(ValueError):
        OffsetSample(timestamp_ms=1, committed_offset=1, log_end_offset=1, lag=0)
    with pytest.raises(ValueError):
        LagEvaluationConfig(intervals=10)


def test_group_rollup_worst_partition_and_sources():
    # evaluateConsumerStatus: group status is the worst partition status, with STOP, STALL and
    # REWIND reported as ERROR; Maxlag is the partition with the largest current lag.
    warn = part(commits(_OFF10, [1, 1, 1, 1, 1, 2, 2, 2, 3, 3], _TS10), partition=0)
    ok = part(commits(_OFF10, [0] * 9 + [400], _TS10), partition=1)
    g = evaluate_group("billing", [warn, ok])
    assert g.status == "WARNING"
    assert g.total_lag == 403
    assert g.worst_partition.partition == 0 and g.worst_partition.status == "WARNING"
    assert g.max_lag_partition.partition == 1 and g.max_lag_partition.current_lag == 400

    stall = part(commits([10] * 10, [50] * 10, _TS10), partition=2)
    rewind = part(
        [OffsetSample(timestamp_ms=t, committed_offset=o, log_end_offset=e)
         for t, (o, e) in zip(_TS10[6:], [(10, 10), (20, 20), (30, 30), (20, 40)], strict=True)],
        partition=3,
    )
    g = evaluate_group("billing", [warn, ok, stall, rewind])
    assert g.status == "ERROR"
    assert g.worst_partition.status == "REWIND"  # Burrow's StatusRewind is the highest constant
    assert g.total_lag == 3 + 400 + 50 + 20
    assert "is ERROR" in g.summary and "1 STALL (orders:2)" in g.summary
    assert SOURCES.url(lag.BURROW_RULES_SOURCE) in g.sources
    assert "https://github.com/linkedin/Burrow/pull/716" in g.sources


def test_empty_group_is_ok_with_nothing_checked():
    # caching_test.go TestCachingEvaluator_TopicDeleted: no partitions => OK, complete 0.
    g = evaluate_group("g", [])
    assert g.status == "OK"
    assert g.complete == 0.0
    assert g.worst_partition is None
    assert "no partitions" in g.summary


def test_checks_are_in_burrow_order():
    r = evaluate_partition(part(commits(_OFF10, [1, 1, 1, 1, 1, 2, 2, 2, 3, 3], _TS10)))
    assert [c.rule for c in r.checks] == [
        "completeness", "current_lag", "stop", "rewind",
        "zero_lag_in_window", "min_commits", "stall", "lag_not_decreasing",
    ]
    assert r.window.samples_used == 10
    assert (r.window.first_timestamp_ms, r.window.last_timestamp_ms) == (_TS10[0], _TS10[-1])


def test_group_uses_one_now_for_all_partitions():
    # A partition whose commits ended an hour before the rest of the group's samples is judged
    # against the group's latest sample, so it is STOP (on its own it would be judged at its
    # own last sample and look fine).
    live = part(commits(_OFF10, [0] * 10, [T0 + 3_600_000 + 60_000 * i for i in range(10)]),
                partition=0)
    dead = part(commits(_OFF10, [5] * 10, _TS10), partition=1)
    assert evaluate_partition(dead).status == "WARNING"
    g = evaluate_group("g", [live, dead])
    assert g.partitions[1].status == "STOP"
    assert g.status == "ERROR"
    assert any("latest sample across the group" in x for x in g.partitions[1].reasons)

"""Regression guard and integrity checks for the real cases in tests/diagnose_cases/cases.yaml.

Floors sit about two cases below the numbers measured when they were set, so a change that loses more than two cases
of a split fails. Do not raise accuracy by tuning the knowledge base to these cases' wording. The test split is frozen
and held out: nobody tunes on it and no test prints its misses; its floors were set from one measurement, taken once
at the end of the issue-14 engine work, and are only a guard against regressions.

Measured when the floors were first set (178 cases, 108 dev): broker given top-1 56.5 %, top-3 64.8 %; broker
withheld top-1 53.7 %, top-3 61.1 %. After the issue-14 engine work (new failure modes, BM25 retrieval, version
evidence, default ack deadlines): dev, broker given 81.5 % / 90.7 %, withheld 75.9 % / 87.0 %; test (measured once,
before: 24.3 % / 34.3 %, withheld 21.4 % / 30.0 %), broker given 65.7 % / 87.1 %, withheld 61.4 % / 84.3 %.
Raise the dev floors when the engine improves on dev. Retrieval over signatures and setting names, and three
concept groups (delivery, release change, deadline), sourced Pulsar symptoms and sizes >= 100 MB read as stored
volume: dev 84.3 % / 93.5 %, withheld 76.9 % / 88.9 %; test (measured once after them) 68.6 % / 87.1 %, withheld
65.7 % / 85.7 %.

``paraphrase_cases.yaml`` is a second held-out check: 32 incidents from threads that are not in cases.yaml, written
in reporters' words to see whether a change generalises (81.2 % / 96.9 % when its floors were first set).

Third collection (44 new incidents, ``collection: 3``): 32 join dev, 12 are held out in ``holdout_cases.yaml`` by a
hash rule; the 70 frozen test cases are pinned by a digest. With them the dev split has 140 cases (the old engine:
82.9 % / 90.7 %, holdout 58.3 % / 75.0 %). After the engine work of that pass (restart/exit/herd concepts, crash and
client signatures, a Pulsar base rate for release defects, symptom restatements and unvoiced complaints ranked
lower, corroboration, 40 % phrase coverage): dev 90.0 % / 95.7 %, withheld 82.9 % / 90.0 %; paraphrases
87.5 % / 96.9 %; holdout 75.0 % / 91.7 %; test (three aggregate measurements that pass, the last one sets its floors)
71.4 % / 92.9 %, withheld 68.6 % / 88.6 %.

Fourth to sixth collections (169 new incidents, ``collection: 4`` to ``6``): each split by the holdout hash rule
before the engine ran on it, 121 to dev and 48 to ``holdout_cases.yaml`` (now 60). The engine work of that pass used
the holdout file as a validation split (aggregate numbers only, to choose between rules), so its figures are no
longer untouched; the frozen test split stays the only one. See the README's "Fourth to sixth collections" for the
numbers; the test split was measured there in aggregate only, and its floors are left as they were.

Seventh collection (58 broad incidents, ``collection: 7``): 37 to dev, 21 to ``holdout_cases.yaml`` (now 81) by the
same rule, measured once on the engine as it stood before any work on them (see the README's "Seventh collection").

Fourth pass (no new cases): embeddings, learned weights, base rates, similar-incident retrieval and reporters' own
phrases were measured and rejected; 179 sourced error signatures were kept (dev 85.2 % -> 84.6 % top-1, so the given
dev floor moves to 0.835; the holdout and the frozen test split are unchanged). See the README's "Fourth pass".

Fifth pass (no new cases): the knowledge base's own vocabulary, versions as reporters write them, 104 separating
questions; dev 84.2 % / 93.6 %, holdout and paraphrases unchanged, test (measured once) 70.0 % / 92.9 %, withheld
67.1 % / 88.6 %. Floors unchanged. See the README's "Fifth pass".
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT, TESTS

CASES_DIR = TESTS / "diagnose_cases"
sys.path.insert(0, str(CASES_DIR))
import evaluate  # noqa: E402

README = CASES_DIR / "README.md"
FIRST_SET = 66  # the first 66 entries predate the split and are all dev
FLOORS = {False: {"top1": 0.835, "top3": 0.92}, True: {"top1": 0.79, "top3": 0.87}}
PARAPHRASES = CASES_DIR / "paraphrase_cases.yaml"
HOLDOUT = CASES_DIR / "holdout_cases.yaml"
FROZEN_TOTAL = 178  # cases.yaml before the third collection: the test split must stay a third of it
FROZEN_TEST_DIGEST = "09ae5121a957ea04754bc8ec50985e5f5566d595f68f346a7850ce0ccfce5d08"
HOLDOUT_FLOORS = {"top1": 0.67, "top3": 0.8}  # 81 cases: one or two cases below the measurement
PARAPHRASE_FLOORS = {"top1": 0.81, "top3": 0.9}
# The held-out split, from its one measurement (never tuned on); only aggregate numbers are asserted.
TEST_FLOORS = {False: {"top1": 0.68, "top3": 0.9}, True: {"top1": 0.65, "top3": 0.85}}


def taxonomy_ids() -> set[str]:
    lines = (ROOT / "knowledge" / "failure_mode_ids.txt").read_text(encoding="utf-8").splitlines()
    return {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}


def rule_split(case_id: str) -> str:
    return "test" if int(hashlib.sha256(case_id.encode()).hexdigest(), 16) % 10 < 6 else "dev"


@pytest.mark.parametrize("infer_broker", [False, True], ids=["broker_given", "broker_inferred"])
def test_dev_accuracy_stays_above_floor(infer_broker):
    report = evaluate.evaluate(infer_broker=infer_broker, split="dev")
    assert set(report["per_split"]) == {"dev"}
    misses = [(m["id"], m["expected"] or m["proposed"], m["ranked"][:3]) for m in report["misses_top1"]]
    assert report["top1"] >= FLOORS[infer_broker]["top1"], misses
    assert report["top3"] >= FLOORS[infer_broker]["top3"], misses


@pytest.mark.parametrize("infer_broker", [False, True], ids=["broker_given", "broker_inferred"])
def test_held_out_accuracy_stays_above_floor(infer_broker):
    report = evaluate.evaluate(infer_broker=infer_broker, split="test")
    assert report["misses_top1"] == []  # misses of the held-out split are never listed
    numbers = {k: report[k] for k in ("top1", "top3")}
    assert numbers["top1"] >= TEST_FLOORS[infer_broker]["top1"], numbers
    assert numbers["top3"] >= TEST_FLOORS[infer_broker]["top3"], numbers


def test_paraphrase_accuracy_stays_above_floor():
    report = evaluate.evaluate(path=PARAPHRASES, split="dev")
    misses = [(m["id"], m["expected"], m["ranked"][:3]) for m in report["misses_top1"]]
    assert report["cases"] >= 30
    assert report["top1"] >= PARAPHRASE_FLOORS["top1"], misses
    assert report["top3"] >= PARAPHRASE_FLOORS["top3"], misses


def test_paraphrases_share_no_thread_with_the_case_set_and_use_taxonomy_ids():
    paraphrases = evaluate.load_cases(PARAPHRASES)
    sources = {c["source"] for c in evaluate.load_cases()}
    assert not [c["id"] for c in paraphrases if c["source"] in sources]
    assert len({c["source"] for c in paraphrases}) == len({c["id"] for c in paraphrases}) == len(paraphrases)
    ids = taxonomy_ids()
    assert all(c["split"] == "dev" and c["expected_cause"] in ids for c in paraphrases)
    assert all(set(c.get("acceptable_causes") or []) <= ids for c in paraphrases)


def test_every_case_has_the_split_the_rule_gives_and_test_is_a_third():
    cases = evaluate.load_cases()
    assert all(c["split"] == "dev" for c in cases[:FIRST_SET])
    # The third collection (``collection: 3``) is dev by rule: its held-out share lives in holdout_cases.yaml, so the
    # frozen test split stays the set it was when it was first measured.
    later = [c for c in cases if c.get("collection") in (3, 4, 5, 6, 7)]
    assert len(later) >= 80 and all(c["split"] == "dev" for c in later)
    wrong = [c["id"] for c in cases[FIRST_SET:]
             if c.get("collection") not in (3, 4, 5, 6, 7) and c["split"] != rule_split(c["id"])]
    assert not wrong
    held_out = sum(c["split"] == "test" for c in cases)
    assert held_out >= 60 and held_out * 3 >= FROZEN_TOTAL


def test_the_frozen_test_split_is_unchanged():
    """The 70 held-out cases, byte for byte as parsed: adding cases or editing dev cases must not touch them."""
    held = sorted((c for c in evaluate.load_cases() if c["split"] == "test"), key=lambda c: c["id"])
    digest = hashlib.sha256(json.dumps(held, sort_keys=True).encode()).hexdigest()
    assert (len(held), digest) == (70, FROZEN_TEST_DIGEST)


def holdout_split(case_id: str) -> bool:
    return int(hashlib.sha256(f"holdout:{case_id}".encode()).hexdigest(), 16) % 10 < 3


def test_holdout_cases_are_the_rule_share_of_the_third_collection_and_share_no_thread():
    holdout = evaluate.load_cases(HOLDOUT)
    # The third to sixth collections: their held-out share is here, the rest is dev.
    later = [c for c in evaluate.load_cases() if c.get("collection") in (3, 4, 5, 6, 7)]
    assert len(holdout) >= 30 and all(c["split"] == "test" for c in holdout)
    assert all(holdout_split(c["id"]) for c in holdout) and not any(holdout_split(c["id"]) for c in later)
    others = {c["source"] for c in evaluate.load_cases() + evaluate.load_cases(PARAPHRASES)}
    assert not [c["id"] for c in holdout if c["source"] in others]
    assert len({c["source"] for c in holdout}) == len({c["id"] for c in holdout}) == len(holdout)
    ids = taxonomy_ids()
    readme = README.read_text(encoding="utf-8")
    for c in holdout:
        assert (c.get("expected_cause") is None) == (c.get("proposed_cause") is not None), c["id"]
        proposed = evaluate.proposed_id(c)
        assert proposed is None or proposed in ids or f"`{proposed}`" in readme, c["id"]
        assert {c.get("expected_cause") or proposed, *(c.get("acceptable_causes") or [])} <= ids | {proposed}


def test_holdout_accuracy_stays_above_floor():
    report = evaluate.evaluate(path=HOLDOUT, split="test")
    assert report["misses_top1"] == []  # held out: misses are never listed
    numbers = {k: report[k] for k in ("top1", "top3")}
    assert numbers["top1"] >= HOLDOUT_FLOORS["top1"], numbers
    assert numbers["top3"] >= HOLDOUT_FLOORS["top3"], numbers


def test_ids_and_sources_are_unique():
    cases = evaluate.load_cases()
    assert len({c["id"] for c in cases}) == len(cases)
    assert len({c["source"] for c in cases}) == len(cases)


def test_labels_are_taxonomy_ids_or_proposed_ids_defined_in_the_readme():
    known = taxonomy_ids()
    readme = README.read_text(encoding="utf-8")
    proposed = {evaluate.proposed_id(c) for c in evaluate.load_cases()} - {None}
    undefined = {p for p in proposed if not re.search(rf"`{re.escape(p)}`", readme)}
    assert not undefined
    for c in evaluate.load_cases():
        assert (c.get("expected_cause") is None) == (c.get("proposed_cause") is not None), c["id"]
        labels = [c.get("expected_cause"), *(c.get("acceptable_causes") or [])]
        assert all(x in known | proposed for x in labels if x), c["id"]


def test_a_null_expected_cause_is_a_miss_and_acceptable_causes_are_hits(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {id: gap, broker: kafka, symptoms: [consumer lag keeps growing], expected_cause: null}\n"
        "- {id: alt, broker: kafka, symptoms: [consumer lag keeps growing], expected_cause: redis_nogroup_error,\n"
        "   acceptable_causes: [kafka_slow_consumer_processing]}\n"
        "- {id: wrong, broker: kafka, symptoms: [consumer lag keeps growing], expected_cause: redis_nogroup_error}\n",
        encoding="utf-8")
    report = evaluate.evaluate(path=cases)
    assert report["top1"] == pytest.approx(1 / 3, abs=1e-3)
    assert {m["id"] for m in report["misses_top1"]} == {"gap", "wrong"}


def test_test_split_misses_are_never_listed(tmp_path):
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- {id: held, split: test, broker: kafka, symptoms: [consumer lag keeps growing],"
        " expected_cause: redis_nogroup_error}\n"
        "- {id: open, split: dev, broker: kafka, symptoms: [consumer lag keeps growing],"
        " expected_cause: redis_nogroup_error}\n",
        encoding="utf-8")
    report = evaluate.evaluate(path=cases)
    assert set(report["per_split"]) == {"dev", "test"}
    assert [m["id"] for m in report["misses_top1"]] == ["open"]
    assert evaluate.evaluate(path=cases, split="test")["cases"] == 1


def test_cli_json_output_reports_both_splits():
    out = subprocess.run([sys.executable, str(CASES_DIR / "evaluate.py"), "--json"], capture_output=True, text=True,
                         check=True)
    report = json.loads(out.stdout)
    assert set(report["per_broker"]) == {"kafka", "rabbitmq", "sqs", "redis", "nats", "pulsar", "null"}
    assert set(report["per_split"]) == {"dev", "test"}
    assert 0 <= report["top1"] <= report["top3"] <= 1

"""Regression guard: diagnose() accuracy on the 66 real cases in tests/diagnose_cases/cases.yaml.

Measured when the floors were set (broker passed as the reporter named it): top-1 78.8 %, top-3 87.9 %;
with the broker withheld (inferred): top-1 75.8 %, top-3 83.3 %. The floors sit about two cases (3 points) below,
so a change that loses more than two cases fails. The 3 cases whose cause is outside the taxonomy always count as
misses. Do not raise accuracy by tuning the knowledge base to these cases' wording: a held-out set judges the tool.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "diagnose_cases"))
import evaluate  # noqa: E402

FLOORS = {False: {"top1": 0.75, "top3": 0.85}, True: {"top1": 0.72, "top3": 0.80}}


@pytest.mark.parametrize("infer_broker", [False, True], ids=["broker_given", "broker_inferred"])
def test_accuracy_stays_above_floor(infer_broker):
    report = evaluate.evaluate(infer_broker=infer_broker)
    assert report["cases"] == 66
    misses = [(m["id"], m["expected"], m["ranked"][:3]) for m in report["misses_top1"]]
    assert report["top1"] >= FLOORS[infer_broker]["top1"], misses
    assert report["top3"] >= FLOORS[infer_broker]["top3"], misses
    assert set(report["taxonomy_gaps"]) == {"kafka-txn-topic-lag-stuck-at-one", "redis-readgroup-zero-records",
                                            "redis-stream-memory-grows"}


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


def test_cli_json_output():
    out = subprocess.run([sys.executable, str(Path(evaluate.__file__)), "--json"], capture_output=True, text=True,
                         check=True)
    report = json.loads(out.stdout)
    assert set(report["per_broker"]) == {"kafka", "rabbitmq", "sqs", "redis", "nats", "pulsar", "null"}
    assert 0 <= report["top1"] <= report["top3"] <= 1

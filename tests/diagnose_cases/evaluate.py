"""Run diagnose() over tests/diagnose_cases/cases.yaml and report top-1 / top-3 accuracy.

A hit is the expected cause, or any of the acceptable causes, among the first k hypotheses. Cases whose
expected_cause is null (taxonomy gaps) count as misses. The case's broker (the one the reporter named, or null)
is passed to the engine as given; ``--infer-broker`` withholds it to measure broker inference too.

    python tests/diagnose_cases/evaluate.py [--json] [--infer-broker] [--cases PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from event_driven.core.diagnosis import DiagnoseRequest, diagnose
from event_driven.kb.loader import KnowledgeBase, knowledge

CASES = Path(__file__).with_name("cases.yaml")


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def run_case(case: dict[str, Any], kb: KnowledgeBase, infer_broker: bool = False) -> dict[str, Any]:
    req = DiagnoseRequest(
        symptoms=case.get("symptoms"),
        broker=None if infer_broker else case.get("broker"),
        error_lines=case.get("error_lines"),
        config=case.get("config"),
        metrics=case.get("metrics"),
        max_hypotheses=5,
    )
    diag = diagnose(req, kb)
    ranked = [h.failure_mode_id for h in diag.hypotheses]
    wanted = {c for c in [case.get("expected_cause"), *(case.get("acceptable_causes") or [])] if c}
    rank = next((i + 1 for i, fid in enumerate(ranked) if fid in wanted), None)
    return {
        "id": case["id"],
        "broker": case.get("broker") or "null",
        "expected": case.get("expected_cause"),
        "acceptable": case.get("acceptable_causes") or [],
        "ranked": ranked[:5],
        "confidences": [h.confidence for h in diag.hypotheses[:5]],
        "inferred_broker": diag.broker.broker,
        "rank": rank,
        "top1": rank == 1,
        "top3": rank is not None and rank <= 3,
    }


def evaluate(kb: KnowledgeBase | None = None, infer_broker: bool = False, path: Path = CASES) -> dict[str, Any]:
    kb = kb or knowledge()
    results = [run_case(c, kb, infer_broker) for c in load_cases(path)]
    n = len(results)

    def acc(rows: list[dict[str, Any]], key: str) -> float:
        return round(sum(r[key] for r in rows) / len(rows), 4) if rows else 0.0

    per_broker: dict[str, dict[str, Any]] = {}
    for b in sorted({r["broker"] for r in results}):
        rows = [r for r in results if r["broker"] == b]
        per_broker[b] = {"cases": len(rows), "top1": acc(rows, "top1"), "top3": acc(rows, "top3")}
    answerable = [r for r in results if r["expected"]]
    return {
        "cases": n,
        "top1": acc(results, "top1"),
        "top3": acc(results, "top3"),
        "top1_answerable": acc(answerable, "top1"),
        "top3_answerable": acc(answerable, "top3"),
        "taxonomy_gaps": [r["id"] for r in results if not r["expected"]],
        "per_broker": per_broker,
        "misses_top1": [r for r in results if not r["top1"]],
        "infer_broker": infer_broker,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--infer-broker", action="store_true", help="withhold each case's broker")
    ap.add_argument("--cases", type=Path, default=CASES)
    args = ap.parse_args(argv)
    report = evaluate(infer_broker=args.infer_broker, path=args.cases)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = sys.stdout.write
    out(f"cases: {report['cases']}  top-1: {report['top1']:.1%}  top-3: {report['top3']:.1%}"
        f"  (answerable only: {report['top1_answerable']:.1%} / {report['top3_answerable']:.1%})"
        f"{'  [broker withheld]' if args.infer_broker else ''}\n")
    out("per broker:\n")
    for b, r in report["per_broker"].items():
        out(f"  {b:<10} n={r['cases']:<3} top-1 {r['top1']:.1%}  top-3 {r['top3']:.1%}\n")
    out(f"taxonomy gaps (expected null, counted as misses): {', '.join(report['taxonomy_gaps']) or '-'}\n")
    out("top-1 misses:\n")
    for r in report["misses_top1"]:
        where = f"rank {r['rank']}" if r["rank"] else "not in top 5"
        got = ", ".join(r["ranked"][:3]) or "-"
        out(f"  {r['id']} [{r['broker']}] expected {r['expected']} ({where}); got {got}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

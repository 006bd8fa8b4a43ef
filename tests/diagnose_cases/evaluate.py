"""Run diagnose() over tests/diagnose_cases/cases.yaml and report top-1 / top-3 accuracy per split and per broker.

A hit is the expected cause, the proposed cause (an id not yet in the taxonomy, so a miss until the engine knows it),
or any of the acceptable causes, among the first k hypotheses. Cases whose expected_cause is null are listed as
taxonomy gaps. The case's broker (the one the reporter named, or null) is passed to the engine as given;
``--infer-broker`` withholds it to measure broker inference too.

Splits: ``split: dev`` cases may be used to tune and debug the engine; ``split: test`` cases are frozen and held out.
Per-case misses are printed for dev cases only, so that a test run gives numbers, not material to tune on.

    python tests/diagnose_cases/evaluate.py [--split dev|test|all] [--json] [--infer-broker] [--cases PATH]
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
SPLITS = ("dev", "test")


def load_cases(path: Path = CASES) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def proposed_id(case: dict[str, Any]) -> str | None:
    """The id part of ``proposed_cause`` (older cases append ' — definition' to it)."""
    text = case.get("proposed_cause")
    return text.split()[0] if text else None


def wanted_causes(case: dict[str, Any]) -> set[str]:
    ids = [case.get("expected_cause"), proposed_id(case), *(case.get("acceptable_causes") or [])]
    return {c for c in ids if c}


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
    wanted = wanted_causes(case)
    rank = next((i + 1 for i, fid in enumerate(ranked) if fid in wanted), None)
    return {
        "id": case["id"],
        "split": case.get("split") or "dev",
        "broker": case.get("broker") or "null",
        "expected": case.get("expected_cause"),
        "proposed": proposed_id(case),
        "acceptable": case.get("acceptable_causes") or [],
        "ranked": ranked[:5],
        "confidences": [h.confidence for h in diag.hypotheses[:5]],
        "inferred_broker": diag.broker.broker,
        "rank": rank,
        "top1": rank == 1,
        "top3": rank is not None and rank <= 3,
    }


def _acc(rows: list[dict[str, Any]], key: str) -> float:
    return round(sum(r[key] for r in rows) / len(rows), 4) if rows else 0.0


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy over rows, overall, on the cases whose cause is in the taxonomy, and per broker."""
    per_broker: dict[str, dict[str, Any]] = {}
    for b in sorted({r["broker"] for r in rows}):
        sub = [r for r in rows if r["broker"] == b]
        per_broker[b] = {"cases": len(sub), "top1": _acc(sub, "top1"), "top3": _acc(sub, "top3")}
    answerable = [r for r in rows if r["expected"]]
    return {
        "cases": len(rows),
        "top1": _acc(rows, "top1"),
        "top3": _acc(rows, "top3"),
        "top1_answerable": _acc(answerable, "top1"),
        "top3_answerable": _acc(answerable, "top3"),
        "per_broker": per_broker,
    }


def evaluate(kb: KnowledgeBase | None = None, infer_broker: bool = False, path: Path = CASES,
             split: str = "all") -> dict[str, Any]:
    kb = kb or knowledge()
    cases = [c for c in load_cases(path) if split == "all" or (c.get("split") or "dev") == split]
    results = [run_case(c, kb, infer_broker) for c in cases]
    report = summarize(results)
    report["per_split"] = {s: summarize([r for r in results if r["split"] == s])
                           for s in SPLITS if any(r["split"] == s for r in results)}
    report["taxonomy_gaps"] = [r["id"] for r in results if not r["expected"]]
    report["misses_top1"] = [r for r in results if not r["top1"] and r["split"] == "dev"]
    report["infer_broker"] = infer_broker
    report["split"] = split
    return report


def _write_summary(out: Any, title: str, s: dict[str, Any]) -> None:
    out(f"{title}: cases {s['cases']}  top-1 {s['top1']:.1%}  top-3 {s['top3']:.1%}"
        f"  (cause in taxonomy only: {s['top1_answerable']:.1%} / {s['top3_answerable']:.1%})\n")
    for b, r in s["per_broker"].items():
        out(f"    {b:<10} n={r['cases']:<3} top-1 {r['top1']:.1%}  top-3 {r['top3']:.1%}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--infer-broker", action="store_true", help="withhold each case's broker")
    ap.add_argument("--split", choices=("dev", "test", "all"), default="all", help="which cases to run")
    ap.add_argument("--cases", type=Path, default=CASES)
    args = ap.parse_args(argv)
    report = evaluate(infer_broker=args.infer_broker, path=args.cases, split=args.split)
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    out = sys.stdout.write
    _write_summary(out, f"split {args.split}{' [broker withheld]' if args.infer_broker else ''}", report)
    if args.split == "all":
        for name, s in report["per_split"].items():
            _write_summary(out, f"  split {name}", s)
    out(f"taxonomy gaps (expected null, hit only via proposed/acceptable ids): {len(report['taxonomy_gaps'])}\n")
    out("top-1 misses (dev split only; test misses are never listed):\n")
    for r in report["misses_top1"]:
        where = f"rank {r['rank']}" if r["rank"] else "not in top 5"
        got = ", ".join(r["ranked"][:3]) or "-"
        out(f"  {r['id']} [{r['broker']}] expected {r['expected'] or r['proposed']} ({where}); got {got}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

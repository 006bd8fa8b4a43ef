"""The long fuzz run: N generated hostile calls per tool through the MCP adapter's call path, counted.

For each tool it reports results, field-level errors, internal errors (with the first traceback of each), the
slowest answer and the largest. Issue 10's budgets: 0 internal errors in >= 10,000 calls per tool, every hostile
input answered within 2 s and 64 KB.

    .venv/bin/python bench/fuzz.py [--examples 10000] [--tools plan_topology,...] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from event_driven.adapters.answers import log as answers_log  # noqa: E402
from event_driven.adapters.answers import run_tool  # noqa: E402
from event_driven.adapters.tools import BY_NAME, TOOLS  # noqa: E402
from event_driven.app import usecases  # noqa: E402
from event_driven.kb.loader import knowledge  # noqa: E402
from hostile.strategies import VALID_CONTEXT, arguments_for  # noqa: E402


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.last: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.last = "".join(traceback.format_exception(*record.exc_info))[-1500:]


def fuzz_tool(tool: str, examples: int, plan: dict[str, Any]) -> dict[str, Any]:
    kb, spec = knowledge(), BY_NAME[tool]
    capture = _Capture()
    answers_log.addHandler(capture)
    answers_log.propagate = False
    row: dict[str, Any] = {
        "calls": 0,
        "results": 0,
        "field_errors": 0,
        "internal_errors": 0,
        "slowest_s": 0.0,
        "largest_chars": 0,
        "first_internal": None,
    }

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(arguments=arguments_for(tool, plan))
    def one(arguments: dict[str, Any]) -> None:
        start = time.perf_counter()
        result = anyio.run(run_tool, spec, arguments, kb)
        row["slowest_s"] = max(row["slowest_s"], time.perf_counter() - start)
        text = "".join(b.text for b in result.content if b.type == "text")
        size = len(text) + len(json.dumps(result.structured_content or {}))
        row["calls"] += 1
        if text.startswith("Internal error"):
            row["internal_errors"] += 1
            row["first_internal"] = row["first_internal"] or capture.last
        elif result.is_error:
            row["field_errors"] += 1
            row["largest_chars"] = max(row["largest_chars"], size)
        else:
            row["results"] += 1
            if arguments.get("detail") in (None, "summary"):
                row["largest_chars"] = max(row["largest_chars"], size)

    one()
    answers_log.removeHandler(capture)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--tools", default=",".join(t.name for t in TOOLS))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    plan = usecases.plan_topology({"event_context": VALID_CONTEXT, "broker": "kafka"}, knowledge()).model_dump(
        mode="json"
    )
    rows = {tool: fuzz_tool(tool, args.examples, plan) for tool in args.tools.split(",")}
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print("| tool | calls | results | field errors | internal errors | slowest (s) | largest answer (chars) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for tool, r in rows.items():
        print(
            f"| {tool} | {r['calls']:,} | {r['results']:,} | {r['field_errors']:,} | {r['internal_errors']} "
            f"| {r['slowest_s']:.3f} | {r['largest_chars']:,} |"
        )
    for tool, r in rows.items():
        if r["first_internal"]:
            print(f"\n{tool}: first internal error\n{r['first_internal']}")


if __name__ == "__main__":
    main()

"""Answer sizes over the budget matrix, through the real MCP server in memory (the SDK's client).

Five use cases x every plannable broker for plan_topology, the same for select_broker and validate_context, at
least four incidents for diagnose_issue, generate_tests per broker; summary and full. Prints the size table that
the README and issue 9's budgets refer to; ``--json`` for machines.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "golden"))

import cases  # noqa: E402  (the golden matrix: one definition of the contexts)
from mcp import Client  # noqa: E402

from event_driven.adapters.mcp_server import build_server  # noqa: E402

BUDGET = {"summary_text": 8_000, "summary_total": 25_000, "any_text": 50_000, "error_text": 2_000,
          "tools_list": 20_000, "description": 800}
INCIDENTS = {
    "kafka-poll": {"symptoms": ["consumer leaves the group every few minutes and the same records come back"],
                   "error_lines": ["Application maximum poll interval (300000ms) exceeded by 88ms"], "broker": "kafka"},
    "rabbit-dlq": {"symptoms": "messages land in the dead letter queue after a few redeliveries",
                   "config": {"x-queue-type": "quorum", "x-delivery-limit": 20}, "broker": "rabbitmq"},
    "sqs-dupes": {"symptoms": ["the same message is processed twice by two workers"],
                  "config": {"VisibilityTimeout": 30}, "broker": "sqs"},
    "nats-stall": {"symptoms": ["consumer stops receiving messages although the stream has thousands pending"],
                   "broker": "nats"},
    "redis-pel": {"symptoms": ["pending entries list keeps growing, nobody processes them"], "broker": "redis"},
}


def calls() -> list[tuple[str, str, dict[str, Any]]]:
    out: list[tuple[str, str, dict[str, Any]]] = []
    for u in cases.USE_CASES:
        ctx = cases.context(u)
        out.append(("validate_context", u, {"event_context": ctx}))
        out.append(("select_broker", u, {"event_context": ctx}))
        for b in cases.BROKERS:
            out.append(("plan_topology", f"{u}/{b}", {"event_context": ctx, "broker": b}))
    for name, incident in INCIDENTS.items():
        out.append(("diagnose_issue", name, incident))
    for b in cases.BROKERS:
        out.append(("generate_tests", b, {"event_context": cases.context("pub_sub"), "options": {"broker": b}}))
    fields = [{"name": f"f{i}", "type": "string"} for i in range(200)]
    old_schema = {"type": "record", "name": "Big", "fields": fields}
    new_schema = {"type": "record", "name": "Big", "fields": [{**f, "type": "int"} for f in fields]}
    out.append(("check_schema_change", "200 broken fields", {"old_schema": old_schema, "new_schema": new_schema}))
    return out


def _sizes(result: Any) -> tuple[int, int]:
    text = sum(len(b.text) for b in result.content if b.type == "text")
    structured = len(json.dumps(result.structured_content, separators=(",", ":"))) if result.structured_content else 0
    return text, structured


async def measure() -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {}
    async with Client(build_server()) as client:
        tools = (await client.list_tools()).tools
        listing = len(json.dumps([t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]))
        longest = max(len(t.description or "") for t in tools)
        for tool, _case, args in calls():
            row = rows.setdefault(tool, {"cases": 0, "summary_text": 0, "summary_total": 0, "full_text": 0,
                                         "full_total": 0, "errors": 0})
            row["cases"] += 1
            for detail in ("summary", "full"):
                result = await client.call_tool(tool, {**args, "detail": detail})
                text, structured = _sizes(result)
                row["errors"] += bool(result.is_error)
                row[f"{detail}_text"] = max(row[f"{detail}_text"], text)
                row[f"{detail}_total"] = max(row[f"{detail}_total"], text + structured)
        bad = await client.call_tool("plan_topology", {"event_context": {"use_case": "x" * 5000}})
        error_text = _sizes(bad)[0]
    return {"tools": rows, "tools_list": listing, "longest_description": longest, "error_text": error_text}


def report(m: dict[str, Any]) -> str:
    lines = ["| tool | cases | summary text (<= 8,000) | summary text+structured (<= 25,000) | full text (<= 50,000) "
             "| full text+structured |", "|---|---|---|---|---|---|"]
    for tool, r in m["tools"].items():
        lines.append(f"| {tool} | {r['cases']} | {r['summary_text']:,} | {r['summary_total']:,} | {r['full_text']:,} "
                     f"| {r['full_total']:,} |")
    lines.append(f"\ntools/list: {m['tools_list']:,} characters (<= 20,000); longest description "
                 f"{m['longest_description']} (<= 800); error text {m['error_text']:,} (<= 2,000). Largest per tool.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    m = anyio.run(measure)
    print(json.dumps(m, indent=1) if parser.parse_args().json else report(m))


if __name__ == "__main__":
    main()

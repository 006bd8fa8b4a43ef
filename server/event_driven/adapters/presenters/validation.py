"""validate_context's answer: valid or not, the errors with what is allowed, the warnings with their action."""

from __future__ import annotations

from typing import Any

from event_driven.adapters.presenters.markdown import bullets, join, number, section, top


def error_lines(errors: list[dict[str, Any]]) -> str:
    lines = []
    for e in errors:
        line = f"`{e.get('path')}` ({e.get('code')}): {e.get('message')}"
        if e.get("suggestion"):
            line += f" Try: `{e['suggestion']}`."
        lines.append(line)
    return bullets(lines)


def warning_lines(warnings: list[dict[str, Any]], detail: str) -> str:
    shown, left = top(warnings, detail, 5)
    lines = [
        f"**{w.get('severity')}** `{w.get('rule_id', w.get('id', ''))}`: {w.get('message')}"
        + (f" Action: {w['recommendation']}" if w.get("recommendation") else "")
        for w in shown
    ]
    return bullets(lines, left, "warnings")


def normalized_line(n: dict[str, Any]) -> str:
    parts = [
        n.get("use_case"),
        f"{number(n['throughput_msg_per_s'])} msg/s" if n.get("throughput_msg_per_s") is not None else None,
        f"latency {number(n['latency_ms'])} ms" if n.get("latency_ms") is not None else None,
        f"ordering {n['ordering']}" if n.get("ordering") else None,
        n.get("delivery"),
        f"retention {number(n['retention_hours'])} h" if n.get("retention_hours") is not None else None,
        f"{n.get('producer_count', 0)} producer(s), {n.get('consumer_count', 0)} consumer(s)",
    ]
    return ", ".join(p for p in parts if p)


def present_validation(result: dict[str, Any], detail: str) -> str:
    errors, warnings = result.get("errors", []), result.get("warnings", [])
    verdict = "**Valid** event context" if result.get("valid") else f"**Invalid** event context: {len(errors)} error(s)"
    nxt = (
        "Fix the errors with the user, then call `validate_context` again with the corrected `event_context`."
        if errors
        else "Call `select_broker` (then `plan_topology`) with the same `event_context`."
    )
    return join(
        f"{verdict}: {normalized_line(result.get('normalized', {}))}.",
        section("Errors", error_lines(errors)),
        section("Warnings (most severe first)", warning_lines(warnings, detail)),
        section("Next", nxt),
    )

"""inspect_broker's answer: what is wrong on the broker (findings with the live figures), the drift from the plan,
the busiest channels and their trend, then the diagnose_issue call that ranks causes on this evidence."""

from __future__ import annotations

from typing import Any

from event_driven.adapters.presenters.markdown import bullets, cell, clip, join, number, section, table, top

KNOWLEDGE_URI = "event-driven://knowledge/failure_modes/{}"


def _findings(found: list[dict[str, Any]], detail: str) -> str:
    shown, left = top(found, detail, 5)
    lines = []
    for f in shown:
        quotes = "; ".join(
            f"{q.get('where')} {q.get('figure')}={cell(q.get('value'))}" for q in f.get("evidence", [])[:4]
        )
        lines.append(
            f"**{f.get('severity')}** {clip(f.get('title', ''), 200)} ({quotes}). Fix: {clip(f.get('fix', ''), 220)}"
            f" Cause: `{f.get('failure_mode_id')}` ({KNOWLEDGE_URI.format(f.get('failure_mode_id'))})"
        )
    return bullets(lines, left, "findings")


def _drift(report: dict[str, Any] | None, detail: str) -> str:
    if not report:
        return ""
    items = report.get("items", [])
    if not items:
        return f"The broker matches the plan on the {len(report.get('compared', []))} channel(s) compared."
    shown, left = top(items, detail, 6)
    lines = [
        f"**{i.get('severity')}** {i.get('kind', '').replace('_', ' ')}: `{i.get('channel')}`"
        + (
            f" {i.get('setting')}: planned {cell(i.get('planned'))}, live {cell(i.get('live'))}"
            if i.get("setting")
            else ""
        )
        + f". {clip(i.get('detail', ''), 200)}"
        for i in shown
    ]
    return bullets(lines, left, "differences")


def _latest(points: Any) -> float | None:
    """The last sampled value of a series (points oldest first)."""
    if isinstance(points, list) and points and isinstance(points[-1], dict):
        value = points[-1].get("value")
        return value if isinstance(value, (int, float)) else None
    return None


def _channels(series: list[dict[str, Any]], detail: str) -> str:
    if not series:
        return ""
    busiest = sorted(series, key=lambda s: -(_latest(s.get("depth")) or 0))
    shown, left = top(busiest, detail, 6)
    rows = [
        (
            s.get("name"),
            s.get("kind"),
            number(_latest(s.get("depth"))),
            number(_latest(s.get("in_flight"))),
            number(_latest(s.get("consumers"))),
            s.get("depth_trend", ""),
            number(s.get("depth_rate_per_s")),
        )
        for s in shown
    ]
    return table(("channel", "kind", "depth", "in flight", "consumers", "trend", "depth change /s"), rows, left,
                 "channels")


def present_inspection(result: dict[str, Any], detail: str) -> str:
    found, summary = result.get("findings", []), result.get("summary") or {}
    worst = found[0] if found else None
    verdict = (
        f"**{len(found)} problem(s) on `{result.get('target')}`** ({result.get('broker')}); worst: "
        f"{clip(worst.get('title', ''), 160)}"
        if worst
        else f"**No problem found on `{result.get('target')}`** ({result.get('broker')})"
    )
    scope = (
        f"{summary.get('channels_shown', 0)} of {summary.get('channels_matched', 0)} matching channel(s) read "
        f"({summary.get('channels_total', 0)} on the broker), {result.get('samples')} snapshot(s) over "
        f"{result.get('window_s')} s, {result.get('calls')} read-only call(s); nothing was consumed or changed."
    )
    nxt = (
        f'Call `diagnose_issue` with `target: "{result.get("target")}"` (and the user\'s symptoms) to rank the '
        "causes on this evidence."
        if found
        else "If the user still sees a problem, call `diagnose_issue` with "
        f'their symptoms and `target: "{result.get("target")}"`.'
    )
    return join(
        verdict + ".",
        scope,
        section("Findings", _findings(found, detail)),
        section("Drift from the plan", _drift(result.get("drift"), detail)),
        section("Busiest channels", _channels(result.get("series", []), detail)),
        section("Next", nxt),
    )

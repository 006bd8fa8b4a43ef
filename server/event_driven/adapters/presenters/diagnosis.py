"""diagnose_issue's answer: the top causes with the evidence for and against and the fix, the failing checklist
items, the config findings, then what to run next."""

from __future__ import annotations

from typing import Any

from event_driven.adapters.presenters.markdown import bullets, clip, code_and, join, more, section, top

KNOWLEDGE_URI = "event-driven://knowledge/failure_modes/{}"


def _line(e: dict[str, Any], why_limit: int) -> str:
    """The report's words the evidence quotes, then its kind and reason. Evidence that quotes none (retrieval, a
    version note, a base rate) shows its reason and what it matched in brackets, so it never reads as a quote."""
    why = clip(e.get("why", ""), why_limit)
    if e.get("quote"):
        return f"{clip(e['quote'], 160)} ({e.get('kind')}: {why})"
    matched = "" if e.get("kind") == "retrieval" else f"; matched: {clip(e.get('matched') or '', 120)}"
    return f"({e.get('kind')}: {why}{matched})"


def _hypothesis(h: dict[str, Any], detail: str) -> str:
    ev_for, left = top(h.get("evidence_for", []), detail, 3)
    lines = [f"for: {_line(e, 140)}" for e in ev_for]
    if left:
        lines.append(f"... {left} more pieces of evidence")
    lines += [
        f"against: {_line(e, 120)}"
        for e in h.get("evidence_against", [])[:2]
    ]
    fixes, _ = top(h.get("resolutions", []), detail, 2)
    lines += [f"fix: {clip(r.get('action', ''), 240)}" for r in fixes]
    runs, _ = top(h.get("next_diagnostics", []), detail, 1)
    lines += [f"check: `{clip(d.get('command', ''), 160)}`: look for {clip(d.get('look_for', ''), 120)}" for d in runs]
    title = (
        f"### {h.get('rank')}. `{h.get('failure_mode_id')}`, confidence {h.get('confidence')}\n"
        f"{clip(h.get('title', h.get('summary', '')), 200)} "
        f"(details: {KNOWLEDGE_URI.format(h.get('failure_mode_id'))})"
    )
    return title + "\n" + bullets(lines)


def _checklist(items: list[dict[str, Any]]) -> str:
    failing = [i for i in items if i.get("status") == "fail"]
    counts = {s: sum(1 for i in items if i.get("status") == s) for s in ("pass", "fail", "unknown")}
    head = f"{counts['fail']} fail, {counts['pass']} pass, {counts['unknown']} unknown."
    return head + (
        "\n" + bullets(f"{i.get('question')} {clip(i.get('reason', ''), 200)}" for i in failing) if failing else ""
    )


def _findings(findings: list[dict[str, Any]], detail: str) -> str:
    shown, left = top(findings, detail, 4)
    lines = [
        f"**{f.get('severity')}** `{f.get('key')}` = {clip(str(f.get('current_value')), 60)}: "
        f"{clip(f.get('message', ''), 220)} Fix: {clip(f.get('fix', ''), 200)}"
        for f in shown
    ]
    return bullets(lines, left, "findings")


def _separating(question: dict[str, Any] | None) -> str:
    if not question:
        return ""
    between = code_and(question.get("between", []))
    return f"Close call between {between}: {clip(question.get('question', ''), 500)}"


def present_diagnosis(result: dict[str, Any], detail: str) -> str:
    hypotheses = result.get("hypotheses", [])
    broker = (result.get("broker") or {}).get("broker") or "unknown broker"
    if not hypotheses:
        return join(f"**No likely cause found** ({broker}).", section("Next", bullets(result.get("notes", [])[:5])))
    first = hypotheses[0]
    shown, left = top(hypotheses, detail, 3)
    lag = result.get("lag_verdict") or {}
    nxt = [clip(n, 240) for n in result.get("notes", [])[:3]]
    return join(
        f"**Most likely: `{first.get('failure_mode_id')}`** (confidence {first.get('confidence')}, {broker}).",
        f"Lag verdict: {lag.get('status', lag.get('verdict'))}" if lag else "",
        section(
            "Causes, ranked",
            "\n\n".join(_hypothesis(h, detail) for h in shown) + ("\n\n" + more(left, "causes") if left else ""),
        ),
        section("What separates the top causes", _separating(result.get("separating_question"))),
        section("Debug checklist", _checklist(result.get("checklist", []))),
        section("Config findings", _findings(result.get("config_findings", []), detail)),
        section(
            "Next",
            bullets(nxt) or "Run the check under the first cause and call `diagnose_issue` again with what it shows.",
        ),
    )

"""select_broker's answer: the winner and why, the runner-up and what would flip it, the ranking table."""

from __future__ import annotations

from typing import Any

from event_driven.adapters.presenters.markdown import bullets, clip, code_and, join, section, table, top
from event_driven.adapters.presenters.validation import warning_lines


def _label(ranking: dict[str, Any]) -> str:
    return f"{ranking.get('name')} (`{ranking.get('option')}`)"


def _ranking(rankings: list[dict[str, Any]], detail: str) -> str:
    shown, left = top(rankings, detail, 6)
    rows = []
    for r in shown:
        verdict = (
            "disqualified: " + clip("; ".join(r.get("disqualifiers") or []), 120)
            if r.get("disqualified")
            else ", ".join(f"{f['requirement']} {f['fit']}" for f in r.get("fits", []) if f.get("given"))
        )
        rows.append((r.get("rank"), r.get("option"), r.get("score"), clip(verdict, 160)))
    return table(("rank", "option", "score", "fit"), rows, left, "options")


def _winner_reasons(winner: dict[str, Any], detail: str) -> str:
    fits = [f for f in winner.get("fits", []) if f.get("given")]
    shown, left = top(fits, detail, 6)
    lines = [f"{f['requirement']}: **{f['fit']}**: {clip(f['reason'], 220)}" for f in shown]
    return bullets(lines, left, "requirement fits")


def _tie(tie: dict[str, Any] | None) -> str:
    if not tie:
        return ""
    options = code_and(tie.get("options", []))
    return f"{options} tie at {tie.get('score')}. Ask the user: {clip(tie.get('question', ''), 300)}"


def _next(winner: dict[str, Any]) -> str:
    option = winner.get("option")
    if winner.get("plannable", True):
        return f'Call `plan_topology` with the same `event_context` and `broker: "{option}"`.'
    return (
        f"`{option}` is selectable but plan_topology does not design for it; plan on the best plannable option "
        "(call `plan_topology` without `broker`), or design it by hand from the fits above."
    )


def present_selection(result: dict[str, Any], detail: str) -> str:
    rankings = result.get("rankings", [])
    by_option = {r.get("option"): r for r in rankings}
    winner, runner = by_option.get(result.get("winner")), by_option.get(result.get("runner_up"))
    notes = bullets(clip(n, 500) for n in result.get("notes", []))
    if winner is None:
        reasons = bullets(f"{_label(r)}: {clip('; '.join(r.get('disqualifiers') or []), 200)}" for r in rankings[:6])
        return join(
            "**No broker fits** every hard requirement.",
            section("Notes", notes),
            section("Why", reasons),
            section("Next", "Relax a requirement the disqualifiers name, then call `select_broker` again."),
        )
    trade_offs, t_left = top(winner.get("trade_offs", []), detail, 3)
    head = f"**Winner: {_label(winner)}**, score {winner.get('score')}"
    head += f"; runner-up {_label(runner)}, score {runner.get('score')}." if runner else "."
    return join(
        head,
        section("Tie", _tie(result.get("tie"))),
        section("Why the winner", bullets(clip(w, 400) for w in result.get("why_winner", []))),
        section("How it fits", _winner_reasons(winner, detail)),
        section(
            "Trade-offs of the winner",
            bullets([clip(t, 300) for t in trade_offs], t_left, "trade-offs"),
        ),
        section("Ranking", _ranking(rankings, detail)),
        section("Notes", notes),
        section("Warnings", warning_lines(result.get("warnings", []), detail)),
        section("Next", _next(winner)),
    )

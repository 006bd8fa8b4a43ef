"""Small Markdown helpers: bullets, tables, numbers, and cutting a list to its top with a count of the rest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

DETAILS = ("summary", "full")
# How many items of a long list a summary shows; full shows them all.
SUMMARY_TOP = 3


def top(items: Sequence[Any], detail: str, n: int = SUMMARY_TOP) -> tuple[Sequence[Any], int]:
    """The items to show and how many were left out."""
    if detail == "full" or len(items) <= n:
        return items, 0
    return items[:n], len(items) - n


def more(left_out: int, what: str, how: str = "call again with detail='full'") -> str:
    return f"- ... {left_out} more {what} ({how})" if left_out else ""


def bullets(lines: Iterable[str], left_out: int = 0, what: str = "") -> str:
    """One bullet a line; with ``what``, then the line saying how many more ``what`` were left out."""
    text = "\n".join(f"- {line}" for line in lines if line)
    return "\n".join([text, more(left_out, what)]).strip() if what else text


def code_and(names: Iterable[str]) -> str:
    """'`a` and `b`'."""
    return " and ".join(f"`{n}`" for n in names)


def table(header: Sequence[str], rows: Iterable[Sequence[Any]], left_out: int = 0, what: str = "") -> str:
    """A Markdown table, then the line saying how many more ``what`` (rows) were left out."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(out) + ("\n" + more(left_out, what) if left_out else "")


def cell(value: Any) -> str:
    text = number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def number(value: float | int | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{int(value):,}"


def section(title: str, body: str) -> str:
    return f"## {title}\n{body}" if body.strip() else ""


def join(*parts: str) -> str:
    return "\n\n".join(p.strip("\n") for p in parts if p and p.strip()) + "\n"


def clip(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

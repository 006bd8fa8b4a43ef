"""The structured result in summary mode: the decision data, no file contents, the top of each long list.

Every list longer than ``TOP`` is cut to its first items (results rank their lists most important first), and
``omitted`` records each cut (where, how many shown, how many in all) so an agent knows what ``detail='full'``
adds. A tool may cut some lists shorter (``tops``, by path with ``[]`` for any index), to what its Markdown shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TOP = 5
# Longer strings are cut in a summary (the Markdown quotes what matters; full has every word).
TEXT = 240
HOW = "call again with detail='full'"
# What a file entry keeps in a summary: the resource link beside it carries the rest.
FILE_KEYS = ("path", "purpose", "checked_by", "media_type")
FILE_TEXT = 200


def summarize(
    dump: dict[str, Any],
    files_field: str | None,
    keep_lists: bool = False,
    drop: tuple[str, ...] = (),
    tops: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    omitted: list[dict[str, Any]] = []
    out = {k: v for k, v in dump.items()}
    for name in drop if not keep_lists else ():
        if out.get(name):
            # Emptied, not removed: the field stays present with its type, as the output schema requires.
            out[name] = type(out[name])()
            omitted.append({"path": name, "shown": 0, "total": 1, "how": HOW})
    if files_field and isinstance(out.get(files_field), list):
        # File contents travel as resource links; the entries keep their path, purpose and checker.
        out[files_field] = [_file_entry(f, brief=not keep_lists) for f in out[files_field]]
    if not keep_lists:
        out = {k: _cut(v, k, k, omitted, tops or {}) for k, v in out.items()}
    out["detail"] = "full" if keep_lists else "summary"
    out["omitted"] = omitted
    return out


def _cut(value: Any, path: str, shape: str, omitted: list[dict[str, Any]], tops: Mapping[str, int]) -> Any:
    """``shape`` is ``path`` with ``[]`` for every index: the key of ``tops``."""
    if isinstance(value, dict):
        return {k: _cut(v, f"{path}.{k}", f"{shape}.{k}", omitted, tops) for k, v in value.items()}
    if isinstance(value, list):
        top = tops.get(shape, TOP)
        if len(value) > top:
            omitted.append({"path": path, "shown": top, "total": len(value), "how": HOW})
            value = value[:top]
        return [_cut(v, f"{path}[{i}]", f"{shape}[]", omitted, tops) for i, v in enumerate(value)]
    if isinstance(value, str) and len(value) > TEXT:
        return value[: TEXT - 1] + "…"
    return value


def _file_entry(entry: dict[str, Any], brief: bool) -> dict[str, Any]:
    if not brief:
        return {**entry, "content": ""}
    kept = {k: entry[k] for k in FILE_KEYS if k in entry}
    return {k: (v[:FILE_TEXT] if isinstance(v, str) else v) for k, v in kept.items()} | {"content": ""}

"""Where the knowledge base and the templates live.

In an installed wheel they are package data (``event_driven/knowledge``, ``event_driven/templates``); in a source
checkout they are the top-level ``knowledge/`` and ``templates/`` folders. ``EVENT_DRIVEN_KNOWLEDGE_DIR`` overrides
the knowledge folder (used to test how a malformed file stops start-up). Derived data (the knowledge base's parsed
snapshot) goes to ``EVENT_DRIVEN_CACHE_DIR``, else ``$XDG_CACHE_HOME/event-driven``, else ``~/.cache/event-driven``;
``EVENT_DRIVEN_CACHE_DIR=off`` keeps none.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    packaged = _PACKAGE / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parents[1] / name


def knowledge_dir() -> Path:
    override = os.environ.get("EVENT_DRIVEN_KNOWLEDGE_DIR")
    return Path(override) if override else _data_dir("knowledge")


def cache_dir() -> Path | None:
    override = os.environ.get("EVENT_DRIVEN_CACHE_DIR", "").strip()
    if override:
        return None if override.lower() in ("off", "0", "none") else Path(override)
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "event-driven"


def templates_dir() -> Path:
    return _data_dir("templates")


def skill_file() -> Path:
    """The skill this server ships: ``skills/event-driven/SKILL.md`` (the folder name is the skill's name)."""
    return _data_dir("skills") / "event-driven" / "SKILL.md"

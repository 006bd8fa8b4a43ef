"""check_schema_change's answer: compatible or not, each break with where, who breaks and the fix, the rollout."""

from __future__ import annotations

from typing import Any

from event_driven.adapters.presenters.markdown import bullets, clip, join, section, top

FULL_MAX = 60
UPGRADE = {
    "consumers": "upgrade consumers first, then producers",
    "producers": "upgrade producers first, then consumers",
    "either": "upgrade producers and consumers in either order",
    "any": "no order is enforced: the registry checks nothing",
}


def _breaks(found: list[dict[str, Any]], detail: str) -> str:
    shown, left = top(found, detail, 6)
    if len(shown) > FULL_MAX:  # even in full, the text lists a readable number; the structured result has all
        shown, left = shown[:FULL_MAX], len(found) - FULL_MAX
    lines = [
        f"`{f.get('location')}` ({f.get('rule')}; {f.get('side', '').replace('_', ' ')}, against version "
        f"{f.get('against_version')}): {clip(f.get('message', ''), 240)} Fix: {clip(f.get('fix', ''), 200)}"
        for f in shown
    ]
    return bullets(lines, left, "incompatibilities")


def present_schema_check(result: dict[str, Any], detail: str) -> str:
    found = result.get("incompatibilities", [])
    mode = result.get("mode", "?") + (" (the registry default)" if result.get("mode_defaulted") else "")
    verdict = "**Compatible**" if result.get("compatible") else f"**Incompatible**: {len(found)} break(s)"
    rollout = result.get("rollout") or {}
    order = UPGRADE.get(str(rollout.get("upgrade_first")), str(rollout.get("upgrade_first")))
    checked = ", ".join(str(v) for v in result.get("versions_checked", [])) or "none"
    nxt = (
        "Register the new version, then " + order + "."
        if result.get("compatible")
        else "Apply the fixes and call `check_schema_change` again; or, if the break is intended, publish under a "
        "new subject (a new major version) instead."
    )
    return join(
        f"{verdict} under {mode} ({result.get('format')}): new version {result.get('new_version')} checked "
        f"against version(s) {checked}.",
        section("What breaks", _breaks(found, detail)),
        section("Rollout", bullets([order, "this mode allows next: " + "; ".join(rollout.get("allows_next", []))])),
        section("Modes this change passes", ", ".join(result.get("compatible_modes", [])) or "none"),
        section("Next", nxt),
    )

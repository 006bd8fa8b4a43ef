"""plan_topology's answer: channels, partitions, replication, retention, groups, retry and dead letters, the client
keys that carry the guarantee, sizing, the files and how each is checked, then warnings and the next step."""

from __future__ import annotations

from typing import Any

from event_driven.adapters.presenters.markdown import bullets, cell, clip, join, number, section, table, top


def _channels(plan: dict[str, Any], detail: str) -> str:
    shown, left = top(plan.get("channels", []), detail, 6)
    rows = [
        (
            c.get("name"),
            c.get("kind"),
            c.get("role", c.get("key", "")),
            c.get("partitions", ""),
            c.get("retention", c.get("retention_hours", "")),
        )
        for c in shown
    ]
    return table(("channel", "kind", "role", "partitions", "retention"), rows, left, "channels")


def _groups(plan: dict[str, Any], detail: str) -> str:
    shown, left = top(plan.get("consumer_groups", []), detail, 6)
    rows = [(g.get("name"), g.get("channel"), g.get("instances"), clip(g.get("reason", ""), 80)) for g in shown]
    return table(("group", "channel", "instances", "why"), rows, left, "groups")


def _retry(plan: dict[str, Any]) -> str:
    retry, policy = plan.get("retry", {}), plan.get("retry_policy", {})
    delays = (policy.get("backoff") or {}).get("delays_ms") or []
    lines = [
        f"mechanism: {clip(retry.get('mechanism', ''), 200)}",
        f"attempts: {policy.get('max_attempts', '?')}; delays: "
        + (", ".join(f"{number(d)} ms" for d in delays) or "none"),
    ]
    dlq = (plan.get("consumer_config") or {}).get("dlq") or {}
    if dlq:
        lines.append(
            f"dead letter: {', '.join(dlq.get('channels', [])) or dlq.get('suffix', '')}"
            f" (kept {dlq.get('retention_days', '?')} days, alert above {dlq.get('alert_threshold', '?')})"
        )
    return bullets(lines)


def _client_keys(plan: dict[str, Any], detail: str) -> str:
    settings = plan.get("client_settings") or {}
    lines = [f"client: {settings.get('client', '?')}"]
    for side in ("producer", "consumer"):
        values = settings.get(side) or {}
        if isinstance(values, dict) and values:
            shown, left = top(list(values.items()), detail, 8)
            lines.append(
                f"{side}: "
                + ", ".join(f"`{k}={clip(cell(v), 60)}`" for k, v in shown)
                + (f" and {left} more" if left else "")
            )
    return bullets(lines)


def _sizing(plan: dict[str, Any]) -> str:
    sizing = plan.get("sizing") or {}
    keys = [k for k, v in sizing.items() if isinstance(v, (int, float, str)) and k != "assumptions"]
    lines = [f"{k.replace('_', ' ')}: {cell(sizing[k])}" for k in keys[:8]]
    return bullets(lines)


def _files(plan: dict[str, Any], detail: str) -> str:
    shown, left = top(plan.get("artifacts", []), detail, 12)
    rows = [
        (f"`{a.get('path')}`", a.get("media_type", a.get("format", "")), clip(a.get("checked_by", ""), 70))
        for a in shown
    ]
    return table(("file", "type", "checked by"), rows, left, "files")


def _warnings(plan: dict[str, Any], detail: str) -> str:
    shown, left = top(plan.get("warnings", []), detail, 5)
    lines = [
        f"**{w.get('severity')}**: {clip(w.get('message', ''), 300)} Action: {clip(w.get('action', ''), 200)}"
        for w in shown
    ]
    return bullets(lines, left, "warnings")


def present_plan(plan: dict[str, Any], detail: str) -> str:
    broker, topo = plan.get("broker") or {}, plan.get("topology") or {}
    name = broker.get("technology", "?") + (f" ({broker['variant']})" if broker.get("variant") else "")
    head = (
        f"**Plan on {name}** for {plan.get('use_case')}: {plan.get('delivery')}, ordering {plan.get('ordering')}; "
        f"{number(topo.get('partitions'))} partition(s), replication {number(topo.get('replication_factor'))}."
    )
    return join(
        head,
        clip(plan.get("shape", ""), 400),
        f"Why this broker: {clip(broker.get('rationale', ''), 300)}",
        section("Channels", _channels(plan, detail)),
        section("Consumer groups", _groups(plan, detail)),
        section("Retry and dead letters", _retry(plan)),
        section("Client settings for the guarantee", _client_keys(plan, detail)),
        section("Sizing", _sizing(plan)),
        section("Warnings", _warnings(plan, detail)),
        section("Files (each a resource link; read it with resources/read)", _files(plan, detail)),
        section(
            "Next",
            "Apply the files after the checks in the table pass; call `generate_tests` with this plan's "
            "`event_context` and `broker` to get tests that prove the guarantees.",
        ),
    )

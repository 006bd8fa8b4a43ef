"""RabbitMQ through the management HTTP API: GET requests only (never basic.get, which requeues, nor any write).

Reads the overview (version, churn rates), the nodes (alarms), one bounded page of queues filtered by name on the
server (``name`` + ``use_regex``), and the consumers' prefetch. Queue counts are the management plugin's, refreshed
at its statistics interval (5 s by default), so a fresh change shows up a few seconds later.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from event_driven.core.inspection.snapshot import (
    RabbitChurn,
    RabbitNode,
    RabbitQueue,
    RabbitSnapshot,
    SettingValue,
    SnapshotSummary,
)
from event_driven.live.reading import ReadContext, ReadProblem, now_ms, ssl_context

if TYPE_CHECKING:
    import httpx

PAGE_SIZE_MAX = 500  # the management API's largest page
# Only the fields the snapshot uses: a quorum queue's full record (members, GC, backing queue status) is much larger.
QUEUE_COLUMNS = ("name,vhost,type,state,messages_ready,messages_unacknowledged,consumers,arguments,policy,"
                 "effective_policy_definition,message_stats")
CONSUMER_COLUMNS = "queue.name,queue.vhost,prefetch_count,ack_required"


def glob_regex(pattern: str) -> str:
    """A shell glob as an anchored regular expression the management API's ``use_regex`` filter accepts."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return f"^{body}$"


def _get(client: httpx.Client, ctx: ReadContext, path: str, params: dict[str, str | int] | None = None) -> Any:
    import httpx

    call = f"GET {path.split('?')[0]}"
    try:
        response = client.get(path, params=params, timeout=ctx.call_timeout(call))
    except httpx.HTTPError as exc:
        ctx.fail_from(call, exc)
    statuses: dict[int, ReadProblem] = {401: "unauthorised", 403: "forbidden", 404: "not_found"}
    if response.status_code in statuses:
        ctx.fail(call, statuses[response.status_code], f"HTTP {response.status_code}")
    if response.status_code >= 400:
        ctx.fail(call, "protocol", f"HTTP {response.status_code}")
    try:
        return response.json()
    except ValueError:
        ctx.fail(call, "protocol", "the answer is not JSON: is this the management API (port 15672)?")


def _rate(stats: dict[str, Any], key: str) -> float:
    return float((stats.get(f"{key}_details") or {}).get("rate") or 0.0)


def _scalars(raw: Any) -> dict[str, SettingValue]:
    items = raw.items() if isinstance(raw, dict) else []
    return {str(k): v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in items}


def _int(value: SettingValue) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def queue_from(raw: dict[str, Any], unlimited_prefetch: int = 0) -> RabbitQueue:
    """One queue of ``/api/queues``, with the dead-letter exchange and delivery limit the argument or policy sets."""
    args = _scalars(raw.get("arguments"))
    policy = _scalars(raw.get("effective_policy_definition"))
    stats = raw.get("message_stats") or {}
    dlx = args.get("x-dead-letter-exchange", policy.get("dead-letter-exchange"))
    limit = _int(args.get("x-delivery-limit", policy.get("delivery-limit")))
    return RabbitQueue(
        name=raw["name"], vhost=raw.get("vhost", "/"), type=str(raw.get("type") or "classic"), state=raw.get("state"),
        messages_ready=int(raw.get("messages_ready") or 0), messages_unacked=int(raw.get("messages_unacknowledged")
                                                                               or 0),
        consumers=int(raw.get("consumers") or 0), arguments=args, policy=raw.get("policy") or None,
        policy_definition=policy, dead_letter_exchange=str(dlx) if dlx not in (None, "") else None,
        delivery_limit=limit, published=int(stats.get("publish") or 0), acked=int(stats.get("ack") or 0),
        delivered=int(stats.get("deliver_get") or 0), redelivered=int(stats.get("redeliver") or 0),
        publish_rate=_rate(stats, "publish"), redeliver_rate=_rate(stats, "redeliver"), ack_rate=_rate(stats, "ack"),
        consumers_without_prefetch=unlimited_prefetch)


def _unlimited_prefetch(consumers: Any) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    for c in consumers if isinstance(consumers, list) else []:
        queue = c.get("queue") or {}
        if c.get("ack_required") and not c.get("prefetch_count"):
            key = (str(queue.get("vhost", "/")), str(queue.get("name", "")))
            out[key] = out.get(key, 0) + 1
    return out


def _queues(client: httpx.Client, ctx: ReadContext, vhost_path: str) -> tuple[list[dict[str, Any]], int, int]:
    """Bounded pages of queues (server-side name filter): (items, total on the broker, matched)."""
    items: list[dict[str, Any]] = []
    total = matched = 0
    page_size = min(PAGE_SIZE_MAX, ctx.target.limit)
    for page in range(1, ctx.target.limit // page_size + 2):
        params: dict[str, str | int] = {"page": page, "page_size": page_size, "sort": "name",
                                        "columns": QUEUE_COLUMNS}
        if ctx.pattern:
            params.update({"name": glob_regex(ctx.pattern), "use_regex": "true"})
        body = _get(client, ctx, f"/api/queues{vhost_path}", params)
        items.extend(body.get("items") or [])
        total, matched = int(body.get("total_count") or 0), int(body.get("filtered_count") or 0)
        if page >= int(body.get("page_count") or 0) or len(items) >= ctx.target.limit:
            break
    return items[: ctx.target.limit], total, matched


def read_rabbitmq(ctx: ReadContext) -> RabbitSnapshot:
    import httpx

    started = now_ms()
    creds = ctx.credentials
    auth = (creds.username or "", creds.password.get_secret_value() if creds.password else "")
    tls = ssl_context(ctx.target.tls)
    vhost_path = f"/{quote(ctx.target.vhost, safe='')}" if ctx.target.vhost else ""
    with httpx.Client(base_url=ctx.target.bare_url.rstrip("/"), auth=auth, verify=tls if tls else True,
                      follow_redirects=False) as client:
        overview = _get(client, ctx, "/api/overview")
        nodes = _get(client, ctx, "/api/nodes")
        raw_queues, total, matched = _queues(client, ctx, vhost_path)
        prefetch = _unlimited_prefetch(_get(client, ctx, f"/api/consumers{vhost_path}",
                                                       {"columns": CONSUMER_COLUMNS})) if raw_queues else {}
    queues = [queue_from(q, prefetch.get((q.get("vhost", "/"), q["name"]), 0)) for q in raw_queues]
    churn, totals = overview.get("churn_rates") or {}, overview.get("object_totals") or {}
    summary = SnapshotSummary(
        target=ctx.name, broker="rabbitmq", taken_at_ms=now_ms(), elapsed_ms=now_ms() - started,
        pattern=ctx.pattern, channels_total=total, channels_matched=matched if ctx.pattern else total,
        channels_shown=len(queues), truncated=(matched if ctx.pattern else total) > len(queues),
        depth_total=sum(q.messages_ready for q in queues), consumers_total=sum(q.consumers for q in queues))
    return RabbitSnapshot(
        summary=summary, version=overview.get("rabbitmq_version"), queues=queues,
        nodes=[RabbitNode(name=n.get("name", "?"), running=bool(n.get("running", True)),
                          mem_alarm=bool(n.get("mem_alarm")), disk_free_alarm=bool(n.get("disk_free_alarm")),
                          mem_used=n.get("mem_used"), mem_limit=n.get("mem_limit")) for n in nodes],
        churn=RabbitChurn(connections=int(totals.get("connections") or 0), channels=int(totals.get("channels") or 0),
                          connection_created_rate=_rate(churn, "connection_created"),
                          connection_closed_rate=_rate(churn, "connection_closed"),
                          channel_created_rate=_rate(churn, "channel_created"),
                          channel_closed_rate=_rate(churn, "channel_closed")))

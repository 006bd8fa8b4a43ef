"""Redis Streams with redis-py: SCAN (TYPE stream), XINFO STREAM / GROUPS / CONSUMERS, XPENDING, INFO.

Read-only commands only: no XREADGROUP (it would move the group and fill the PEL), no XCLAIM / XAUTOCLAIM (they
change ownership), no XACK. Entry payloads that XINFO STREAM returns are dropped; only ids and counts are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from event_driven.core.inspection.snapshot import (
    RedisConsumer,
    RedisGroup,
    RedisMemory,
    RedisSnapshot,
    RedisStream,
    SnapshotSummary,
)
from event_driven.live.reading import ReadContext, now_ms, shown

if TYPE_CHECKING:
    import redis

SCAN_COUNT = 1000
SCAN_CALLS_MAX = 200  # 200 x 1,000 keys examined at most
OLDEST_PENDING = 10  # XPENDING extended form: the oldest entries read for idle time and delivery count
PENDING_CONSUMERS_MAX = 20


def _client(ctx: ReadContext) -> redis.Redis:
    import redis

    creds = ctx.credentials
    options: dict[str, Any] = {"socket_timeout": ctx.target.timeout_s, "socket_connect_timeout": ctx.target.timeout_s,
                               "decode_responses": True, "retry_on_timeout": False}
    if creds.username:
        options["username"] = creds.username
    if creds.password:
        options["password"] = creds.password.get_secret_value()
    tls = ctx.target.tls
    if tls is not None:
        options.update({"ssl_ca_certs": str(tls.ca_file) if tls.ca_file else None,
                        "ssl_certfile": str(tls.cert_file) if tls.cert_file else None,
                        "ssl_keyfile": str(tls.key_file) if tls.key_file else None,
                        "ssl_cert_reqs": "required" if tls.verify else "none"})
    return redis.Redis.from_url(ctx.target.bare_url, **options)


def _call(ctx: ReadContext, name: str, fn: Any, *args: Any) -> Any:
    ctx.call_timeout(name)
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - redis-py's tree; classified by type and text
        ctx.fail_from(name, exc)


def _stream_keys(client: redis.Redis, ctx: ReadContext) -> list[str]:
    keys: list[str] = []
    cursor: int = 0
    for _ in range(SCAN_CALLS_MAX):
        cursor, batch = _call(ctx, "SCAN", client.scan, cursor, None, SCAN_COUNT, "stream")
        keys.extend(batch)
        if int(cursor) == 0:
            break
    return sorted(set(keys))


def _pending_detail(client: redis.Redis, ctx: ReadContext, key: str, group: dict[str, Any]) -> RedisGroup:
    name = group["name"]
    out = RedisGroup(stream=key, name=name, consumers=int(group.get("consumers") or 0),
                     pending=int(group.get("pending") or 0), lag=group.get("lag"),
                     last_delivered_id=str(group.get("last-delivered-id") or "0-0"))
    if not out.pending:
        return out
    oldest = _call(ctx, "XPENDING", client.xpending_range, key, name, "-", "+", OLDEST_PENDING)
    out.oldest_pending_idle_ms = max((int(e["time_since_delivered"]) for e in oldest), default=None)
    out.max_delivery_count = max((int(e["times_delivered"]) for e in oldest), default=None)
    consumers = _call(ctx, "XINFO CONSUMERS", client.xinfo_consumers, key, name)
    out.pending_consumers = [RedisConsumer(name=c["name"], pending=int(c.get("pending") or 0),
                                           idle_ms=int(c.get("idle") or 0), inactive_ms=c.get("inactive"))
                             for c in consumers if c.get("pending")][:PENDING_CONSUMERS_MAX]
    return out


def _streams(client: redis.Redis, ctx: ReadContext, keys: list[str]) -> list[RedisStream]:
    # One pipelined round trip for the streams and one for their groups (no MULTI: plain batching).
    ctx.call_timeout("XINFO STREAM")
    try:
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.xinfo_stream(key)
            pipe.xinfo_groups(key)
        replies = pipe.execute(raise_on_error=True)
    except Exception as exc:  # noqa: BLE001
        ctx.fail_from("XINFO STREAM", exc)
    out: list[RedisStream] = []
    for i, key in enumerate(keys):
        info, groups = replies[2 * i], replies[2 * i + 1]
        first, last = info.get("first-entry"), info.get("last-entry")
        out.append(RedisStream(
            key=key, length=int(info.get("length") or 0), first_id=first[0] if first else None,
            last_id=last[0] if last else None, groups=[_pending_detail(client, ctx, key, g) for g in groups]))
    return out


def read_redis(ctx: ReadContext) -> RedisSnapshot:
    started = now_ms()
    client = _client(ctx)
    try:
        server = _call(ctx, "INFO server", client.info, "server")
        memory = _call(ctx, "INFO memory", client.info, "memory")
        keys = _stream_keys(client, ctx)
        kept, matched, truncated = shown(keys, ctx)
        streams = _streams(client, ctx, kept) if kept else []
    finally:
        client.close()
    summary = SnapshotSummary(
        target=ctx.name, broker="redis_streams", taken_at_ms=now_ms(), elapsed_ms=now_ms() - started,
        pattern=ctx.pattern, channels_total=len(keys), channels_matched=matched, channels_shown=len(streams),
        truncated=truncated, depth_total=sum(s.length for s in streams),
        consumers_total=sum(g.consumers for s in streams for g in s.groups))
    return RedisSnapshot(summary=summary, version=server.get("redis_version"), streams=streams,
                         memory=RedisMemory(used_memory=int(memory.get("used_memory") or 0),
                                            maxmemory=int(memory.get("maxmemory") or 0),
                                            maxmemory_policy=str(memory.get("maxmemory_policy") or "noeviction")))

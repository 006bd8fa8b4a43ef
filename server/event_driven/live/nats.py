"""NATS JetStream with nats-py: the JetStream API's read-only requests (STREAM.NAMES, STREAM.INFO, CONSUMER.LIST).

No fetch, no ack, no publish to a stream subject: only ``$JS.API`` info requests, each with a timeout, in bounded
pages. The client connects without reconnecting, so a dead server fails fast instead of retrying in the background.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from event_driven.core.inspection.snapshot import NatsConsumer, NatsSnapshot, NatsStream, SnapshotSummary
from event_driven.live.reading import ReadContext, ReadProblem, now_ms, shown, ssl_context

if TYPE_CHECKING:
    from nats.aio.client import Client

T = TypeVar("T")
NAMES_PAGES_MAX = 20  # 20 pages of 1,024 names: 20,480 streams counted at most
CONSUMER_PAGES_MAX = 4  # 4 pages of 256 consumers per stream


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion; from inside a running event loop, on a private thread (callers are sync)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def worker() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=worker, name="inspect-nats", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


async def _request(nc: Client, ctx: ReadContext, subject: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    call = ".".join(subject.split(".")[:4])  # the API name, without the stream it is about
    try:
        msg = await nc.request(subject, json.dumps(body or {}).encode(), timeout=ctx.call_timeout(call))
    except Exception as exc:  # noqa: BLE001 - nats-py raises its own tree; classified below
        ctx.fail_from(call, exc)
    data = json.loads(msg.data or b"{}")
    error = data.get("error")
    if error:
        code = int(error.get("code") or 0)
        problems: dict[int, ReadProblem] = {403: "forbidden", 404: "not_found", 503: "not_found"}
        ctx.fail(call, problems.get(code, "protocol"),
                 str(error.get("description") or error))
    return data


async def _stream_names(nc: Client, ctx: ReadContext) -> list[str]:
    names: list[str] = []
    for _ in range(NAMES_PAGES_MAX):
        page = await _request(nc, ctx, "$JS.API.STREAM.NAMES", {"offset": len(names)})
        batch = page.get("streams") or []
        names.extend(batch)
        if not batch or len(names) >= int(page.get("total") or 0):
            break
    return names


def _stream(info: dict[str, Any]) -> NatsStream:
    config, state = info.get("config") or {}, info.get("state") or {}
    max_age = config.get("max_age")
    return NatsStream(name=config["name"], subjects=list(config.get("subjects") or []),
                      retention=str(config.get("retention") or "limits"), messages=int(state.get("messages") or 0),
                      bytes=int(state.get("bytes") or 0), first_seq=int(state.get("first_seq") or 0),
                      last_seq=int(state.get("last_seq") or 0), consumer_count=int(state.get("consumer_count") or 0),
                      max_age_s=max_age / 1e9 if max_age else None, num_replicas=config.get("num_replicas"))


def _consumer(stream: str, info: dict[str, Any]) -> NatsConsumer:
    config = info.get("config") or {}
    delivered, floor = info.get("delivered") or {}, info.get("ack_floor") or {}
    ack_wait = config.get("ack_wait")
    return NatsConsumer(
        stream=stream, name=str(info.get("name")), durable=bool(config.get("durable_name")),
        ack_policy=str(config.get("ack_policy") or "explicit"), ack_wait_s=ack_wait / 1e9 if ack_wait else None,
        max_deliver=config.get("max_deliver"), max_ack_pending=config.get("max_ack_pending"),
        num_pending=int(info.get("num_pending") or 0), num_ack_pending=int(info.get("num_ack_pending") or 0),
        num_redelivered=int(info.get("num_redelivered") or 0), num_waiting=int(info.get("num_waiting") or 0),
        delivered_stream_seq=int(delivered.get("stream_seq") or 0),
        ack_floor_stream_seq=int(floor.get("stream_seq") or 0), push_bound=info.get("push_bound"))


async def _consumers(nc: Client, ctx: ReadContext, stream: str) -> list[NatsConsumer]:
    out: list[NatsConsumer] = []
    for _ in range(CONSUMER_PAGES_MAX):
        page = await _request(nc, ctx, f"$JS.API.CONSUMER.LIST.{stream}", {"offset": len(out)})
        batch = page.get("consumers") or []
        out.extend(_consumer(stream, c) for c in batch)
        if not batch or len(out) >= int(page.get("total") or 0):
            break
    return out


async def _read(ctx: ReadContext) -> NatsSnapshot:
    import nats

    started = now_ms()
    creds = ctx.credentials
    # max_reconnect_attempts=0 makes nats-py retry the first connect forever; 1 with a short wait fails fast.
    options: dict[str, Any] = {"connect_timeout": ctx.call_timeout("connect"), "allow_reconnect": False,
                               "max_reconnect_attempts": 1, "reconnect_time_wait": 0.1,
                               "name": "event-driven inspect (read-only)"}
    if creds.username:
        options["user"] = creds.username
    if creds.password:
        options["password"] = creds.password.get_secret_value()
    tls = ssl_context(ctx.target.tls)
    if tls:
        options["tls"] = tls

    async def quiet(_exc: Exception) -> None:  # nats-py logs connection errors itself unless given a callback
        return None

    try:
        nc = await asyncio.wait_for(nats.connect(ctx.target.bare_url, error_cb=quiet, **options),
                                    timeout=max(0.1, ctx.remaining_s()))
    except Exception as exc:  # noqa: BLE001
        ctx.fail_from("connect", exc)
    try:
        info = await _request(nc, ctx, "$JS.API.INFO")
        names = await _stream_names(nc, ctx)
        kept, matched, truncated = shown(names, ctx)
        streams = [_stream(await _request(nc, ctx, f"$JS.API.STREAM.INFO.{n}")) for n in kept]
        consumers = [c for s in streams if s.consumer_count for c in await _consumers(nc, ctx, s.name)]
    finally:
        await nc.close()
    summary = SnapshotSummary(
        target=ctx.name, broker="nats_jetstream", taken_at_ms=now_ms(), elapsed_ms=now_ms() - started,
        pattern=ctx.pattern, channels_total=len(names), channels_matched=matched, channels_shown=len(streams),
        truncated=truncated, depth_total=sum(s.messages for s in streams), consumers_total=len(consumers))
    return NatsSnapshot(summary=summary, version=nc_version(info),
                        streams=streams, consumers=consumers)


def nc_version(info: dict[str, Any]) -> str | None:
    level = (info.get("api") or {}).get("level")
    return f"JetStream API level {level}" if level is not None else None


def read_nats(ctx: ReadContext) -> NatsSnapshot:
    return run_async(_read(ctx))

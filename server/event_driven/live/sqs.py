"""Amazon SQS with boto3: ListQueues, GetQueueUrl and GetQueueAttributes only.

ReceiveMessage is never called: on SQS even a "peek" hides the message for the visibility timeout and counts as a
receive towards the redrive policy, so it changes state. Counts are SQS's approximate attributes.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from event_driven.core.inspection.snapshot import SnapshotSummary, SqsQueue, SqsSnapshot
from event_driven.live.reading import ReadContext, now_ms, shown

# boto3 clients are built at run time; without the optional stubs their type is Any.
SQSClient = Any

LIST_PAGES_MAX = 10  # 10 pages of 1,000 queue URLs
WILDCARDS = "*?["
PARALLEL_CALLS = 8


def _client(ctx: ReadContext) -> SQSClient:
    import boto3
    from botocore.config import Config

    creds = ctx.credentials
    tls = ctx.target.tls
    verify: bool | str = True
    if tls is not None:
        verify = str(tls.ca_file) if tls.ca_file else tls.verify
    config = Config(connect_timeout=ctx.target.timeout_s, read_timeout=ctx.target.timeout_s,
                    retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client(
        "sqs", endpoint_url=ctx.target.bare_url, region_name=ctx.target.region, config=config, verify=verify,
        aws_access_key_id=creds.username,
        aws_secret_access_key=creds.password.get_secret_value() if creds.password else None)


def _call(ctx: ReadContext, name: str, fn: Any, **kwargs: Any) -> dict[str, Any]:
    ctx.call_timeout(name)
    try:
        return fn(**kwargs)
    except Exception as exc:  # noqa: BLE001 - botocore's tree; classified by its code and text
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        if code in ("AccessDenied", "AccessDeniedException"):
            ctx.fail(name, "forbidden", code)
        if code in ("InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException"):
            ctx.fail(name, "unauthorised", code)
        if code in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            ctx.fail(name, "not_found", code)
        ctx.fail_from(name, exc)


def _queue_urls(client: SQSClient, ctx: ReadContext) -> list[str]:
    prefix = ""
    if ctx.pattern:
        cut = min((ctx.pattern.find(c) for c in WILDCARDS if c in ctx.pattern), default=len(ctx.pattern))
        prefix = ctx.pattern[:cut]
    urls: list[str] = []
    kwargs: dict[str, Any] = {"MaxResults": 1000, **({"QueueNamePrefix": prefix} if prefix else {})}
    for _ in range(LIST_PAGES_MAX):
        page = _call(ctx, "ListQueues", client.list_queues, **kwargs)
        urls.extend(page.get("QueueUrls") or [])
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    return urls


def _queue(name: str, attrs: dict[str, str]) -> SqsQueue:
    redrive = json.loads(attrs["RedrivePolicy"]) if attrs.get("RedrivePolicy") else {}
    target = str(redrive.get("deadLetterTargetArn") or "")
    return SqsQueue(
        name=name, visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
        not_visible=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
        delayed=int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
        visibility_timeout_s=int(attrs.get("VisibilityTimeout", 30)),
        retention_s=int(attrs["MessageRetentionPeriod"]) if "MessageRetentionPeriod" in attrs else None,
        receive_wait_s=int(attrs.get("ReceiveMessageWaitTimeSeconds", 0)),
        fifo=attrs.get("FifoQueue") == "true",
        max_receive_count=int(redrive["maxReceiveCount"]) if "maxReceiveCount" in redrive else None,
        dead_letter_queue=target.rsplit(":", 1)[-1] if target else None)


def _dead_letter_depth(client: SQSClient, ctx: ReadContext, name: str, known: dict[str, SqsQueue]) -> int | None:
    if name in known:
        return known[name].visible
    url = _call(ctx, "GetQueueUrl", client.get_queue_url, QueueName=name)["QueueUrl"]
    attrs = _call(ctx, "GetQueueAttributes", client.get_queue_attributes, QueueUrl=url,
                  AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attrs.get("ApproximateNumberOfMessages", 0))


def read_sqs(ctx: ReadContext) -> SqsSnapshot:
    started = now_ms()
    client = _client(ctx)
    urls = _queue_urls(client, ctx)
    by_name = {u.rstrip("/").rsplit("/", 1)[-1]: u for u in urls}
    kept, matched, truncated = shown(list(by_name), ctx)
    # One GetQueueAttributes per queue: a few in parallel, since each is a round trip to the endpoint.
    with ThreadPoolExecutor(max_workers=PARALLEL_CALLS) as pool:
        attrs = list(pool.map(lambda n: _call(ctx, "GetQueueAttributes", client.get_queue_attributes,
                                              QueueUrl=by_name[n], AttributeNames=["All"])["Attributes"], kept))
    queues = {name: _queue(name, a) for name, a in zip(kept, attrs, strict=True)}
    targets = {q.dead_letter_queue for q in queues.values() if q.dead_letter_queue}
    for q in queues.values():
        q.is_dead_letter = q.name in targets
        if q.dead_letter_queue:
            q.dead_letter_visible = _dead_letter_depth(client, ctx, q.dead_letter_queue, queues)
    shown_queues = list(queues.values())
    summary = SnapshotSummary(
        target=ctx.name, broker="sqs", taken_at_ms=now_ms(), elapsed_ms=now_ms() - started, pattern=ctx.pattern,
        channels_total=len(urls), channels_matched=matched, channels_shown=len(shown_queues), truncated=truncated,
        depth_total=sum(q.visible for q in shown_queues))
    return SqsSnapshot(summary=summary, queues=shown_queues)

"""Benchmark: inspect_broker's live inspection of a target with 100 generated queues or streams.

For each local broker (RabbitMQ through its management API, NATS JetStream, Redis Streams, and SQS on a moto server
this script starts), it creates 100 channels under a unique prefix (with messages, and a consumer or group where the
broker has one), then times ``inspect_target`` with a sampling window of ``--window`` seconds and ``--samples``
snapshots, ``--runs`` times. The budget (issue 11) is 2 s plus the sampling window; the table shows the time beyond
the configured window ("overhead") as well as the total. Everything created is deleted afterwards.

    .venv/bin/python bench/live_bench.py [--channels 100] [--window 2] [--samples 3] [--runs 5] [--json FILE]

A broker that is not reachable is reported as skipped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from event_driven.live.inspect import inspect_target
from event_driven.live.targets import Target, TargetsFile

BUDGET_S = 2.0


def reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


def make_target(broker: str, url: str, args: argparse.Namespace, **extra: Any) -> Target:
    return TargetsFile.model_validate({"targets": [{
        "name": f"bench-{broker}", "broker": broker, "url": url, "limit": max(100, args.channels),
        "sampling": {"window_s": args.window, "samples": args.samples}, **extra}]}).targets[0]


@contextmanager
def rabbit_channels(prefix: str, n: int) -> Iterator[None]:
    import pika

    conn = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1"))
    ch = conn.channel()
    names = [f"{prefix}.q{i:03d}" for i in range(n)]
    try:
        for name in names:
            ch.queue_declare(name, durable=True)
            ch.basic_publish("", name, b"bench")
        yield
    finally:
        for name in names:
            ch.queue_delete(name)
        conn.close()


async def _nats(prefix: str, n: int, create: bool) -> None:
    import nats

    nc = await nats.connect("nats://127.0.0.1:4222")
    js = nc.jetstream()
    try:
        for i in range(n):
            name = f"{prefix.upper().replace('-', '_')}_{i:03d}"
            if create:
                await js.add_stream(name=name, subjects=[f"{prefix}.{i}"])
                await js.add_consumer(name, durable_name="workers")
                await js.publish(f"{prefix}.{i}", b"bench")
            else:
                await nc.jsm().delete_stream(name)
    finally:
        await nc.close()


@contextmanager
def nats_channels(prefix: str, n: int) -> Iterator[None]:
    asyncio.run(_nats(prefix, n, True))
    try:
        yield
    finally:
        asyncio.run(_nats(prefix, n, False))


@contextmanager
def redis_channels(prefix: str, n: int) -> Iterator[None]:
    import redis

    r = redis.Redis()
    keys = [f"{prefix}:s{i:03d}" for i in range(n)]
    try:
        for key in keys:
            r.xgroup_create(key, "workers", id="0", mkstream=True)
            r.xadd(key, {"v": "1"})
            r.xadd(key, {"v": "2"})
            r.xreadgroup("workers", "w1", {key: ">"}, count=1)
        yield
    finally:
        r.delete(*keys)
        r.close()


@contextmanager
def moto_server() -> Iterator[str | None]:
    exe = Path(sys.executable).parent / "moto_server"
    if not exe.exists():
        yield None
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not reachable(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


@contextmanager
def sqs_channels(prefix: str, n: int, url: str) -> Iterator[None]:
    import boto3

    sqs = boto3.client("sqs", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                       aws_secret_access_key="bench")
    urls = [sqs.create_queue(QueueName=f"{prefix}-q{i:03d}")["QueueUrl"] for i in range(n)]
    for u in urls:
        sqs.send_message(QueueUrl=u, MessageBody="bench")
    try:
        yield
    finally:
        for u in urls:
            sqs.delete_queue(QueueUrl=u)


def measure(target: Target, pattern: str, runs: int, expect_channels: int) -> dict[str, Any]:
    totals, overheads, calls = [], [], 0
    for _ in range(runs):
        started = time.perf_counter()
        result = inspect_target(target, pattern=pattern)
        total = time.perf_counter() - started
        assert result.summary.channels_shown == expect_channels, result.summary
        totals.append(total)
        overheads.append(total - target.sampling.window_s)
        calls = result.calls
    return {"runs": runs, "channels": expect_channels, "calls_per_inspection": calls,
            "total_p50_s": statistics.median(totals), "total_max_s": max(totals),
            "overhead_p50_s": statistics.median(overheads), "overhead_max_s": max(overheads),
            "within_budget": max(overheads) <= BUDGET_S}


def bench_one(broker: str, args: argparse.Namespace, moto_url: str | None) -> dict[str, Any]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    n = args.channels
    setups: dict[str, tuple[bool, Callable[[], Any], Target, str]] = {
        "rabbitmq": (reachable(15672), lambda: rabbit_channels(prefix, n),
                     make_target("rabbitmq", "http://guest:guest@127.0.0.1:15672", args), f"{prefix}.*"),
        "nats": (reachable(4222), lambda: nats_channels(prefix, n),
                 make_target("nats", "nats://127.0.0.1:4222", args), f"{prefix.upper().replace('-', '_')}_*"),
        "redis": (reachable(6379), lambda: redis_channels(prefix, n),
                  make_target("redis", "redis://127.0.0.1:6379/0", args, expect={"claim_idle_ms": 60000}),
                  f"{prefix}:*"),
        "sqs": (moto_url is not None, lambda: sqs_channels(prefix, n, moto_url or ""),
                make_target("sqs", moto_url or "http://127.0.0.1:1", args, username_env="BENCH_SQS_KEY",
                            password_env="BENCH_SQS_SECRET"), f"{prefix}-*"),
    }
    available, setup, target, pattern = setups[broker]
    if not available:
        return {"broker": broker, "skipped": "not reachable"}
    with setup():
        if broker == "rabbitmq":  # the management API lists new queues at once; wait for them all
            deadline = time.monotonic() + 30
            while (inspect_target(target.model_copy(update={"sampling": target.sampling.model_copy(
                    update={"samples": 1})}), pattern=pattern).summary.channels_matched < n
                   and time.monotonic() < deadline):
                time.sleep(0.5)
        return {"broker": broker, **measure(target, pattern, args.runs, n)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--window", type=float, default=2.0)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("BENCH_SQS_KEY", "bench")  # moto accepts any credentials
    os.environ.setdefault("BENCH_SQS_SECRET", "bench")
    with moto_server() as moto_url:
        rows = [bench_one(b, args, moto_url) for b in ("rabbitmq", "nats", "redis", "sqs")]
    print(f"inspect_target, {args.channels} channels, window {args.window:g} s, {args.samples} samples, "
          f"{args.runs} runs; budget {BUDGET_S:g} s + window")
    print(f"{'broker':10} {'calls':>6} {'total p50':>10} {'total max':>10} {'over p50':>9} {'over max':>9}  budget")
    for r in rows:
        if "skipped" in r:
            print(f"{r['broker']:10} skipped: {r['skipped']}")
            continue
        print(f"{r['broker']:10} {r['calls_per_inspection']:>6} {r['total_p50_s']:>9.3f}s {r['total_max_s']:>9.3f}s "
              f"{r['overhead_p50_s']:>8.3f}s {r['overhead_max_s']:>8.3f}s  {'ok' if r['within_budget'] else 'OVER'}")
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args) | {"json": str(args.json)}, "rows": rows}, indent=2))
    return 0 if all(r.get("within_budget", True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

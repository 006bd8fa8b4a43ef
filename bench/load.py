"""Hostile requests beside a normal client over streamable HTTP: the normal client's p50/p95 alone and under load.

Starts a real server process (stateless, JSON responses) on a free loopback port. The normal client calls
select_broker with a valid context in a loop; hostile clients send, at the same time, the inputs that used to stall
the server (anchor bombs, 5,000-digit numbers, deep nesting, text at the size limit, absurd options). Budget (issue
10): the normal client's p95 under load within 2 times its p95 alone; every hostile answer within 2 s and 64 KB.

    .venv/bin/python bench/load.py [--calls 200] [--hostile-clients 3] [--rate 20] [--json]

``--rate 0`` floods: then the comparison measures a saturated 2-core machine, not the server's isolation.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

VENV_BIN = Path(sys.executable).parent
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
           "MCP-Protocol-Version": "2025-11-25"}
CONTEXT = {"use_case": "pub_sub", "requirements": {"throughput": "10K msg/s", "ordering": "partition",
                                                   "delivery": "at_least_once", "retention": "7 days"},
           "producers": ["orders"], "consumers": ["billing", "analytics"]}
BOMB = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
HOSTILE: list[tuple[str, dict[str, Any]]] = [
    ("plan_topology", {"event_context": BOMB}),
    ("validate_context", {"event_context": "a: " + "9" * 5000}),
    ("diagnose_issue", {"symptoms": "lag", "config": "[" * 200_000}),
    ("plan_topology", {"event_context": CONTEXT, "options": {"consumer_msg_per_s_per_partition": 1e-300}}),
    ("select_broker", {"event_context": {"use_case": "x" * 60_000}}),
    ("generate_tests", {"event_context": CONTEXT, "options": {"suites": ["x"] * 5000}}),
    ("check_schema_change", {"new_schema": "[" * 60_000, "old_schema": "{}"}),
    ("diagnose_issue", {"symptoms": ["consumer lag grows on every partition"] * 400, "broker": "kafka"}),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen([str(VENV_BIN / "event-driven-mcp"), "--transport", "streamable-http", "--port",
                             str(port), "--stateless", "--json-response"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc, f"http://127.0.0.1:{port}/mcp"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise TimeoutError("the server did not listen within 30 s")


def call(client: httpx.Client, url: str, tool: str, arguments: dict[str, Any], i: int) -> tuple[float, int, bool]:
    body = {"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    start = time.perf_counter()
    r = client.post(url, json=body, headers=HEADERS, timeout=30)
    elapsed = time.perf_counter() - start
    result = r.json().get("result", {})
    return elapsed, len(r.content), bool(result.get("isError"))


def normal_latencies(url: str, calls: int) -> list[float]:
    with httpx.Client() as client:
        call(client, url, "select_broker", {"event_context": CONTEXT}, 0)  # warm-up
        return [call(client, url, "select_broker", {"event_context": CONTEXT}, i)[0] * 1000 for i in range(calls)]


def hostile_loop(url: str, stop: threading.Event, seen: list[tuple[float, int, bool]], rate: float) -> None:
    """Hostile requests at ``rate`` per second (0: as fast as the server answers, a flood)."""
    with httpx.Client() as client:
        i = 0
        while not stop.is_set():
            tool, args = HOSTILE[i % len(HOSTILE)]
            seen.append(call(client, url, tool, args, i))
            i += 1
            if rate > 0:
                stop.wait(1 / rate)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def measure(calls: int, hostile_clients: int, rate: float) -> dict[str, Any]:
    proc, url = start_server()
    try:
        alone = normal_latencies(url, calls)
        stop, seen = threading.Event(), []
        threads = [threading.Thread(target=hostile_loop, args=(url, stop, seen, rate)) for _ in range(hostile_clients)]
        for t in threads:
            t.start()
        loaded = normal_latencies(url, calls)
        stop.set()
        for t in threads:
            t.join(60)
    finally:
        proc.terminate()
        proc.wait(10)
    return {
        "alone_p50_ms": statistics.median(alone), "alone_p95_ms": p95(alone),
        "loaded_p50_ms": statistics.median(loaded), "loaded_p95_ms": p95(loaded),
        "p95_ratio": p95(loaded) / p95(alone), "hostile_calls": len(seen),
        "hostile_slowest_s": max(s[0] for s in seen), "hostile_largest_bytes": max(s[1] for s in seen),
        "hostile_answered_as_errors": sum(s[2] for s in seen),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--hostile-clients", type=int, default=3)
    parser.add_argument("--rate", type=float, default=20.0, help="hostile requests per second per client (0: flood)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    m = measure(args.calls, args.hostile_clients, args.rate)
    if args.json:
        print(json.dumps(m, indent=1))
        return
    print(f"normal client alone:        p50 {m['alone_p50_ms']:.1f} ms, p95 {m['alone_p95_ms']:.1f} ms")
    rate = f"{args.rate:g}/s each" if args.rate > 0 else "flooding"
    print(f"beside {args.hostile_clients} hostile clients ({rate}): p50 {m['loaded_p50_ms']:.1f} ms, p95 "
          f"{m['loaded_p95_ms']:.1f} ms (p95 ratio {m['p95_ratio']:.2f}, budget 2.00)")
    print(f"hostile: {m['hostile_calls']} calls, {m['hostile_answered_as_errors']} answered as field errors, slowest "
          f"{m['hostile_slowest_s']:.3f} s (budget 2 s), largest {m['hostile_largest_bytes']:,} bytes (budget 65,536)")


if __name__ == "__main__":
    main()

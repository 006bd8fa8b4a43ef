"""Benchmark: the event-driven MCP server side by side with a bare ``MCPServer`` (bench/bare_server.py).

One run measures, for both servers:

1. cold start over stdio: spawn the process, write one JSON-RPC ``initialize`` (2025-11-25) to stdin at once, time
   until the first line arrives on stdout;
2. per-call latency of each case in ``CASES`` against the bare ``echo`` tool: in memory (``Client(server)``, mode auto),
   over stdio (``Client(StdioServerParameters(...))``) and over streamable HTTP (a real server subprocess on a free
   127.0.0.1 port, ``Client("http://127.0.0.1:<port>/mcp")``). Sequential calls after a warm-up.

Both sides are measured in alternating rounds (bare, ours, ours, bare, ...) so drift on a busy 2-core machine hits both
alike. p50 is the median; p95 is the nearest-rank 95th percentile. All times are milliseconds from time.perf_counter.

    .venv/bin/python bench/bench.py [--quick] [--calls N] [--warmup N] [--cold-runs N] [--json FILE]

To add a row for a new tool, add one ``Case`` line to ``CASES``. A tool the server does not list is skipped with a note.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import platform
import selectors
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
BARE_SCRIPT = BENCH_DIR / "bare_server.py"
PROTOCOL_VERSION = "2025-11-25"

# Timeouts (seconds). Generous for a loaded 2-core machine, but every wait is bounded.
COLD_START_TIMEOUT = 30.0
HTTP_READY_TIMEOUT = 30.0
CALL_TIMEOUT = 30.0  # per request; connecting and each whole path are bounded by a phase budget in bench_calls
STOP_TIMEOUT = 10.0
PHASE_BASE_S = 60.0  # per path: spawning, connecting and listing tools; calls add 0.5 s each on top
ROUNDS = 4  # the measured calls are split into this many alternating rounds per side

# The seed's example event context.
EVENT_CONTEXT = {
    "use_case": "pub_sub",
    "requirements": {
        "throughput": "10K msg/s",
        "latency": "100ms",
        "ordering": "partition",
        "delivery": "at_least_once",
        "retention": "7 days",
    },
    "producers": ["order-service"],
    "consumers": ["notification-service", "analytics-service"],
}


@dataclass(frozen=True)
class Case:
    """One benchmarked call on our server; each is compared with the bare server's echo on the same path."""

    label: str
    tool: str
    arguments: dict[str, Any]
    # Optional sanity check on the first (warm-up) result, so we time the happy path, not an error path.
    check: Callable[[Any], bool] | None = None
    check_doc: str = ""


CASES: list[Case] = [
    Case(
        "validate_context",
        "validate_context",
        {"event_context": EVENT_CONTEXT},
        check=lambda r: (r.structured_content or {}).get("valid") is True,
        check_doc="valid is true",
    ),
    Case(
        "select_broker",
        "select_broker",
        {"event_context": EVENT_CONTEXT},
        check=lambda r: bool((r.structured_content or {}).get("winner")),
        check_doc="a winner is named",
    ),
    Case(
        "plan_topology (kafka)",
        "plan_topology",
        {"event_context": EVENT_CONTEXT, "broker": "kafka"},
        check=lambda r: bool((r.structured_content or {}).get("artifacts")),
        check_doc="artifacts are rendered",
    ),
    Case(
        "diagnose_issue",
        "diagnose_issue",
        {
            "symptoms": "consumers keep getting kicked out of the group and some orders are charged twice",
            "error_lines": [
                "org.apache.kafka.clients.consumer.CommitFailedException: Commit cannot be completed "
                "since the group has already rebalanced and assigned the partitions to another member."
            ],
            "config": "group.id=billing\nenable.auto.commit=false\nmax.poll.interval.ms=300000\n"
            "session.timeout.ms=10000\nheartbeat.interval.ms=5000",
        },
        check=lambda r: bool((r.structured_content or {}).get("hypotheses")),
        check_doc="hypotheses are ranked",
    ),
    Case(
        "generate_tests (rabbitmq)",
        "generate_tests",
        {"event_context": EVENT_CONTEXT, "options": {"broker": "rabbitmq"}},
        check=lambda r: bool((r.structured_content or {}).get("files")),
        check_doc="files are rendered",
    ),
]

BARE_TOOL = "echo"
BARE_ARGUMENTS = {"text": "hello"}


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------------------------------- helpers


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def describe(exc: BaseException) -> str:
    """One line naming the innermost errors (anyio wraps failures in exception groups)."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(describe(e) for e in exc.exceptions)
    if isinstance(exc, TimeoutError) and not str(exc):
        return "TimeoutError"
    return f"{type(exc).__name__}: {exc}".strip()


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def child_env() -> dict[str, str]:
    """Environment for every server subprocess: ours plus PATH with the venv's bin first, without the bearer token
    (the HTTP client here sends none)."""
    env = dict(os.environ)
    env.pop("EVENT_DRIVEN_MCP_TOKEN", None)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([venv_bin, env.get("PATH", os.defpath)])
    return env


def our_command() -> list[str]:
    script = Path(sys.executable).parent / "event-driven-mcp"
    found = str(script) if script.exists() else shutil.which("event-driven-mcp")
    if not found:
        raise BenchError("console script event-driven-mcp not found: run `make install` (pip install -e .)")
    return [found]


def bare_command() -> list[str]:
    return [sys.executable, str(BARE_SCRIPT)]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it does not exit in time. Never raises."""
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.terminate()
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                proc.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(STOP_TIMEOUT)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()


# --------------------------------------------------------------------------------------------------- cold start


def _line(message: dict[str, Any]) -> bytes:
    return (json.dumps({"jsonrpc": "2.0", **message}) + "\n").encode()


INITIALIZE = _line(
    {
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "event-driven-bench", "version": "0"},
        },
    }
)
INITIALIZED = _line({"method": "notifications/initialized"})


def first_call(tool: str, arguments: dict[str, Any]) -> bytes:
    """The handshake and one tool call, written at once: the time to the call's answer is the time to first use."""
    return (
        INITIALIZE
        + INITIALIZED
        + _line({"id": 2, "method": "tools/call", "params": {"name": tool, "arguments": arguments}})
    )


def cold_start_once(command: list[str], env: dict[str, str], payload: bytes = INITIALIZE, answer_id: int = 1) -> float:
    """Milliseconds from spawn to the stdout line answering ``answer_id`` (the initialize result, or a tool call's)."""
    buf = b""
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(payload)
        proc.stdin.flush()
        fd = proc.stdout.fileno()
        deadline = t0 + COLD_START_TIMEOUT
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while not _answered(buf, answer_id):
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    raise BenchError(
                        f"no answer to request {answer_id} within {COLD_START_TIMEOUT:.0f}s from {command}"
                    )
                if not sel.select(remaining):
                    continue
                chunk = os.read(fd, 65536)
                if not chunk:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(STOP_TIMEOUT)
                    raise BenchError(f"{command} closed stdout before answering (exit {proc.poll()})")
                buf += chunk
        elapsed = (time.perf_counter() - t0) * 1000
    finally:
        stop(proc)
    for line in buf.splitlines():
        try:
            answer = json.loads(line)
        except ValueError as exc:
            raise BenchError(f"a stdout line is not JSON: {line[:200]!r}") from exc
        if answer.get("id") == answer_id:
            result = answer.get("result")
            if not isinstance(result, dict) or result.get("isError"):
                raise BenchError(f"unexpected answer to request {answer_id}: {line[:300]!r}")
            return elapsed
    raise BenchError(f"no answer to request {answer_id}: {buf[:300]!r}")


def _answered(buf: bytes, answer_id: int) -> bool:
    """True once a complete stdout line answers ``answer_id`` (every line before it is one JSON-RPC message)."""
    for line in buf.split(b"\n")[:-1]:
        with contextlib.suppress(ValueError):
            if json.loads(line).get("id") == answer_id:
                return True
    return False


def bench_cold_start(runs: int) -> list[Row]:
    """Spawn -> initialize result, and spawn -> the first tool call's answer (handshake and call written at once)."""
    env = child_env()
    bare, ours = bare_command(), our_command()
    case = CASES[0]
    kinds = [
        ("initialize", (bare, INITIALIZE, 1), (ours, INITIALIZE, 1)),
        (
            f"first answer ({case.tool})",
            (bare, first_call(BARE_TOOL, BARE_ARGUMENTS), 2),
            (ours, first_call(case.tool, case.arguments), 2),
        ),
    ]
    rows: list[Row] = []
    for label, bare_run, our_run in kinds:
        row = Row("cold start stdio", label)
        try:
            for cmd, payload, answer_id in (bare_run, our_run):  # one warm-up each (page cache, .pyc)
                cold_start_once(cmd, env, payload, answer_id)
            for i in range(runs):
                order = [(bare_run, row.bare), (our_run, row.ours)]
                for (cmd, payload, answer_id), out in order if i % 2 == 0 else reversed(order):
                    out.append(cold_start_once(cmd, env, payload, answer_id))
        except Exception as exc:
            row = Row("cold start stdio", label, status="failed", note=describe(exc))
        rows.append(row)
    return rows


# --------------------------------------------------------------------------------------------------- per-call paths


@contextlib.asynccontextmanager
async def open_clients_memory() -> AsyncIterator[tuple[Any, Any]]:
    from mcp import Client

    sys.path.insert(0, str(BENCH_DIR))
    try:
        import bare_server
    finally:
        sys.path.remove(str(BENCH_DIR))
    from event_driven.adapters.mcp_server import build_server

    async with contextlib.AsyncExitStack() as stack:
        bare = await stack.enter_async_context(Client(bare_server.build_server(), read_timeout_seconds=CALL_TIMEOUT))
        ours = await stack.enter_async_context(Client(build_server(), read_timeout_seconds=CALL_TIMEOUT))
        yield bare, ours


@contextlib.asynccontextmanager
async def open_clients_stdio() -> AsyncIterator[tuple[Any, Any]]:
    from mcp import Client, StdioServerParameters

    env = child_env()

    def params(command: list[str]) -> StdioServerParameters:
        return StdioServerParameters(command=command[0], args=[*command[1:], "--transport", "stdio"], env=env)

    async with contextlib.AsyncExitStack() as stack:  # the SDK terminates both subprocesses on exit
        bare = await stack.enter_async_context(Client(params(bare_command()), read_timeout_seconds=CALL_TIMEOUT))
        ours = await stack.enter_async_context(Client(params(our_command()), read_timeout_seconds=CALL_TIMEOUT))
        yield bare, ours


@contextlib.contextmanager
def http_server(command: list[str], name: str) -> Iterator[str]:
    """Run a streamable-HTTP server subprocess on a free loopback port; yield its /mcp URL; always terminate it."""
    env = child_env()
    last_error = ""
    for _attempt in range(3):  # a freed port can be taken again before the server binds it
        port = free_port()
        errlog = tempfile.TemporaryFile()
        proc = subprocess.Popen(
            [*command, "--transport", "streamable-http", "--host", "127.0.0.1", "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errlog,
            env=env,
        )
        try:
            deadline = time.monotonic() + HTTP_READY_TIMEOUT
            ready = False
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    ready = True
                    break
                except OSError:
                    time.sleep(0.05)
            if ready:
                yield f"http://127.0.0.1:{port}/mcp"
                return
            errlog.seek(0)
            last_error = errlog.read()[-800:].decode(errors="replace")
            if proc.poll() is None:
                raise BenchError(f"{name} HTTP server not listening within {HTTP_READY_TIMEOUT:.0f}s")
        finally:
            stop(proc)
            errlog.close()
    raise BenchError(f"{name} HTTP server exited before listening; stderr tail:\n{last_error}")


@contextlib.asynccontextmanager
async def open_clients_http() -> AsyncIterator[tuple[Any, Any]]:
    from mcp import Client

    with http_server(bare_command(), "bare") as bare_url, http_server(our_command(), "event-driven") as our_url:
        async with contextlib.AsyncExitStack() as stack:
            bare = await stack.enter_async_context(Client(bare_url, read_timeout_seconds=CALL_TIMEOUT))
            ours = await stack.enter_async_context(Client(our_url, read_timeout_seconds=CALL_TIMEOUT))
            yield bare, ours


PATHS: list[tuple[str, Callable[[], Any]]] = [
    ("in memory", open_clients_memory),
    ("stdio", open_clients_stdio),
    ("HTTP", open_clients_http),
]


# --------------------------------------------------------------------------------------------------- measuring


@dataclass
class Row:
    path: str
    call: str
    bare: list[float] = field(default_factory=list)
    ours: list[float] = field(default_factory=list)
    status: str = "ok"  # ok | skipped | failed
    note: str = ""

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "call": self.call, "status": self.status, "note": self.note}
        if self.status == "ok":
            b50, b95, o50, o95 = p50(self.bare), p95(self.bare), p50(self.ours), p95(self.ours)
            out.update(
                bare_p50_ms=b50,
                bare_p95_ms=b95,
                ours_p50_ms=o50,
                ours_p95_ms=o95,
                ratio_p50=o50 / b50 if b50 else None,
                ratio_p95=o95 / b95 if b95 else None,
                bare_n=len(self.bare),
                ours_n=len(self.ours),
            )
        out["bare_samples_ms"] = self.bare
        out["ours_samples_ms"] = self.ours
        return out


def _error_text(result: Any) -> str:
    try:
        text = result.content[0].text
    except Exception:
        text = repr(result)
    return " ".join(str(text).split())[:300]


async def time_calls(client: Any, tool: str, arguments: dict[str, Any], n: int, out: list[float] | None) -> None:
    for _ in range(n):
        t0 = time.perf_counter()
        result = await client.call_tool(tool, arguments)
        dt = (time.perf_counter() - t0) * 1000
        if result.is_error:
            raise BenchError(f"{tool} returned an error: {_error_text(result)}")
        if out is not None:
            out.append(dt)


async def compare(bare: Any, ours: Any, case: Case, calls: int, warmup: int) -> Row:
    row = Row(path="", call=case.label)
    first = await ours.call_tool(case.tool, case.arguments)
    if first.is_error:
        raise BenchError(f"{case.tool} returned an error: {_error_text(first)}")
    if case.check is not None and not case.check(first):
        raise BenchError(f"{case.tool}: sanity check failed ({case.check_doc}): {_error_text(first)}")
    await time_calls(bare, BARE_TOOL, BARE_ARGUMENTS, warmup, None)
    await time_calls(ours, case.tool, case.arguments, max(0, warmup - 1), None)
    rounds = max(1, min(ROUNDS, calls))
    sizes = [calls // rounds + (1 if i < calls % rounds else 0) for i in range(rounds)]
    for i, size in enumerate(sizes):
        sides = [(bare, BARE_TOOL, BARE_ARGUMENTS, row.bare), (ours, case.tool, case.arguments, row.ours)]
        for client, tool, arguments, out in sides if i % 2 == 0 else reversed(sides):
            await time_calls(client, tool, arguments, size, out)
    return row


async def bench_calls(calls: int, warmup: int) -> list[Row]:
    import anyio

    rows: list[Row] = []
    phase_budget = PHASE_BASE_S + (calls + warmup) * 2 * len(CASES) * 0.5  # ~100x the expected time per call
    for path, opener in PATHS:
        log(f"{path}: {len(CASES)} case(s) x {calls} calls after {warmup} warm-up")
        try:
            with anyio.fail_after(phase_budget):
                async with opener() as (bare, ours):
                    served = {t.name for t in (await ours.list_tools()).tools}
                    if BARE_TOOL not in {t.name for t in (await bare.list_tools()).tools}:
                        raise BenchError(f"bare server does not list {BARE_TOOL}")
                    for case in CASES:
                        if case.tool not in served:
                            rows.append(Row(path, case.label, status="skipped", note=f"{case.tool} not served"))
                            continue
                        try:
                            row = await compare(bare, ours, case, calls, warmup)
                            row.path = path
                        except BenchError as exc:
                            row = Row(path, case.label, status="failed", note=str(exc))
                        rows.append(row)
        except Exception as exc:  # one broken path must not lose the others' numbers
            done = {r.call for r in rows if r.path == path}
            note = describe(exc)
            if isinstance(exc, TimeoutError):
                note = f"timed out after {phase_budget:.0f}s"
            rows.extend(Row(path, c.label, status="failed", note=note) for c in CASES if c.label not in done)
    return rows


# --------------------------------------------------------------------------------------------------- report


def fmt_ms(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.2f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| path | call | bare p50 (ms) | bare p95 (ms) | event-driven p50 (ms) | event-driven p95 (ms) "
        "| ratio p50 | ratio p95 |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        s = row.stats()
        if row.status != "ok":
            lines.append(f"| {row.path} | {row.call} | {row.status}: {row.note.splitlines()[0][:120]} | | | | | |")
            continue
        lines.append(
            f"| {row.path} | {row.call} | {fmt_ms(s['bare_p50_ms'])} | {fmt_ms(s['bare_p95_ms'])} "
            f"| {fmt_ms(s['ours_p50_ms'])} | {fmt_ms(s['ours_p95_ms'])} "
            f"| {s['ratio_p50']:.2f} | {s['ratio_p95']:.2f} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "?"

    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "mcp": version("mcp"),
        "event_driven_mcp": version("event-driven-mcp"),
        "loadavg_1m_start": load_1m(),
    }


def load_1m() -> float | None:
    with contextlib.suppress(OSError, AttributeError):
        return round(os.getloadavg()[0], 2)
    return None


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=None, help="measured calls per case and path (default 200)")
    parser.add_argument("--warmup", type=int, default=None, help="warm-up calls per case and path (default 20)")
    parser.add_argument("--cold-runs", type=int, default=None, help="cold starts per server (default 10, +1 warm-up)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 cold starts, 20 calls, 5 warm-up")
    parser.add_argument("--json", metavar="FILE", help="write the raw samples and statistics as JSON")
    parser.add_argument("--cold-only", action="store_true", help="measure the cold starts only")
    args = parser.parse_args(argv)
    quick = {"calls": 20, "warmup": 5, "cold_runs": 3}
    full = {"calls": 200, "warmup": 20, "cold_runs": 10}
    for key, default in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, default)
        if getattr(args, key) < (0 if key == "warmup" else 1):
            parser.error(f"--{key.replace('_', '-')} must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import anyio

    info = machine()
    if (info["loadavg_1m_start"] or 0) > 0.5 * (info["cpus"] or 1):
        log(f"warning: load average {info['loadavg_1m_start']} on {info['cpus']} CPUs; numbers will be noisy")
    started = time.perf_counter()
    rows: list[Row] = []
    log(f"cold start over stdio: {args.cold_runs} runs per server after 1 warm-up")
    rows.extend(bench_cold_start(args.cold_runs))
    if not args.cold_only:
        rows.extend(anyio.run(bench_calls, args.calls, args.warmup))
    elapsed = time.perf_counter() - started
    info["loadavg_1m_end"] = load_1m()

    print(
        f"event-driven vs bare MCPServer | {info['date']} | {info['cpus']} CPUs | Python {info['python']} "
        f"| mcp {info['mcp']} | cold runs {args.cold_runs}, calls {args.calls} after {args.warmup} warm-up "
        f"| {elapsed:.0f} s | load {info['loadavg_1m_start']} -> {info['loadavg_1m_end']}\n"
    )
    print(table(rows))
    notes = [f"- {r.path} / {r.call}: {r.status}: {r.note}" for r in rows if r.status != "ok"]
    if notes:
        print("\nNotes:\n" + "\n".join(notes))
    if args.json:
        payload = {
            "machine": info,
            "settings": {
                "calls": args.calls,
                "warmup": args.warmup,
                "cold_runs": args.cold_runs,
                "rounds": ROUNDS,
                "protocol_version_cold_start": PROTOCOL_VERSION,
                "bare_tool": BARE_TOOL,
                "cases": [{"label": c.label, "tool": c.tool, "arguments": c.arguments} for c in CASES],
            },
            "elapsed_s": elapsed,
            "rows": [r.stats() for r in rows],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
        log(f"wrote {args.json}")
    return 1 if any(r.status == "failed" for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())

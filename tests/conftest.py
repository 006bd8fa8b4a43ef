"""Shared test fixtures: real server processes on free loopback ports, and the skip-or-fail policy for tools.

Outside CI a missing external tool (npm package, broker) skips the tests that need it, with the reason. Under
``CI=true`` the same absence fails the run, so CI can never go green by skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"
VENV_BIN = Path(sys.executable).parent
SERVER_CMD = [str(VENV_BIN / "event-driven-mcp")]
CLI_CMD = [str(VENV_BIN / "event-driven")]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, reason: str) -> None:
    """Skip with ``reason`` when ``condition`` is false; under CI, fail instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def reachable(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on host:port (a shared broker of this machine)."""
    try:
        socket.create_connection((host, port), 1).close()
        return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "EVENT_DRIVEN_MCP_TOKEN"}
    env.update(extra)
    return env


class RunningServer:
    def __init__(self, base: str, proc: subprocess.Popen[bytes]):
        self.base, self.proc = base, proc


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    """Wait until the process listens on 127.0.0.1:port; raise if it exits or does not listen in time."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"server did not listen on {port} within {timeout_s:g} s") from None
            time.sleep(0.05)


def spawn_http(*args: str, env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    port = free_port()
    proc = subprocess.Popen(
        [*SERVER_CMD, "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env or server_env(),
    )
    try:
        wait_listening(port, proc)
        yield RunningServer(f"http://127.0.0.1:{port}", proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def streamable_server() -> Iterator[RunningServer]:
    yield from spawn_http("--transport", "streamable-http")


@pytest.fixture(scope="module")
def stateless_json_server() -> Iterator[RunningServer]:
    yield from spawn_http("--transport", "streamable-http", "--stateless", "--json-response")


@pytest.fixture(scope="module")
def sse_server() -> Iterator[RunningServer]:
    yield from spawn_http("--transport", "sse")


@pytest.fixture(scope="module")
def token_server() -> Iterator[RunningServer]:
    yield from spawn_http("--transport", "streamable-http", env=server_env(EVENT_DRIVEN_MCP_TOKEN="s3cret-token"))


INSPECTOR = ROOT / "tests" / "node" / "node_modules" / ".bin" / "mcp-inspector"


def inspector_available() -> bool:
    return INSPECTOR.exists() and shutil.which("node") is not None

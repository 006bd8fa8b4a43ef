"""Every transport against a real server process: stdio, streamable HTTP (stateful; stateless JSON), SSE.

Also the HTTP guards: DNS-rebinding checks (foreign Origin 403, foreign Host 421), the refusal to bind outside
loopback without allowed hosts and origins, and the optional bearer token.
"""

from __future__ import annotations

import subprocess

import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client

from conftest import SERVER_CMD, server_env

pytestmark = [pytest.mark.anyio, pytest.mark.network]

ARGS = {"event_context": {"requirements": {"throughput": "100K msg/s", "ordering": "global"}, "use_case": "pub_sub",
                          "producers": ["orders"], "consumers": ["billing"]}}
MODES = ["auto", "legacy"]


async def check(client: Client) -> None:
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert tools["validate_context"].annotations.read_only_hint is True
    result = await client.call_tool("validate_context", ARGS)
    assert result.is_error is False
    body = result.structured_content
    assert body["valid"] is True
    assert body["normalized"]["throughput_msg_per_s"] == 100_000
    assert body["warnings"][0]["rule_id"] == "global_ordering_throughput"


@pytest.mark.parametrize("mode", MODES)
async def test_stdio_subprocess(mode):
    params = StdioServerParameters(command=SERVER_CMD[0], args=[], env=server_env())
    async with Client(params, mode=mode) as client:
        await check(client)


@pytest.mark.parametrize("mode", MODES)
async def test_streamable_http_stateful(streamable_server, mode):
    async with Client(f"{streamable_server.base}/mcp", mode=mode) as client:
        await check(client)


@pytest.mark.parametrize("mode", MODES)
async def test_streamable_http_stateless_json(stateless_json_server, mode):
    async with Client(f"{stateless_json_server.base}/mcp", mode=mode) as client:
        await check(client)


@pytest.mark.parametrize("mode", MODES)
async def test_sse(sse_server, mode):
    async with Client(sse_client(f"{sse_server.base}/sse"), mode=mode) as client:
        await check(client)


INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({}, 200),
        ({"Origin": "http://localhost:5173"}, 200),
        ({"Origin": "https://evil.example"}, 403),
        ({"Host": "evil.example"}, 421),
        ({"Host": "evil.example:80"}, 421),
    ],
)
def test_dns_rebinding_guard(streamable_server, extra, status):
    r = httpx2.post(f"{streamable_server.base}/mcp", json=INIT, headers={**HEADERS, **extra}, timeout=10)
    assert r.status_code == status


@pytest.mark.parametrize(("extra", "status"), [({"Origin": "https://evil.example"}, 403), ({"Host": "evil.example"}, 421)])
def test_dns_rebinding_guard_sse(sse_server, extra, status):
    with httpx2.stream("GET", f"{sse_server.base}/sse", headers=extra, timeout=10) as r:
        assert r.status_code == status


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_non_loopback_bind_refused_without_allow_lists(host):
    proc = subprocess.run(
        [*SERVER_CMD, "--transport", "streamable-http", "--host", host, "--port", "9"],
        capture_output=True, text=True, timeout=60, env=server_env(),
    )
    assert proc.returncode == 2
    assert "refusing to bind" in proc.stderr and "--allowed-host" in proc.stderr


def test_non_loopback_needs_both_lists():
    proc = subprocess.run(
        [*SERVER_CMD, "--transport", "sse", "--host", "0.0.0.0", "--port", "9", "--allowed-host", "mcp.example:*"],
        capture_output=True, text=True, timeout=60, env=server_env(),
    )
    assert proc.returncode == 2 and "--allowed-origin" in proc.stderr


def test_explicit_allow_lists_are_enforced():
    from event_driven.adapters.serve import transport_security

    settings = transport_security("0.0.0.0", ["mcp.example.com:*"], ["https://app.example.com"])
    assert settings.enable_dns_rebinding_protection is True
    assert "mcp.example.com:*" in settings.allowed_hosts and "https://app.example.com" in settings.allowed_origins


def test_bearer_token_required(token_server):
    url = f"{token_server.base}/mcp"
    assert httpx2.post(url, json=INIT, headers=HEADERS, timeout=10).status_code == 401
    wrong = httpx2.post(url, json=INIT, headers={**HEADERS, "Authorization": "Bearer nope"}, timeout=10)
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
    ok = httpx2.post(url, json=INIT, headers={**HEADERS, "Authorization": "Bearer s3cret-token"}, timeout=10)
    assert ok.status_code == 200


@pytest.mark.parametrize("mode", MODES)
async def test_bearer_token_client(token_server, mode):
    async with httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret-token"}, timeout=30) as http:
        async with Client(streamable_http_client(f"{token_server.base}/mcp", http_client=http), mode=mode) as client:
            await check(client)


def test_bearer_scheme_is_case_insensitive(token_server):
    url = f"{token_server.base}/mcp"
    for scheme in ("bearer", "BEARER"):
        r = httpx2.post(url, json=INIT, headers={**HEADERS, "Authorization": f"{scheme} s3cret-token"}, timeout=10)
        assert r.status_code == 200, scheme


@pytest.fixture(scope="module")
def second_stateless_server():
    from conftest import spawn_http

    yield from spawn_http("--transport", "streamable-http", "--stateless", "--json-response")


def _call(base: str, request_id: int, method: str, params: dict) -> dict:
    body = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
    r = httpx2.post(f"{base}/mcp", json=body, headers={**HEADERS, "MCP-Protocol-Version": "2025-11-25"}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["result"]


def test_stateless_replicas_answer_one_client_alternately(stateless_json_server, second_stateless_server):
    """Behind a load balancer: no session, so any replica answers, and a file link made by one resolves on the other."""
    replicas = [stateless_json_server.base, second_stateless_server.base]
    args = {"event_context": {**ARGS["event_context"], "requirements": {"throughput": "1K msg/s"}}, "broker": "kafka"}
    links: list[list[str]] = []
    for i in range(4):
        result = _call(replicas[i % 2], i, "tools/call", {"name": "plan_topology", "arguments": args})
        links.append([b["uri"] for b in result["content"] if b["type"] == "resource_link"])
    assert links[0] and all(found == links[0] for found in links)  # the same request, the same links, everywhere
    made_by_first = _call(replicas[0], 10, "resources/read", {"uri": links[0][0]})
    read_on_second = _call(replicas[1], 11, "resources/read", {"uri": links[0][0]})
    assert made_by_first["contents"][0]["text"] == read_on_second["contents"][0]["text"]


def test_session_limits_are_settable():
    proc = subprocess.run([*SERVER_CMD, "--transport", "streamable-http", "--max-sessions", "0"],
                          capture_output=True, text=True, timeout=60, env=server_env())
    assert proc.returncode == 2 and "--max-sessions must be between 1" in proc.stderr
    proc = subprocess.run([*SERVER_CMD, "--transport", "streamable-http"], capture_output=True, text=True, timeout=60,
                          env=server_env(EVENT_DRIVEN_SESSION_IDLE_TIMEOUT_S="soon"))
    assert proc.returncode == 2 and "EVENT_DRIVEN_SESSION_IDLE_TIMEOUT_S must be a number" in proc.stderr

"""``event-driven-mcp``: run the MCP server over stdio, SSE or streamable HTTP.

HTTP binds 127.0.0.1 by default, where the SDK checks Host and Origin. On any other address the SDK silently drops
those checks, so we refuse to start there unless the operator names the allowed hosts and origins. An optional bearer
token, read from ``EVENT_DRIVEN_MCP_TOKEN``, guards every HTTP request.
"""

from __future__ import annotations

import argparse
import hmac
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from event_driven.adapters.warmup import Warmup

TOKEN_ENV = "EVENT_DRIVEN_MCP_TOKEN"
SESSION_IDLE_ENV = "EVENT_DRIVEN_SESSION_IDLE_TIMEOUT_S"
MAX_SESSIONS_ENV = "EVENT_DRIVEN_MAX_SESSIONS"
# Defaults tighter than the SDK's (1,800 s and 10,000): an abandoned session holds memory until it idles out.
SESSION_IDLE_DEFAULT_S = 300
MAX_SESSIONS_DEFAULT = 1_000
LOG_ENV = "EVENT_DRIVEN_LOG"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]

log = logging.getLogger("event_driven.adapters.serve")


class UsageError(Exception):
    """A command-line combination we refuse; the message says what to pass instead."""


class BearerTokenMiddleware:
    """Reject HTTP requests without ``Authorization: Bearer <token>`` (constant-time comparison)."""

    def __init__(self, app: Any, token: str):
        self.app = app
        self.expected = token.encode()

    def _authorized(self, header: bytes) -> bool:
        # RFC 7235: the scheme is case-insensitive ("bearer" or "Bearer"); the token compares in constant time.
        scheme, _, credentials = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(credentials.strip(), self.expected)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            if not self._authorized(headers.get(b"authorization", b"")):
                body = json.dumps({"error": "unauthorized", "message": f"send 'Authorization: Bearer <{TOKEN_ENV}>'"})
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"www-authenticate", b'Bearer realm="event-driven"'),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body.encode()})
                return
        await self.app(scope, receive, send)


def _setting(parser: argparse.ArgumentParser, given: float | None, env: str, default: float) -> float:
    """A flag's value, else its environment variable's, else the default; a non-number is a usage error."""
    if given is not None:
        return given
    raw = os.environ.get(env)
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        parser.error(f"{env} must be a number, got {raw[:40]!r}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="event-driven-mcp",
        description="Run the event-driven MCP server (an event-driven-architecture advisor).",
    )
    from event_driven.version import package_version

    parser.add_argument("--version", action="version", version=f"event-driven-mcp {package_version()}")
    parser.add_argument(
        "--targets",
        metavar="FILE",
        help="brokers inspect_broker may read (YAML; default: "
        "$EVENT_DRIVEN_TARGETS); without it the tool is not offered",
    )
    parser.add_argument("--transport", choices=["stdio", "sse", "streamable-http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.add_argument("--stateless", action="store_true", help="streamable HTTP without sessions")
    parser.add_argument("--json-response", action="store_true", help="streamable HTTP: one JSON body per request")
    parser.add_argument(
        "--session-idle-timeout",
        type=float,
        metavar="SECONDS",
        default=None,
        help=f"streamable HTTP: close a session idle this long (default {SESSION_IDLE_DEFAULT_S}; "
        f"env {SESSION_IDLE_ENV})",
    )
    parser.add_argument(
        "--max-sessions",
        type=int,
        metavar="N",
        default=None,
        help=f"streamable HTTP: refuse new sessions past N (default {MAX_SESSIONS_DEFAULT}; env {MAX_SESSIONS_ENV})",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="HOST[:PORT|:*]",
        help="Host header value to accept (repeatable); required for a non-loopback --host",
    )
    parser.add_argument(
        "--allowed-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="Origin header value to accept, e.g. https://app.example:* (repeatable); needed off loopback",
    )
    parser.add_argument(
        "--log-level", default=os.environ.get(LOG_ENV, "WARNING").upper(), choices=["DEBUG", "INFO", "WARNING", "ERROR"]
    )
    return _checked(parser, parser.parse_args(argv))


def _checked(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """Ranges of the numeric settings, with the session limits resolved from their environment variables."""
    if not 0 < args.port < 65536:
        parser.error(f"--port must be between 1 and 65535, got {args.port}")
    args.session_idle_timeout = _setting(parser, args.session_idle_timeout, SESSION_IDLE_ENV, SESSION_IDLE_DEFAULT_S)
    args.max_sessions = int(_setting(parser, args.max_sessions, MAX_SESSIONS_ENV, MAX_SESSIONS_DEFAULT))
    if not 1 <= args.session_idle_timeout <= 86_400:
        parser.error(f"--session-idle-timeout must be between 1 and 86400 seconds, got {args.session_idle_timeout:g}")
    if not 1 <= args.max_sessions <= 1_000_000:
        parser.error(f"--max-sessions must be between 1 and 1000000, got {args.max_sessions}")
    return args


def transport_security(host: str, allowed_hosts: list[str], allowed_origins: list[str]) -> Any:
    from mcp.server.transport_security import TransportSecuritySettings

    if host in LOOPBACK and not allowed_hosts and not allowed_origins:
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=LOOPBACK_HOSTS, allowed_origins=LOOPBACK_ORIGINS
        )
    if host not in LOOPBACK and not (allowed_hosts and allowed_origins):
        raise UsageError(
            f"refusing to bind {host}: outside loopback the SDK would accept any Host and Origin header "
            "(DNS rebinding). Pass --allowed-host (e.g. mcp.example.com:*) and --allowed-origin "
            "(e.g. https://app.example.com) for every name clients use, or bind 127.0.0.1."
        )
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*LOOPBACK_HOSTS, *allowed_hosts],
        allowed_origins=[*LOOPBACK_ORIGINS, *allowed_origins],
    )


def http_app(mcp: Any, args: argparse.Namespace, token: str | None) -> Any:
    security = transport_security(args.host, args.allowed_host, args.allowed_origin)
    if args.transport == "sse":
        app = mcp.sse_app(transport_security=security, host=args.host)
    else:
        app = mcp.streamable_http_app(
            transport_security=security,
            host=args.host,
            stateless_http=args.stateless,
            json_response=args.json_response,
            session_idle_timeout=args.session_idle_timeout,
            max_sessions=args.max_sessions,
        )
    return BearerTokenMiddleware(app, token) if token else app


def _stop_if_not_loaded(warmup: Warmup) -> None:
    """A knowledge base that failed to load stops the server (exit 3, the file named on stderr). The process ends at
    once: the SDK's stdin reader is a thread blocked in a read that no cancellation can interrupt."""
    from event_driven.kb import KnowledgeError

    error = warmup.error
    if error is None:
        return
    if isinstance(error, KnowledgeError):
        sys.stderr.write(f"event-driven-mcp: cannot start: {error}\n")
        code = 3
    else:
        log.error("the server could not load its tools", exc_info=error)
        code = 1
    sys.stderr.flush()
    os._exit(code)


async def serve_stdio(mcp: Any, warmup: Warmup) -> None:
    """Serve stdio while the warm-up loads the knowledge base (see warmup.py); stop if it fails."""
    import anyio

    async def watch() -> None:
        await warmup.finished()
        _stop_if_not_loaded(warmup)

    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        await mcp.run_stdio_async()
        warmup.start()  # the input closed, maybe before any message: the knowledge base is checked all the same
        await warmup.finished()
        _stop_if_not_loaded(warmup)
        tg.cancel_scope.cancel()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Configure logging before the SDK does, so every record goes to stderr: stdout is the stdio wire.
    logging.basicConfig(
        stream=sys.stderr, level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from event_driven.adapters.mcp_server import build_server
    from event_driven.adapters.warmup import Warmup
    from event_driven.app.targets import use_targets
    from event_driven.errors import InputError, render_errors
    from event_driven.kb import KnowledgeError

    token = os.environ.get(TOKEN_ENV) or None
    # Over stdio the knowledge base loads once the handshake is answered; HTTP loads it before listening.
    warmup = Warmup() if args.transport == "stdio" else None
    try:
        if args.transport != "stdio":
            transport_security(args.host, args.allowed_host, args.allowed_origin)  # refuse before loading anything
        use_targets(args.targets)
        mcp = build_server(warmup=warmup)
    except UsageError as exc:
        sys.stderr.write(f"event-driven-mcp: {exc}\n")
        return 2
    except InputError as exc:  # the targets file
        sys.stderr.write(f"event-driven-mcp: cannot start: the targets file is invalid\n{render_errors(exc.errors)}\n")
        return 2
    except KnowledgeError as exc:
        sys.stderr.write(f"event-driven-mcp: cannot start: {exc}\n")
        return 3
    if warmup is not None:
        if token:
            log.info("%s is set but ignored on stdio (the host process owns the pipe)", TOKEN_ENV)
        import anyio

        anyio.run(serve_stdio, mcp, warmup)
        return 0
    import uvicorn

    app = http_app(mcp, args, token)
    log.info(
        "serving %s on http://%s:%s (auth: %s)", args.transport, args.host, args.port, "bearer" if token else "none"
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level.lower())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

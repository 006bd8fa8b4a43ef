"""The baseline for bench/bench.py: a bare ``MCPServer`` with one trivial ``async def`` tool.

Same CLI shape as ``event-driven-mcp`` (``--transport stdio|streamable-http --host --port``), same log level
(WARNING), so the only difference the benchmark sees is what our server adds on top of the SDK.
No print() anywhere: on stdio, stdout is the wire.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mcp.server import MCPServer


def build_server() -> MCPServer:
    mcp = MCPServer("bare", log_level="WARNING")

    @mcp.tool()
    async def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    return mcp


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bare_server", description="Bare MCPServer baseline for the benchmark.")
    parser.add_argument("--transport", choices=["stdio", "streamable-http"], default="stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stateless", action="store_true")
    parser.add_argument("--json-response", action="store_true")
    args = parser.parse_args(argv)
    mcp = build_server()
    if args.transport == "stdio":
        mcp.run()
    else:
        mcp.run(
            "streamable-http",
            host=args.host,
            port=args.port,
            stateless_http=args.stateless,
            json_response=args.json_response,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

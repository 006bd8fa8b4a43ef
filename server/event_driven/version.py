"""The installed distribution's version, for --version and the MCP server's identity."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "event-driven-mcp"


def package_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # running from a source tree without installing
        return "0.0.0+source"

"""Thin adapters over the use cases: the MCP server, the CLI, and the Markdown presenters they share."""

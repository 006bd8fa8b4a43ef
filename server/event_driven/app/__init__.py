"""The use cases: a tool's raw arguments -> bounded input -> knowledge + core + render -> a typed result.

Adapters (the MCP server, the CLI) call only this package. Every refusal leaves here as an
:class:`event_driven.errors.InputError`, whatever layer found it.
"""

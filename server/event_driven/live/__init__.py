"""Live, read-only evidence from the operator's brokers (inspect_broker).

This layer does network I/O. It sits beside ``render`` and below ``app``: it imports vocab, errors, units, kb and
core, never the MCP server or the adapters. Each broker's client library is imported only by its reader module, when
a target of that broker is inspected, so server start-up does not load them.
"""

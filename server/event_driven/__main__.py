"""``python -m event_driven`` runs the MCP server (same as ``event-driven-mcp``)."""

from event_driven.adapters.serve import main

raise SystemExit(main())

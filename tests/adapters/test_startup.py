"""What the server publishes before its knowledge base and the core load: the handshake and tools/list.

The output schemas come from a static file so that tools/list imports no result model; the file must say exactly
what the models say (regenerate with ``.venv/bin/python -m event_driven.adapters.output_schema``).
"""

from __future__ import annotations

import json
import subprocess
import sys

from event_driven.adapters.output_schema import SUMMARY_FIELDS, compact_schema, from_models, published
from event_driven.adapters.tools import TOOLS, inspect_spec
from event_driven.app.targets import TARGETS_ENV
from event_driven.live import targets as live_targets

REGENERATE = "run .venv/bin/python -m event_driven.adapters.output_schema"


def test_published_output_schemas_are_the_models_schemas():
    static = published()
    assert set(static) == {spec.name for spec in (*TOOLS, inspect_spec(1))}
    for spec in (*TOOLS, inspect_spec(1)):
        assert static[spec.name] == compact_schema(spec.output_model, SUMMARY_FIELDS), f"{spec.name}: {REGENERATE}"
    assert static == from_models(), REGENERATE


def test_the_targets_variable_is_the_live_layers():
    assert TARGETS_ENV == live_targets.TARGETS_ENV


PROBE = """
import asyncio, json, sys
from event_driven.adapters.mcp_server import build_server
from event_driven.adapters.warmup import Warmup
server = build_server(warmup=Warmup())
tools = asyncio.run(server.list_tools())
print(json.dumps({"tools": [t.name for t in tools], "schemas": {t.name: t.output_schema for t in tools},
                  "loaded": sorted(m for m in sys.modules if m.startswith(("event_driven.core", "event_driven.kb.")))}))
"""


def test_tools_list_needs_neither_the_knowledge_base_nor_the_core():
    # A fresh interpreter: what building the server and listing its tools import, before any tool is called.
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(done.stdout)
    assert seen["tools"] == [spec.name for spec in TOOLS]
    assert seen["schemas"] == {name: schema for name, schema in published().items() if name in seen["tools"]}
    assert seen["loaded"] == []

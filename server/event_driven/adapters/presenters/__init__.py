"""Markdown answers for the model that reads them, shared by the MCP server (text content) and the CLI (stdout).

Each presenter takes a tool's structured result (its JSON form) and writes the verdict first, then the reasons,
the warnings with their action, and the next step. ``summary`` and ``full`` differ in how much of each list shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from event_driven.adapters.presenters.diagnosis import present_diagnosis
from event_driven.adapters.presenters.inspection import present_inspection
from event_driven.adapters.presenters.plan import present_plan
from event_driven.adapters.presenters.schema import present_schema_check
from event_driven.adapters.presenters.selection import present_selection
from event_driven.adapters.presenters.testgen import present_tests
from event_driven.adapters.presenters.validation import present_validation

Presenter = Callable[[dict[str, Any], str], str]

PRESENTERS: dict[str, Presenter] = {
    "validate_context": present_validation,
    "select_broker": present_selection,
    "plan_topology": present_plan,
    "diagnose_issue": present_diagnosis,
    "generate_tests": present_tests,
    "check_schema_change": present_schema_check,
    "inspect_broker": present_inspection,
}

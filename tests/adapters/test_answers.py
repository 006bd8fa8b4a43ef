"""Answers an agent can read: Markdown first, summary within the budgets, full on request, files as links that any
server process resolves, knowledge by item, prompts with completion, the skill as a resource."""

from __future__ import annotations

import base64
import json
import sys
import zlib

import pytest
from mcp import Client
from mcp.types import PromptReference, ResourceTemplateReference

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import sizes  # noqa: E402  (the benchmark's matrix and budgets: one definition)

from event_driven.adapters.mcp_server import build_server  # noqa: E402

pytestmark = pytest.mark.anyio
CONTEXT = sizes.cases.context("pub_sub")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def text_of(result) -> str:
    return "".join(b.text for b in result.content if b.type == "text")


async def test_every_answer_is_within_its_budget() -> None:
    measured = await sizes.measure()
    budget = sizes.BUDGET
    assert measured["tools_list"] <= budget["tools_list"]
    assert measured["longest_description"] <= budget["description"]
    assert measured["error_text"] <= budget["error_text"]
    for tool, row in measured["tools"].items():
        assert row["errors"] == 0, tool
        assert row["summary_text"] <= budget["summary_text"], (tool, row)
        assert row["summary_total"] <= budget["summary_total"], (tool, row)
        assert row["full_text"] <= budget["any_text"], (tool, row)


async def test_answer_is_markdown_with_the_verdict_first() -> None:
    async with Client(build_server()) as client:
        r = await client.call_tool("select_broker", {"event_context": CONTEXT})
        text = text_of(r)
        assert text.startswith("**Winner: ") and "## Next" in text and "plan_topology" in text
        assert r.structured_content["detail"] == "summary"
        full = await client.call_tool("select_broker", {"event_context": CONTEXT, "detail": "full"})
        assert len(full.structured_content["rankings"]) > len(r.structured_content["rankings"])
        cut = {o["path"]: o for o in r.structured_content["omitted"]}
        assert cut["rankings"]["total"] == len(full.structured_content["rankings"])


async def test_every_piece_of_diagnosis_evidence_shows_what_it_rests_on() -> None:
    """Retrieval and base-rate evidence quote no line of the report: the answer names what they matched instead."""
    args = {"broker": "kafka", "symptoms": "the consumer keeps leaving the group and records are processed again",
            "detail": "full"}
    async with Client(build_server()) as client:
        text = text_of(await client.call_tool("diagnose_issue", args))
    evidence = [ln for ln in text.splitlines() if ln.startswith(("- for: ", "- against: "))]
    assert any(ln.startswith("- for: (retrieval: ") for ln in evidence)  # no quote: its reason, not a fake quote
    empty = ("- for: None", "- against: None", "- for:  (", "- against:  (")
    assert not [ln for ln in evidence if ln.startswith(empty)]


async def test_files_are_links_that_a_fresh_server_resolves() -> None:
    args = {"event_context": CONTEXT, "broker": "rabbitmq"}
    async with Client(build_server()) as client:
        linked = await client.call_tool("plan_topology", args)
        inline = await client.call_tool("plan_topology", {**args, "detail": "full", "files": "inline"})
    links = [b for b in linked.content if b.type == "resource_link"]
    embedded = {b.resource.uri: b.resource.text for b in inline.content if b.type == "resource"}
    assert links and len(links) == len(embedded)
    async with Client(build_server()) as other:  # another process or replica: nothing is kept between calls
        for link in links:
            read = await other.read_resource(link.uri)
            assert read.contents[0].text == embedded[str(link.uri)]
            assert link.size == len(read.contents[0].text.encode())
    async with Client(build_server()) as again:
        same = await again.call_tool("plan_topology", args)
    assert [b.uri for b in same.content if b.type == "resource_link"] == [b.uri for b in links]


async def test_links_are_short_and_links_of_the_first_encoding_still_resolve() -> None:
    # Every link repeats the request; the preset-dictionary encoding keeps it short. A link handed out before it
    # (plain zlib, no prefix) still reads the same file.
    args = {"event_context": CONTEXT, "broker": "kafka"}
    async with Client(build_server()) as client:
        answer = await client.call_tool("plan_topology", args)
        link = next(b for b in answer.content if b.type == "resource_link")
        tool, request, path = str(link.uri).removeprefix("event-driven://files/").split("/", 2)
        assert request.startswith("r1.") and len(request) < 160
        first = base64.urlsafe_b64encode(zlib.compress(json.dumps(args, sort_keys=True, separators=(",", ":"),
                                                                  ensure_ascii=False).encode(), 9))
        old = f"event-driven://files/{tool}/{first.decode().rstrip('=')}/{path}"
        via_old, via_new = await client.read_resource(old), await client.read_resource(link.uri)
        assert via_old.contents[0].text == via_new.contents[0].text


async def test_a_forged_file_uri_is_refused() -> None:
    async with Client(build_server()) as client:
        for uri in ("event-driven://files/plan_topology/not-base64!/x.json",
                    "event-driven://files/validate_context/eJyrrgUAAXUA-Q/x.json"):
            with pytest.raises(Exception) as info:  # noqa: B017 - the SDK raises its MCPError subclasses
                await client.read_resource(uri)
            assert "file" in str(info.value).lower()


async def test_knowledge_items_and_their_completion() -> None:
    async with Client(build_server()) as client:
        read = await client.read_resource("event-driven://knowledge/failure_modes/kafka_max_poll_interval_exceeded")
        assert json.loads(read.contents[0].text)["id"] == "kafka_max_poll_interval_exceeded"
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
        assert "event-driven://knowledge/{file}/{item_id}" in templates
        ref = ResourceTemplateReference(type="ref/resource", uri="event-driven://knowledge/{file}/{item_id}")
        done = await client.complete(ref, {"name": "item_id", "value": "kafka_max"}, {"file": "failure_modes"})
        assert "kafka_max_poll_interval_exceeded" in done.completion.values
        with pytest.raises(Exception):
            await client.read_resource("event-driven://knowledge/failure_modes/no_such_mode")


async def test_prompts_with_completion() -> None:
    async with Client(build_server()) as client:
        names = {p.name for p in (await client.list_prompts()).prompts}
        assert {"design_system", "diagnose_incident", "review_config"} <= names
        got = await client.get_prompt("design_system", {"use_case": "work_queue", "throughput": "500 msg/s"})
        assert "validate_context" in got.messages[0].content.text
        done = await client.complete(PromptReference(type="ref/prompt", name="design_system"),
                                     {"name": "use_case", "value": "ev"})
        assert done.completion.values == ["event_sourcing"]


async def test_the_skill_is_served() -> None:
    async with Client(build_server()) as client:
        read = await client.read_resource("skill://event-driven/SKILL.md")
        assert read.contents[0].text.startswith("---\nname: event-driven\n")


async def test_wrong_types_get_the_one_error_format() -> None:
    async with Client(build_server()) as client:
        for tool, args in [("plan_topology", {"event_context": CONTEXT, "broker": 7}),
                           ("diagnose_issue", {"max_hypotheses": "many", "symptoms": "lag"}),
                           ("select_broker", {"event_context": CONTEXT, "detail": "everything"})]:
            r = await client.call_tool(tool, args)
            assert r.is_error and text_of(r).startswith("Invalid input:\n- $."), text_of(r)
            assert "pydantic" not in text_of(r)

"""The MCP server through the SDK's own client, in memory, in both protocol eras."""

from __future__ import annotations

import pytest
from mcp import Client

from event_driven.adapters.mcp_server import build_server
from event_driven.version import package_version

pytestmark = pytest.mark.anyio

CONTEXT = {
    "use_case": "pub_sub",
    "requirements": {"throughput": "10K msg/s", "latency": "100ms", "ordering": "partition",
                     "delivery": "at_least_once", "retention": "7 days"},
    "producers": ["order-service"],
    "consumers": ["notification-service", "analytics-service"],
}

MODES = [("auto", "2026-07-28"), ("legacy", "2025-11-25")]


@pytest.fixture(scope="module")
def server():
    return build_server()


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_identity_and_instructions(server, mode, version):
    async with Client(server, mode=mode) as client:
        assert client.protocol_version == version
        assert client.server_info.name == "event-driven"
        assert client.server_info.version == package_version() != ""
        listed = {t.name for t in (await client.list_tools()).tools}
        assert listed and all(name in (client.instructions or "") for name in listed)  # the workflow names every tool


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_validate_context_tool_metadata(server, mode, version):
    async with Client(server, mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        tool = tools["validate_context"]
        assert tool.title == "Validate an event context"
        assert "normalis" in (tool.description or "")
        assert tool.output_schema["title"] == "ValidationResult"
        assert {"valid", "errors", "warnings", "normalized"} <= set(tool.output_schema["properties"])
        a = tool.annotations
        assert (a.read_only_hint, a.idempotent_hint, a.open_world_hint, a.destructive_hint) == (True, True, False, False)


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_valid_context_structured_result(server, mode, version):
    async with Client(server, mode=mode) as client:
        result = await client.call_tool("validate_context", {"event_context": CONTEXT})
        assert result.is_error is False
        body = result.structured_content
        assert body["valid"] is True and body["errors"] == []
        assert body["normalized"]["throughput_msg_per_s"] == 10_000
        assert body["normalized"]["retention_hours"] == 168


@pytest.mark.parametrize(("mode", "version"), MODES)
@pytest.mark.parametrize(
    ("arguments", "path", "code"),
    [
        ({"event_context": {**CONTEXT, "use_case": "streaming"}}, "$.use_case", "not_allowed"),
        ({"event_context": 42}, "$", "wrong_type"),
        ({}, "$", "missing"),
        ({"event_context": "use_case: [oops"}, "$", "parse_error"),
    ],
)
async def test_invalid_input_is_a_result_not_a_protocol_error(server, mode, version, arguments, path, code):
    async with Client(server, mode=mode) as client:
        result = await client.call_tool("validate_context", arguments)
        assert result.is_error is False
        body = result.structured_content
        assert body["valid"] is False
        assert (body["errors"][0]["path"], body["errors"][0]["code"]) == (path, code)


async def test_partial_context_still_warns(server):
    async with Client(server) as client:
        result = await client.call_tool(
            "validate_context", {"event_context": {"requirements": {"throughput": "100K msg/s", "ordering": "global"}}}
        )
        body = result.structured_content
        assert body["valid"] is False
        assert body["warnings"][0]["rule_id"] == "global_ordering_throughput"


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_knowledge_resources(server, mode, version):
    import json

    async with Client(server, mode=mode) as client:
        uris = {str(r.uri) for r in (await client.list_resources()).resources}
        assert {"event-driven://knowledge/rules", "event-driven://knowledge/debug_checklist"} <= uris
        checklist = json.loads((await client.read_resource("event-driven://knowledge/debug_checklist")).contents[0].text)
        assert [i["question"] for i in checklist["items"]][:3] == [
            "Producer acks configured?", "Consumer offsets committed?", "Replication factor >= 3?"
        ]
        rules = json.loads((await client.read_resource("event-driven://knowledge/rules")).contents[0].text)
        assert rules["thresholds"]["sqs_max_retention_hours"]["source"].startswith("https://docs.aws.amazon.com/")


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_select_and_plan_tools(server, mode, version):
    async with Client(server, mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        for name, title in (("select_broker", "BrokerSelection"), ("plan_topology", "TopologyPlan")):
            assert tools[name].output_schema["title"] == title
            assert tools[name].annotations.read_only_hint is True and tools[name].annotations.open_world_hint is False
        r = await client.call_tool("select_broker", {"event_context": CONTEXT, "constraints": {"cloud": "on_premises"}})
        assert r.is_error is False and r.structured_content["winner"] == "kafka"
        assert r.structured_content["why_winner"]
        r = await client.call_tool("plan_topology", {"event_context": CONTEXT, "broker": "rabbitmq",
                                                     "include_artifacts": False})
        body = r.structured_content
        assert r.is_error is False and body["broker"]["technology"] == "RabbitMQ"
        assert all(a["content"] == "" for a in body["artifacts"])


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_fixable_errors_are_tool_errors_with_field_messages(server, mode, version):
    async with Client(server, mode=mode) as client:
        r = await client.call_tool("plan_topology", {"event_context": CONTEXT, "broker": "kafkaa",
                                                     "options": {"domain": "Bad Name"}})
        assert r.is_error is True
        text = r.content[0].text
        assert "$.broker" in text and "allowed: kafka" in text and "$.options.domain" in text
        r = await client.call_tool("select_broker", {"event_context": CONTEXT, "constraints": {"cloud": "mars"}})
        assert r.is_error is True and "$.constraints.cloud" in r.content[0].text


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_generate_tests_tool(server, mode, version):
    async with Client(server, mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["generate_tests"].output_schema["title"] == "GeneratedTests"
        assert tools["generate_tests"].annotations.read_only_hint is True
        planned = await client.call_tool("plan_topology", {"event_context": CONTEXT, "broker": "kafka"})
        r = await client.call_tool("generate_tests", {"plan": planned.structured_content})
        assert r.is_error is True and "$.plan.detail" in r.content[0].text  # a summary is not a whole plan
        planned = await client.call_tool("plan_topology", {"event_context": CONTEXT, "broker": "kafka",
                                                           "detail": "full", "files": "inline"})
        r = await client.call_tool("generate_tests", {"plan": planned.structured_content})
        assert r.is_error is False
        body = r.structured_content
        assert body["broker"] == "Apache Kafka" and body["commands"]
        assert any(f["path"] == "requirements.txt" for f in body["files"])
        r = await client.call_tool("generate_tests", {"event_context": CONTEXT, "options": {"suites": ["bogus"]}})
        assert r.is_error is True and "$.options.suites[0]" in r.content[0].text


@pytest.mark.parametrize(("mode", "version"), MODES)
async def test_diagnose_issue_tool(server, mode, version):
    async with Client(server, mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert tools["diagnose_issue"].output_schema["title"] == "Diagnosis"
        assert tools["diagnose_issue"].annotations.read_only_hint is True
        r = await client.call_tool("diagnose_issue", {
            "symptoms": "messages land in the dead letter queue after a few redeliveries",
            "config": {"x-queue-type": "quorum", "x-delivery-limit": 20},
            "broker": "rabbitmq",
            "metrics": {"consumer_group_offsets": [{"topic": "orders", "partition": 0, "samples": [
                {"timestamp_ms": 1000, "committed_offset": 10, "log_end_offset": 50},
                {"timestamp_ms": 2000, "committed_offset": 10, "log_end_offset": 60},
                {"timestamp_ms": 3000, "committed_offset": 10, "log_end_offset": 70}]}]}})
        assert r.is_error is False
        body = r.structured_content
        assert body["hypotheses"] and body["broker"]["how"] == "given"
        assert body["lag_verdict"]["status"] == "ERROR"
        r = await client.call_tool("diagnose_issue", {"broker": "kafka"})
        assert r.is_error is True and "symptoms" in r.content[0].text
        r = await client.call_tool("diagnose_issue", {"symptoms": "lag", "metrics": {"queue_depths": "many"}})
        assert r.is_error is True and "$.metrics.queue_depths" in r.content[0].text

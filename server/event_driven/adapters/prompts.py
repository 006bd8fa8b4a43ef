"""Prompts for the workflows people start by hand, with completion of their enumerated arguments."""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer
from mcp.types import Completion, PromptReference

from event_driven.vocab import DELIVERIES, ORDERINGS, PLANNABLE_BROKERS, USE_CASES

DIAGNOSE_BROKERS = ("kafka", "rabbitmq", "sqs", "pulsar", "nats", "redis")

# prompt name -> argument -> allowed values, for completion/complete.
CHOICES: dict[str, dict[str, tuple[str, ...]]] = {
    "design_system": {
        "use_case": USE_CASES,
        "delivery": DELIVERIES,
        "ordering": ORDERINGS,
        "broker": PLANNABLE_BROKERS,
    },
    "diagnose_incident": {"broker": DIAGNOSE_BROKERS},
    "review_config": {"broker": DIAGNOSE_BROKERS, "delivery": DELIVERIES},
    "evolve_schema": {
        "schema_format": ("avro", "json", "protobuf"),
        "mode": ("BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"),
    },
}


def design_system(
    use_case: str, throughput: str, delivery: str = "at_least_once", ordering: str = "partition", broker: str = ""
) -> str:
    on = f" on {broker}" if broker else ""
    return (
        f"Design an event-driven {use_case} system{on} for {throughput} with {delivery} delivery and {ordering} "
        "ordering. Ask me for the producers, consumers, latency and retention if I have not said them. Then: call "
        "validate_context and fix every error with me; call select_broker (skip it if I named a broker) and tell me "
        "the winner, the runner-up and what would flip it; call plan_topology and walk me through the channels, "
        "partitions, retries and dead letters, the client settings and the warnings; read the files it links that "
        "I ask for; finish with generate_tests for the same context and broker."
    )


def diagnose_incident(broker: str, symptoms: str, error_lines: str = "") -> str:
    errors = f" The errors we see, verbatim:\n{error_lines}\n" if error_lines else ""
    return (
        f"We have an incident on {broker}: {symptoms}.{errors} Call diagnose_issue with these symptoms and error "
        "lines (ask me for the client config and any lag or queue-depth figures first if I have them; if the server "
        "offers inspect_broker, pass the broker's target name as target so its live figures join the evidence). "
        "Tell me the "
        "most likely cause with its evidence, what would rule it out, the fix with the exact keys, and the one "
        "read-only command to run next; call diagnose_issue again with what that command shows."
    )


def review_config(broker: str, delivery: str, config: str) -> str:
    return (
        f"Review this {broker} configuration against a {delivery} guarantee:\n{config}\n"
        "Call diagnose_issue with config set to it, broker set to the broker, symptoms 'config review for "
        f"{delivery}' and an event_context whose requirements.delivery is {delivery}. Report every config finding "
        "by severity with the key, its current value, why it breaks the guarantee and the fix."
    )


def evolve_schema(schema_format: str, mode: str = "BACKWARD") -> str:
    return (
        f"I want to change a {schema_format} schema whose subject uses {mode}. Ask me for the current version (and "
        "every older one if the mode is transitive) and the proposed one. Call check_schema_change with them; if it "
        "is incompatible, show each break with its location and fix, propose the corrected schema and check it "
        "again; when it passes, tell me the rollout order the mode implies."
    )


def register(mcp: MCPServer) -> None:
    mcp.prompt(name="design_system", title="Design an event-driven system")(design_system)
    mcp.prompt(name="diagnose_incident", title="Diagnose a messaging incident")(diagnose_incident)
    mcp.prompt(name="review_config", title="Review a config against a delivery guarantee")(review_config)
    mcp.prompt(name="evolve_schema", title="Evolve a schema safely")(evolve_schema)


def complete_prompt(ref: Any, argument: Any) -> Completion | None:
    if not isinstance(ref, PromptReference):
        return None
    allowed = CHOICES.get(ref.name, {}).get(argument.name)
    if allowed is None:
        return None
    values = [v for v in allowed if v.startswith(argument.value or "")]
    return Completion(values=values, total=len(values), has_more=False)

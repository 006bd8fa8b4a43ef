"""RabbitMQ: a ``definitions.json`` for ``rabbitmqctl import_definitions`` (or the management UI/API).

Exchanges, queues (with their ``x-`` arguments: quorum/stream type, delivery limit, dead-letter exchange, retry-tier
TTL) and bindings, all in the default vhost ``/``. No users, permissions or policies: the file can be imported into an
existing broker without touching access control. Everything comes from the plan's channels:

* a ``kind="exchange"`` channel is an exchange (``settings.type``);
* a ``kind="queue"`` channel is a queue (``settings.arguments``) bound to ``settings.bind_to`` with
  ``settings.routing_key``.
"""

from __future__ import annotations

from typing import Any

import jinja2

from event_driven.core.topology.models import Artifact, Channel, TopologyPlan

PATH = "rabbitmq/definitions.json"
CONF_PATH = "rabbitmq/rabbitmq.conf"
CHECKED_BY = ("rabbitmqctl import_definitions + list_queues/list_bindings read-back; poison message dead-lettered "
              "after x-delivery-limit")


def _unique(channels: list[Channel]) -> list[Channel]:
    """One object per name, in plan order. The same name twice must mean the same object."""
    seen: dict[str, Channel] = {}
    for ch in channels:
        other = seen.get(ch.name)
        if other is None:
            seen[ch.name] = ch
        elif other.settings != ch.settings:
            raise ValueError(f"RabbitMQ {ch.kind} {ch.name!r} is planned twice with different settings")
    return list(seen.values())


def definitions_context(plan: TopologyPlan) -> dict[str, Any]:
    exchanges = _unique([c for c in plan.channels if c.kind == "exchange"])
    queues = _unique([c for c in plan.channels if c.kind == "queue"])
    bindings: list[dict[str, str]] = []
    for q in queues:
        if "bind_to" in q.settings:
            binding = {"source": q.settings["bind_to"], "destination": q.name, "routing_key": q.settings["routing_key"],
                       "destination_type": "queue"}
            if binding not in bindings:
                bindings.append(binding)
    for x in exchanges:  # a lane exchange is bound to the channel's exchange (exchange-to-exchange binding)
        if "bind_to" in x.settings:
            bindings.append({"source": x.settings["bind_to"], "destination": x.name,
                             "routing_key": x.settings["routing_key"], "destination_type": "exchange"})
    return {"exchanges": exchanges, "queues": queues, "bindings": bindings}


def render(plan: TopologyPlan, env: jinja2.Environment, domain: str) -> list[Artifact]:
    ctx = definitions_context(plan)
    artifacts = [Artifact(
        path=PATH, media_type="application/json",
        description=(f"RabbitMQ definitions for '{domain}': {len(ctx['exchanges'])} exchanges, {len(ctx['queues'])} "
                     f"queues ({plan.broker.variant or 'quorum'}), {len(ctx['bindings'])} bindings in vhost '/'. "
                     "Import with `rabbitmqctl import_definitions rabbitmq/definitions.json`."),
        content=env.get_template("rabbitmq/definitions.json.j2").render(**ctx),
        checked_by=CHECKED_BY,
    )]
    timeout = plan.client_settings.consumer.get("consumer_timeout_ms")
    if timeout is not None:  # the plan knows the processing time: the node's acknowledgement deadline is part of it
        artifacts.append(Artifact(
            path=CONF_PATH, media_type="text/plain",
            description=(f"rabbitmq.conf lines for '{domain}': consumer_timeout = {timeout} ms, the delivery "
                         "acknowledgement deadline the jobs need (node-wide on RabbitMQ 3.10; merge into the node's "
                         "rabbitmq.conf and restart)."),
            content=env.get_template("rabbitmq/rabbitmq.conf.j2").render(
                domain=domain, timeout=timeout, reason=plan.client_settings.reasons["prefetch_count"]),
            checked_by="tests/e2e/test_behaviour_rabbitmq_jobs.py applies it (scaled) and runs jobs longer than the "
                       "default deadline",
        ))
    artifacts.append(Artifact(
        path="rabbitmq/README.md", media_type="text/markdown",
        description="How to import the definitions and how a failing message travels through retry tiers and the DLQ.",
        content=env.get_template("rabbitmq/README.md.j2").render(plan=plan, domain=domain, **ctx),
        checked_by="rendered from the same plan as definitions.json (names asserted by "
                   "tests/render/test_artifacts_rabbitmq.py)",
    ))
    return artifacts

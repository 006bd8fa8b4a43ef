"""NATS JetStream: one stream config and one consumer config per file, in the JetStream JSON API's field names.

The files load with ``nats stream add --config nats/streams/<NAME>.json`` and ``nats consumer add <STREAM>
--config nats/consumers/<STREAM>/<NAME>.json`` (or ``StreamConfig.from_response`` / ``ConsumerConfig.from_response``
in nats.py). Durations are nanoseconds, as on the wire. Streams are the plan's ``kind="stream"`` channels (the
dead-letter streams capture the MAX_DELIVERIES and MSG_TERMINATED advisories); consumers are the durable pull
consumers in ``client_settings.consumer["consumers"]``.
"""

from __future__ import annotations

from typing import Any

import jinja2

from event_driven.core.topology.models import Artifact, TopologyPlan

STREAM_CHECKED_BY = ("nats-py add_stream + stream_info read-back compared field by field on nats-server 2.9.10; "
                     "Nats-Msg-Id duplicate dropped; MAX_DELIVERIES advisory captured by the dead-letter stream")
CONSUMER_CHECKED_BY = ("nats-py add_consumer + consumer_info read-back (ack_wait, max_deliver, backoff, "
                       "filter_subject) "
                       "on nats-server 2.9.10; nak until max_deliver, then the advisory lands in the _DLQ stream")


def streams(plan: TopologyPlan) -> list[Any]:
    return [c for c in plan.channels if c.kind == "stream"]


def consumers(plan: TopologyPlan) -> list[dict[str, Any]]:
    """Every durable consumer, one per file: an entry with ``lanes`` stands for N lane consumers ({lane} = 0..N-1)."""
    found = plan.client_settings.consumer.get("consumers", {})
    out = []
    for entry in found.values():
        if "lanes" not in entry:
            out.append(entry)
            continue
        base = {k: v for k, v in entry.items() if k != "lanes"}
        out += [{k: v.replace("{lane}", str(i)) if isinstance(v, str) else v for k, v in base.items()}
                for i in range(int(entry["lanes"]))]
    return out


def render(plan: TopologyPlan, env: jinja2.Environment, domain: str) -> list[Artifact]:
    stream_t = env.get_template("nats/stream.json.j2")
    consumer_t = env.get_template("nats/consumer.json.j2")
    artifacts = []
    for ch in streams(plan):
        artifacts.append(Artifact(
            path=f"nats/streams/{ch.name}.json", media_type="application/json",
            description=f"JetStream stream {ch.name} ({ch.role}): {ch.purpose}. "
                        f"`nats stream add --config nats/streams/{ch.name}.json`",
            content=stream_t.render(stream=ch, s=ch.settings), checked_by=STREAM_CHECKED_BY))
    for c in consumers(plan):
        artifacts.append(Artifact(
            path=f"nats/consumers/{c['stream']}/{c['durable_name']}.json", media_type="application/json",
            description=f"Durable pull consumer {c['durable_name']} on stream {c['stream']}. "
                        f"`nats consumer add {c['stream']} --config "
                        f"nats/consumers/{c['stream']}/{c['durable_name']}.json`",
            content=consumer_t.render(c=c), checked_by=CONSUMER_CHECKED_BY))
    return artifacts

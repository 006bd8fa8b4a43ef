"""Amazon SQS artifacts: one AWS CloudFormation template (``sqs/cloudformation.yaml``).

Queues carry the plan's attributes; each dead-letter queue is wired with ``RedrivePolicy`` (``!GetAtt <DLQ>.Arn``, the
plan stores the placeholder ``arn-of:<dlq name>``) and only accepts redrives from its source queue
(``RedriveAllowPolicy`` byQueue). Fan-out plans get an SNS topic per event channel, one subscription per consumer
queue (raw message delivery) and a queue policy that lets only that topic send to the queue. Logical ids are the
names in CamelCase (alphanumeric only), made unique; Outputs list every queue URL and ARN and every topic ARN.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2

from event_driven.core.topology.models import Artifact, Channel, TopologyPlan

CHECKED_BY = ("cfn-lint (AWS CloudFormation linter) exits 0 for standard, FIFO, high-throughput FIFO and SNS fan-out "
              "plans; mutated templates fail it (tests/render/test_artifacts_sqs.py)")
ARN_PLACEHOLDER = "arn-of:"
ATTRIBUTE = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")


class LogicalIds:
    """CloudFormation logical ids (alphanumeric, unique) derived from channel names."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, name: str, suffix: str) -> str:
        words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
        base = "".join(w[:1].upper() + w[1:] for w in words) or "Resource"
        if not base[0].isalpha():
            base = "R" + base
        base = (base + suffix)[:240]
        candidate, n = base, 2
        while candidate.lower() in self.used:
            candidate, n = f"{base}{n}", n + 1
        self.used.add(candidate.lower())
        return candidate


def _scalar(value: Any) -> str:
    """A scalar attribute as YAML (JSON is YAML): true/false, numbers, quoted strings."""
    if isinstance(value, (dict, list)):
        raise ValueError(f"unexpected structured attribute value {value!r}")
    return json.dumps(value)


def _queue(c: Channel, ids: dict[str, str], domain: str) -> dict[str, Any]:
    attrs = dict(c.settings.get("attributes", {}))
    redrive = attrs.pop("RedrivePolicy", None)
    rendered = []
    for key, value in attrs.items():
        if not ATTRIBUTE.match(key):
            raise ValueError(f"SQS attribute name {key!r} is not a CloudFormation property name")
        if value is not None:
            rendered.append({"key": key, "value": _scalar(value)})
    out: dict[str, Any] = {"id": ids[c.name], "name": c.name, "role": c.role, "purpose": " ".join(c.purpose.split()),
                           "attributes": rendered, "redrive": None, "redrive_sources": [], "domain": domain}
    if redrive:
        target = str(redrive["deadLetterTargetArn"])
        if not target.startswith(ARN_PLACEHOLDER) or target[len(ARN_PLACEHOLDER):] not in ids:
            raise ValueError(f"RedrivePolicy of {c.name} names an unknown dead-letter queue: {target!r}")
        out["redrive"] = {"dlq_id": ids[target[len(ARN_PLACEHOLDER):]], "dlq_name": target[len(ARN_PLACEHOLDER):],
                          "max_receive_count": int(redrive["maxReceiveCount"])}
    return out


def _unique(channels: list[Channel]) -> list[Channel]:
    """One resource per name: a channel listed again under the same name (several groups sharing one queue) must have
    the same settings, since CloudFormation would create a single queue for it."""
    seen: dict[str, Channel] = {}
    for c in channels:
        if c.name in seen:
            if seen[c.name].settings != c.settings:
                raise ValueError(f"the plan lists {c.name} twice with different settings")
            continue
        seen[c.name] = c
    return list(seen.values())


def resources(plan: TopologyPlan, domain: str) -> dict[str, Any]:
    """Queues, topics and subscriptions with their logical ids, ready for the template."""
    make = LogicalIds()
    queues_ch = _unique([c for c in plan.channels if c.kind == "queue"])
    topics_ch = _unique([c for c in plan.channels if c.kind == "topic"])
    ids = {c.name: make.make(c.name, "Queue") for c in queues_ch}
    topic_ids = {c.name: make.make(c.name, "Topic") for c in topics_ch}
    queues = [_queue(c, ids, domain) for c in queues_ch]
    by_name = {q["name"]: q for q in queues}
    for q in queues:
        if q["redrive"]:
            by_name[q["redrive"]["dlq_name"]]["redrive_sources"].append(q["name"])
    topics = [{"id": topic_ids[c.name], "name": c.name, "fifo": bool(c.settings.get("FifoTopic")),
               "high_throughput": plan.broker.variant == "fifo_high_throughput",
               "purpose": " ".join(c.purpose.split())} for c in topics_ch]
    # A consumer queue of a fan-out channel has the key '<channel key>@<group>'; it subscribes to the SNS topic whose
    # key is '<channel key>'. (Derived from the keys rather than the plan's 'subscribes_to'.)
    topic_by_key = {c.key: c for c in topics_ch}
    subscriptions = []
    for c in queues_ch:
        if c.role == "dead_letter" or "@" not in c.key:
            continue
        topic = topic_by_key.get(c.key.split("@", 1)[0])
        if topic is None:
            continue
        subscriptions.append({"id": make.make(c.name, "Subscription"), "policy_id": make.make(c.name, "Policy"),
                              "topic_id": topic_ids[topic.name], "topic_name": topic.name,
                              "queue_id": ids[c.name], "queue_name": c.name})
    return {"queues": queues, "topics": topics, "subscriptions": subscriptions, "alarms": _alarms(plan, ids, make)}


def _alarms(plan: TopologyPlan, ids: dict[str, str], make: LogicalIds) -> list[dict[str, Any]]:
    """The plan's CloudWatch alarms, each on the QueueName dimension of its queue resource."""
    return [{"id": make.make(a.queue, a.name + "Alarm"), "queue_id": ids[a.queue], "queue_name": a.queue,
             "name": a.name, "namespace": a.namespace, "metric": a.metric, "statistic": a.statistic,
             "period": a.period_s, "evaluation_periods": a.evaluation_periods, "threshold": a.threshold,
             "comparison": a.comparison, "severity": a.severity, "description": a.reason[:1024]}
            for a in plan.observability.cloudwatch_alarms]


def render(plan: TopologyPlan, env: jinja2.Environment, domain: str) -> list[Artifact]:
    res = resources(plan, domain)
    kind = {"standard": "standard", "fifo": "FIFO", "fifo_high_throughput": "high-throughput FIFO"}.get(
        plan.broker.variant or "", plan.broker.variant or "standard")
    description = (f"event-driven: {plan.use_case} topology of {domain} on Amazon SQS ({kind} queues"
                   + (", SNS fan-out" if res["topics"] else "") + ")")
    content = env.get_template("sqs/cloudformation.yaml.j2").render(plan=plan, domain=domain, description=description,
                                                                     **res)
    return [Artifact(
        path="sqs/cloudformation.yaml", media_type="application/yaml",
        description=(f"AWS CloudFormation template: {len(res['queues'])} SQS queues with redrive policies, "
                     f"{len(res['alarms'])} CloudWatch alarms on queue age and dead-letter depth"
                     + (f", {len(res['topics'])} SNS topic(s) and {len(res['subscriptions'])} subscriptions"
                        if res["topics"] else "")),
        content=content, checked_by=CHECKED_BY,
    )]

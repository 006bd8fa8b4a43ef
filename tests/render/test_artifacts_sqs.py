"""Amazon SQS artifact (``sqs/cloudformation.yaml``), proved by cfn-lint, the AWS CloudFormation linter.

cfn-lint checks the template against the CloudFormation resource specs bundled with it (property names and types,
value ranges, the ``.fifo`` name rule, FIFO/standard redrive compatibility, ``!GetAtt`` targets) without network or
AWS credentials. Every variant must pass with exit code 0; mutated templates must fail, so the check is known to
bite. The structure (redrive targets, SNS fan-out wiring, logical ids, outputs) is also compared with the plan.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_artifacts_common import ArtifactContract

from brokers.sqs import load, plan, template
from conftest import require

CFN_LINT = Path(sys.executable).parent / "cfn-lint"
USE_CASES = ("pub_sub", "work_queue", "event_sourcing", "cqrs", "saga")
LOGICAL_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,254}$")


def cfn_lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    require(CFN_LINT.exists(), f"cfn-lint is not installed at {CFN_LINT} (pip install -e '.[test]')")
    return subprocess.run([str(CFN_LINT), *map(str, paths)], capture_output=True, text=True, timeout=300)


# --- cfn-lint is the oracle -----------------------------------------------------------------------------------------

VARIANTS = {
    "standard-work-queue": dict(use_case="work_queue", broker="sqs"),
    "fifo-work-queue": dict(use_case="work_queue", ordering="partition"),
    "fifo-explicit": dict(use_case="work_queue", broker="sqs.fifo"),
    "high-throughput-fifo": dict(use_case="work_queue", ordering="partition", throughput="10K msg/s"),
    "pub-sub-standard-fan-out": dict(use_case="pub_sub"),
    "pub-sub-fifo-fan-out": dict(use_case="pub_sub", ordering="partition"),
    "pub-sub-high-throughput-fan-out": dict(use_case="pub_sub", broker="sqs.fifo_high_throughput"),
    "exactly-once": dict(use_case="cqrs", delivery="exactly_once"),
    "no-dead-letter": dict(use_case="work_queue", options={"dead_letter": False}),
    "request-reply": dict(use_case="work_queue", options={"request_reply": True}),
    **{f"use-case-{u}": dict(use_case=u) for u in USE_CASES},
    **{f"use-case-{u}-fifo": dict(use_case=u, ordering="partition") for u in USE_CASES},
    "saga-choreography": dict(use_case="saga", options={"saga_style": "choreography"}),
    "event-sourcing-compaction": dict(use_case="event_sourcing", options={"compaction": True}),
}


def test_every_variant_passes_cfn_lint(tmp_path: Path) -> None:
    paths = []
    for name, kw in VARIANTS.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(template(plan(**kw)))
        paths.append(path)
    done = cfn_lint(*paths)
    assert done.returncode == 0, done.stdout + done.stderr


def test_variants_are_what_they_claim() -> None:
    assert plan(**VARIANTS["standard-work-queue"]).broker.variant == "standard"
    assert plan(**VARIANTS["fifo-work-queue"]).broker.variant == "fifo"
    assert plan(**VARIANTS["high-throughput-fifo"]).broker.variant == "fifo_high_throughput"
    doc = load(template(plan(**VARIANTS["high-throughput-fifo"])))
    queues = [r for r in doc["Resources"].values() if r["Type"] == "AWS::SQS::Queue"]
    assert queues and all(q["Properties"]["FifoQueue"] is True for q in queues)
    assert all(q["Properties"]["QueueName"].endswith(".fifo") for q in queues)
    main = [q for q in queues if "RedrivePolicy" in q["Properties"]]
    assert main and all(q["Properties"]["DeduplicationScope"] == "messageGroup" and
                        q["Properties"]["FifoThroughputLimit"] == "perMessageGroupId" for q in main)
    standard = load(template(plan(**VARIANTS["standard-work-queue"])))
    for r in standard["Resources"].values():
        assert "FifoQueue" not in r["Properties"] and "ContentBasedDeduplication" not in r["Properties"]


def _fifo_dlq_made_standard(text: str) -> str:
    doc_lines, in_dlq = [], False
    for line in text.splitlines():
        if line.startswith("  ") and not line.startswith("   ") and line.strip().endswith(":"):
            in_dlq = "DlqFifoQueue:" in line
        if in_dlq and line.strip() == "FifoQueue: true":
            continue
        if in_dlq and "QueueName:" in line:
            line = line.replace('.fifo"', '"')
        doc_lines.append(line)
    return "\n".join(doc_lines) + "\n"


MUTATIONS = {
    # FIFO source queue redriving to a standard DLQ: E3502.
    "fifo-dlq-made-standard": (dict(use_case="work_queue", ordering="partition"), _fifo_dlq_made_standard, "E3502"),
    # Misspelt property: E3002.
    "misspelt-property": (dict(use_case="work_queue"),
                          lambda t: t.replace("VisibilityTimeout:", "VisibilityTimout:", 1), "E3002"),
    # Out-of-range retention: E3034.
    "retention-out-of-range": (dict(use_case="work_queue"),
                               lambda t: t.replace("MessageRetentionPeriod: 345600", "MessageRetentionPeriod: 99999999", 1),
                               "E3034"),
    # FIFO queue without the .fifo suffix: E3501.
    "fifo-name-without-suffix": (dict(use_case="work_queue", ordering="partition"),
                                 lambda t: re.sub(r'(QueueName: "[^"]+)\.fifo"', r'\1"', t, count=1), "E3501"),
    # Redrive to a resource that does not exist: E1010 (bad GetAtt).
    "dangling-dead-letter-target": (dict(use_case="work_queue"),
                                    lambda t: t.replace("deadLetterTargetArn: !GetAtt ", "deadLetterTargetArn: !GetAtt Nope", 1),
                                    "E1010"),
    # An alarm on a queue resource that does not exist: E1010 (bad GetAtt).
    "alarm-on-missing-queue": (dict(use_case="work_queue"),
                               lambda t: t.replace("Value: !GetAtt ", "Value: !GetAtt Nope", 1), "E1010"),
    # An alarm comparison CloudWatch does not know: E3030 (allowed values).
    "alarm-bad-comparison": (dict(use_case="work_queue"),
                             lambda t: t.replace("ComparisonOperator: GreaterThanThreshold",
                                                 "ComparisonOperator: MoreThan", 1), "E3030"),
    # Subscription to a topic that does not exist: E1020 (bad Ref).
    "dangling-topic-ref": (dict(use_case="pub_sub"), lambda t: t.replace("TopicArn: !Ref ", "TopicArn: !Ref Missing", 1),
                           "E1020"),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_cfn_lint_rejects_mutated_templates(name: str, tmp_path: Path) -> None:
    kw, mutate, code = MUTATIONS[name]
    good = template(plan(**kw))
    bad = mutate(good)
    assert bad != good, "the mutation did not change the template"
    path = tmp_path / f"{name}.yaml"
    path.write_text(bad)
    done = cfn_lint(path)
    assert done.returncode != 0, f"cfn-lint accepted the mutated template:\n{bad}"
    assert code in done.stdout, done.stdout


# --- the template says what the plan says ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(VARIANTS))
def test_template_matches_the_plan(name: str) -> None:
    p = plan(**VARIANTS[name])
    doc = load(template(p))
    res = doc["Resources"]
    assert doc["AWSTemplateFormatVersion"] == "2010-09-09"
    assert all(LOGICAL_ID.match(i) for i in [*res, *doc["Outputs"]])
    by_name = {r["Properties"].get("QueueName") or r["Properties"].get("TopicName"): (i, r) for i, r in res.items()
               if r["Type"] in ("AWS::SQS::Queue", "AWS::SNS::Topic")}
    queues = {c.name: c for c in p.channels if c.kind == "queue"}
    topics = {c.name: c for c in p.channels if c.kind == "topic"}
    assert set(by_name) == set(queues) | set(topics)
    max_receive = p.retry_policy.backoff.max_attempts
    for qname, c in queues.items():
        qid, q = by_name[qname]
        props = q["Properties"]
        assert q["Type"] == "AWS::SQS::Queue"
        for key, value in c.settings["attributes"].items():
            if key == "RedrivePolicy":
                dlq_name = value["deadLetterTargetArn"].removeprefix("arn-of:")
                dlq_id = by_name[dlq_name][0]
                assert props["RedrivePolicy"] == {"deadLetterTargetArn": {"!GetAtt": f"{dlq_id}.Arn"},
                                                  "maxReceiveCount": max_receive}
                allow = by_name[dlq_name][1]["Properties"]["RedriveAllowPolicy"]
                assert allow["redrivePermission"] == "byQueue"
                assert any(s["!Sub"].endswith(f":{qname}") for s in allow["sourceQueueArns"])
            else:
                assert props[key] == value, (qname, key)
        assert doc["Outputs"][f"{qid}Url"]["Value"] == {"!Ref": qid}
        assert doc["Outputs"][f"{qid}Arn"]["Value"] == {"!GetAtt": f"{qid}.Arn"}
    if p.retry_policy.dead_letter_enabled:
        assert all("RedrivePolicy" in by_name[n][1]["Properties"] for n, c in queues.items() if c.role != "dead_letter")
    else:
        assert not any("RedrivePolicy" in r.get("Properties", {}) for r in res.values())


@pytest.mark.parametrize("name", ["pub-sub-standard-fan-out", "pub-sub-fifo-fan-out", "pub-sub-high-throughput-fan-out",
                                  "use-case-saga"])
def test_fan_out_subscribes_every_consumer_queue_to_its_topic(name: str) -> None:
    p = plan(**VARIANTS[name])
    doc = load(template(p))
    res = doc["Resources"]
    ids = {r["Properties"].get("QueueName") or r["Properties"].get("TopicName"): i for i, r in res.items()
           if r["Type"] in ("AWS::SQS::Queue", "AWS::SNS::Topic")}
    topics = {c.key: c for c in p.channels if c.kind == "topic"}
    assert topics
    subs = [r["Properties"] for r in res.values() if r["Type"] == "AWS::SNS::Subscription"]
    policies = [r["Properties"] for r in res.values() if r["Type"] == "AWS::SQS::QueuePolicy"]
    expected = []
    for c in p.channels:
        if c.kind == "queue" and c.role != "dead_letter" and c.key.split("@")[0] in topics:
            expected.append((ids[topics[c.key.split("@")[0]].name], ids[c.name]))
    assert expected, "a fan-out plan without subscriber queues"
    got = [(s["TopicArn"]["!Ref"], s["Endpoint"]["!GetAtt"].removesuffix(".Arn")) for s in subs]
    assert sorted(got) == sorted(expected)
    assert all(s["Protocol"] == "sqs" and s["RawMessageDelivery"] is True for s in subs)
    # Only the topic may send to its subscriber queue.
    granted = []
    for pol in policies:
        (stmt,) = pol["PolicyDocument"]["Statement"]
        assert stmt["Principal"] == {"Service": "sns.amazonaws.com"} and stmt["Action"] == "sqs:SendMessage"
        granted.append((stmt["Condition"]["ArnEquals"]["aws:SourceArn"]["!Ref"], pol["Queues"][0]["!Ref"]))
    assert sorted(granted) == sorted(expected)
    # No dead-letter queue is ever subscribed to a topic.
    dlq_ids = {ids[c.name] for c in p.channels if c.role == "dead_letter"}
    assert not {q for _, q in got} & dlq_ids
    fifo = p.broker.variant != "standard"
    for t in topics.values():
        props = res[ids[t.name]]["Properties"]
        assert props.get("FifoTopic", False) is fifo and t.name.endswith(".fifo") is fifo


def test_logical_ids_are_alphanumeric_and_unique() -> None:
    from event_driven.render.sqs import LogicalIds

    ids = LogicalIds()
    made = [ids.make(n, "Queue") for n in ("a-b.fifo", "a_b.fifo", "A-B-fifo", "9lives", "x" * 80)]
    assert len(set(m.lower() for m in made)) == len(made)
    assert all(LOGICAL_ID.match(m) for m in made)


class TestContract(ArtifactContract):
    broker, folder = "sqs", "sqs/"
    variants = ({"request_reply": True},)


def test_every_use_case_renders_with_sqs() -> None:
    for use_case in USE_CASES:
        for options in (None, {"request_reply": True}):
            p = plan(use_case, options=options)
            (art,) = [a for a in p.artifacts if a.path == "sqs/cloudformation.yaml"]
            assert art.media_type == "application/yaml" and "cfn-lint" in art.checked_by
            assert load(art.content)["Resources"]


@pytest.mark.parametrize("use_case", USE_CASES)
def test_cloudwatch_alarms_watch_every_queue_from_the_broker_side(use_case: str) -> None:
    """Lag and dead-letter depth come from SQS itself (CloudWatch), so a dead consumer cannot silence them: every
    consumer queue alarms when its oldest message outlives the acknowledgement deadline plus the alert window, every
    dead-letter queue when it holds a message and when it passes the seed's threshold."""
    p = plan(use_case)
    res = load(template(p))["Resources"]
    alarms = [r["Properties"] for r in res.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    queue_names = {k: r["Properties"]["QueueName"] for k, r in res.items() if r["Type"] == "AWS::SQS::Queue"}
    by_queue: dict[str, list[dict[str, Any]]] = {}
    for a in alarms:
        assert a["Namespace"] == "AWS/SQS" and a["Dimensions"][0]["Name"] == "QueueName"
        queue_id = a["Dimensions"][0]["Value"]["!GetAtt"].split(".")[0]
        by_queue.setdefault(queue_names[queue_id], []).append(a)
    window_s = p.observability.lag_window_minutes * 60
    for c in p.channels:
        if c.kind != "queue":
            continue
        got = {(a["MetricName"], a["Threshold"]) for a in by_queue[c.name]}
        if c.role == "dead_letter":
            assert got == {("ApproximateNumberOfMessagesVisible", 0),
                           ("ApproximateNumberOfMessagesVisible", p.retry_policy.dlq_alert_threshold)}
        else:
            deadline_s = c.settings["attributes"]["VisibilityTimeout"]
            assert ("ApproximateAgeOfOldestMessage", deadline_s + window_s) in got, (c.name, got)

"""The knowledge base loads validated, every number carries its source, and a malformed file stops start-up."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from conftest import ROOT, SERVER_CMD, server_env
from event_driven.core.context import NormalizedContext
from event_driven.kb import loader
from event_driven.kb.common import SourcedNumber
from event_driven.kb.loader import FILES, KnowledgeError, load_knowledge
from event_driven.kb.predicates import Comparison, leaf_tests
from event_driven.kb.rules import CONTEXT_FIELDS, COUNT_FIELDS

KNOWLEDGE = ROOT / "knowledge"


def _numbers_outside_sourced(node, path="") -> list[str]:
    """Paths of numbers that are not the value of a SourcedNumber."""
    if isinstance(node, SourcedNumber):
        return []
    if isinstance(node, BaseModel) and isinstance(getattr(node, "source", None), str):
        return []  # a model that carries its own source (e.g. a seed metric with its buckets)
    if isinstance(node, BaseModel):
        return [p for name in type(node).model_fields for p in _numbers_outside_sourced(getattr(node, name), f"{path}.{name}")]
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _numbers_outside_sourced(v, f"{path}.{k}")]
    if isinstance(node, (list, tuple)):
        return [p for i, v in enumerate(node) for p in _numbers_outside_sourced(v, f"{path}[{i}]")]
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        return [path]
    return []


def _count_literal_paths(kb) -> set[str]:
    """Paths of rule tests that compare a *count* with a literal (e.g. more than one producer): the one exception."""
    out = set()
    for i, rule in enumerate(kb.rules.rules):
        for test in leaf_tests(rule.when):
            if isinstance(test.value, int) and not isinstance(test.value, bool):
                assert test.key in COUNT_FIELDS, f"rule {rule.id}: literal {test.value} compared with {test.key}"
                out.add(i)
    return {f"rules.rules[{i}]" for i in out}


def test_every_file_loads_and_every_number_is_sourced():
    kb = load_knowledge(KNOWLEDGE)
    counts = _count_literal_paths(kb)
    for _name, (attr, _model) in FILES.items():
        part = getattr(kb, attr)
        offenders = [p for p in _numbers_outside_sourced(part, attr)
                     if not (p.endswith(".value") and p.split(".when")[0] in counts)]
        assert offenders == [], f"numbers without a source in {attr}: {offenders}"


def test_rule_fields_are_the_context_fields():
    # kb/rules.py names the fields rules may test (the data layer does not import the core); they must agree.
    assert CONTEXT_FIELDS == set(NormalizedContext.model_fields)
    assert isinstance(next(leaf_tests(load_knowledge(KNOWLEDGE).rules.rules[0].when)), Comparison)


def test_rule_thresholds_cite_their_sources():
    kb = load_knowledge(KNOWLEDGE)
    sqs = kb.rules.thresholds["sqs_max_retention_hours"]
    assert (sqs.value, sqs.unit) == (336, "hours")
    assert sqs.source.startswith("https://docs.aws.amazon.com/")


def _copy_knowledge(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


def _edit_rules(root: Path, mutate) -> None:
    path = root / "rules.yaml"
    data = yaml.safe_load(path.read_text())
    mutate(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.parametrize(
    ("mutate", "where", "reason"),
    [
        (lambda d: d["thresholds"]["sqs_max_retention_hours"].pop("source"),
         "thresholds.sqs_max_retention_hours.source", "Field required"),
        (lambda d: d["thresholds"]["sqs_max_retention_hours"].update(source="docs.aws.amazon.com"),
         "thresholds.sqs_max_retention_hours.source", "unknown source id"),
        (lambda d: d["thresholds"]["sqs_max_retention_hours"].update(source="https://docs.aws.amazon.com/sqs"),
         "thresholds.sqs_max_retention_hours.source", "cite a source by its id"),
        (lambda d: d["rules"][0].update(severity="urgent"), "rules[0].severity", "Input should be"),
        (lambda d: d["rules"][2].update(when={"key": "throughput_msg_per_s", "op": "gt", "value": 5000}),
         "rules[2].when", "sourced threshold"),
        (lambda d: d["rules"][2].update(when={"key": "speed", "op": "eq", "value": "fast"}), "rules[2].when",
         "unknown context field"),
        (lambda d: d["rules"][0]["when"]["all"][1].update(value={"threshold": "nope"}), "(top level)",
         "unknown threshold"),
        (lambda d: d["rules"][1].update(colour="red"), "rules[1].colour", "Extra inputs are not permitted"),
    ],
)
def test_malformed_rules_name_file_path_and_reason(tmp_path, mutate, where, reason):
    root = _copy_knowledge(tmp_path)
    _edit_rules(root, mutate)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(root)
    err = info.value
    assert err.file == root / "rules.yaml"
    paths = [(re.sub(r" \(id=[^)]*\)", "", path), msg) for path, msg in err.problems]
    assert any(path.startswith(where) and reason in msg for path, msg in paths), err.problems


def test_yaml_syntax_error_names_the_line(tmp_path):
    root = _copy_knowledge(tmp_path)
    (root / "debug_checklist.yaml").write_text("items:\n  - id: x\n   question: [unclosed\n")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(root)
    assert "line 3" in str(info.value) and "debug_checklist.yaml" in str(info.value)


def test_missing_file_is_reported(tmp_path):
    root = _copy_knowledge(tmp_path)
    (root / "rules.yaml").unlink()
    with pytest.raises(KnowledgeError, match="rules.yaml: \\(file\\): file not found"):
        load_knowledge(root)


def test_server_refuses_to_start_on_malformed_knowledge(tmp_path):
    root = _copy_knowledge(tmp_path)
    _edit_rules(root, lambda d: d["rules"][0].update(severity="urgent"))
    proc = subprocess.run(SERVER_CMD, input="", capture_output=True, text=True, timeout=60,
                          env=server_env(EVENT_DRIVEN_KNOWLEDGE_DIR=str(root)))
    assert proc.returncode == 3
    assert "rules.yaml: rules[0] (id=global_ordering_throughput).severity" in proc.stderr
    assert proc.stdout == ""  # nothing on the stdio wire


INITIALIZE = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}}) + "\n"
INITIALIZED = json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n"


def test_server_that_answered_the_handshake_stops_on_malformed_knowledge(tmp_path):
    # Over stdio the knowledge base loads once the handshake is answered; a malformed file still stops the server,
    # with the input left open (the host is waiting), and nothing but the handshake's answer reaches the wire.
    root = _copy_knowledge(tmp_path)
    _edit_rules(root, lambda d: d["rules"][0].update(severity="urgent"))
    proc = subprocess.Popen(SERVER_CMD, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=server_env(EVENT_DRIVEN_KNOWLEDGE_DIR=str(root)))
    try:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write(INITIALIZE + INITIALIZED)
        proc.stdin.flush()
        assert proc.wait(timeout=60) == 3
        lines = proc.stdout.read().splitlines()
        assert [json.loads(line)["id"] for line in lines] == [1]
        assert "rules.yaml: rules[0] (id=global_ordering_throughput).severity" in proc.stderr.read()
    finally:
        proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def test_snapshot_of_the_parsed_files_gives_the_same_knowledge_base(tmp_path, monkeypatch):
    root, cache = _copy_knowledge(tmp_path), tmp_path / "cache"
    monkeypatch.setenv("EVENT_DRIVEN_CACHE_DIR", str(cache))
    from_yaml = load_knowledge(root)
    [snapshot] = cache.glob("knowledge-*.json")

    def no_yaml(path, raw):
        raise AssertionError(f"{path} parsed although the snapshot matches")

    with monkeypatch.context() as patch:
        patch.setattr(loader, "_yaml", no_yaml)
        assert load_knowledge(root) == from_yaml
    snapshot.write_text("{not json")  # a damaged snapshot is ignored, and rewritten
    assert load_knowledge(root) == from_yaml
    assert json.loads(snapshot.read_text())["format"] == loader.SNAPSHOT_FORMAT


def test_snapshot_follows_the_files_and_is_validated_like_them(tmp_path, monkeypatch):
    root, cache = _copy_knowledge(tmp_path), tmp_path / "cache"
    monkeypatch.setenv("EVENT_DRIVEN_CACHE_DIR", str(cache))
    load_knowledge(root)
    _edit_rules(root, lambda d: d["rules"][0].update(severity="urgent"))  # new bytes: the snapshot no longer matches
    with pytest.raises(KnowledgeError, match=r"rules\.yaml: rules\[0\] \(id=global_ordering_throughput\)\.severity"):
        load_knowledge(root)
    # A snapshot is data, checked by the same models: one edited to match the files' key still cannot smuggle in
    # an invalid value.
    _edit_rules(root, lambda d: d["rules"][0].update(severity="high"))
    shutil.rmtree(cache)
    load_knowledge(root)
    [snapshot] = cache.glob("knowledge-*.json")
    data = json.loads(snapshot.read_text())
    data["files"]["rules.yaml"]["rules"][0]["severity"] = "urgent"
    snapshot.write_text(json.dumps(data))
    with pytest.raises(KnowledgeError, match="severity"):
        load_knowledge(root)

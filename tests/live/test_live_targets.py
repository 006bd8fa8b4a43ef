"""The operator's targets file: loading, validation errors as field errors, credentials by variable name only, and
no secret in any text form. Also: every failure mode the inspection rules name exists in the knowledge base."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import ROOT
from event_driven.errors import InputError
from event_driven.kb.loader import knowledge
from event_driven.live.inspect import check_pattern
from event_driven.live.reading import Redactor, classify
from event_driven.live.targets import TARGETS_ENV, load_targets, redact_url

EXAMPLE = """
targets:
  - name: local-rabbit
    broker: rabbitmq
    url: http://127.0.0.1:15672     # the management API
    username_env: RABBIT_USER        # credentials by environment variable name only
    password_env: RABBIT_PASS
  - {name: local-nats, broker: nats, url: "nats://127.0.0.1:4222"}
  - {name: local-redis, broker: redis, url: "redis://127.0.0.1:6379/0", sampling: {window_s: 5, samples: 4}}
  - {name: aws-orders, broker: sqs, url: "https://sqs.eu-west-1.amazonaws.com", region: eu-west-1,
     expect: {processing_time_ms: 45000}, tls: {ca_file: /etc/ssl/certs/ca-certificates.crt}}
  - {name: prod-kafka, broker: kafka, url: "b1:9092,b2:9092", username_env: K_USER, password_env: K_PASS}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_issue_example_loads_from_a_path_or_the_environment(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, EXAMPLE)
    monkeypatch.delenv(TARGETS_ENV, raising=False)
    assert load_targets() is None  # nothing configured: the tool is not offered
    loaded = load_targets(path)
    assert loaded is not None
    assert [t.broker_id for t in loaded.targets] == ["rabbitmq", "nats_jetstream", "redis_streams", "sqs", "kafka"]
    assert loaded.get("local-redis").sampling.samples == 4
    assert loaded.get("aws-orders").expect.processing_time_ms == 45000
    monkeypatch.setenv(TARGETS_ENV, str(path))
    from_env = load_targets()
    assert from_env is not None and [t.name for t in from_env.targets] == [t.name for t in loaded.targets]


def test_credentials_are_read_at_call_time_and_never_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_targets(write(tmp_path, EXAMPLE))
    assert loaded is not None
    rabbit = loaded.get("local-rabbit")
    monkeypatch.delenv("RABBIT_PASS", raising=False)
    assert rabbit.credentials().password is None
    monkeypatch.setenv("RABBIT_USER", "ops")
    monkeypatch.setenv("RABBIT_PASS", "hunter2-secret")
    creds = rabbit.credentials()
    assert creds.username == "ops" and creds.password is not None
    assert creds.password.get_secret_value() == "hunter2-secret"
    for text in (repr(creds), str(creds), creds.model_dump_json(), repr(rabbit), repr(loaded)):
        assert "hunter2-secret" not in text


def test_user_information_in_urls_is_redacted_everywhere(tmp_path: Path) -> None:
    text = "targets:\n  - {name: r, broker: rabbitmq, url: 'http://ops:s3cr3t-pw@10.0.0.1:15672'}\n"
    loaded = load_targets(write(tmp_path, text))
    assert loaded is not None
    r = loaded.get("r")
    assert r.display_url == "http://***@10.0.0.1:15672" and r.bare_url == "http://10.0.0.1:15672"
    assert "s3cr3t" not in repr(r) and "s3cr3t" not in loaded.model_dump_json()
    assert r.credentials().password is not None and r.credentials().password.get_secret_value() == "s3cr3t-pw"
    bad = "targets:\n  - {name: r, broker: redis, url: 'http://ops:s3cr3t-pw@10.0.0.1:6379'}\n"
    with pytest.raises(InputError) as err:
        load_targets(write(tmp_path, bad))
    assert "s3cr3t" not in str(err.value) and "redis://" in str(err.value)
    assert redact_url("see amqp://u:p@h:5672/ and redis://:pw@h") == "see amqp://***@h:5672/ and redis://***@h"
    assert Redactor(["pw-123"]).clean("auth failed for pw-123 at nats://a:pw-123@h") == \
        "auth failed for *** at nats://***@h"


@pytest.mark.parametrize(("text", "path", "code"), [
    ("targets:\n  - {name: x, broker: rabbit, url: 'http://h'}\n", "$.targets[0].broker", "not_allowed"),
    ("targets:\n  - {name: x, broker: nats, url: 'nats://h', password: pw}\n", "$.targets[0].password",
     "unknown_field"),
    ("targets:\n  - {name: x, broker: nats, url: 'nats://h', username_env: 'A B'}\n", "$.targets[0].username_env",
     "pattern_mismatch"),
    ("targets:\n  - {name: x, broker: nats, url: 'nats://h', sampling: {window_s: 300}}\n",
     "$.targets[0].sampling.window_s", "out_of_range"),
    ("targets: []\n", "$.targets", "too_short"),
    ("targets: [\n", "$", "parse_error"),
])
def test_problems_are_field_errors_with_a_path(tmp_path: Path, text: str, path: str, code: str) -> None:
    with pytest.raises(InputError) as err:
        load_targets(write(tmp_path, text))
    assert (err.value.errors[0].path, err.value.errors[0].code) == (path, code)


def test_unknown_target_names_the_allowed_ones_and_suggests(tmp_path: Path) -> None:
    loaded = load_targets(write(tmp_path, EXAMPLE))
    assert loaded is not None
    with pytest.raises(InputError) as err:
        loaded.get("local-rabit")
    e = err.value.errors[0]
    assert (e.code, e.suggestion) == ("unknown_target", "local-rabbit") and "local-nats" in (e.allowed or "")
    with pytest.raises(InputError):
        load_targets(write(tmp_path, "targets:\n  - {name: a, broker: nats, url: 'nats://h'}\n"
                                     "  - {name: a, broker: nats, url: 'nats://h'}\n"))
    with pytest.raises(InputError) as missing:
        load_targets(tmp_path / "nope.yaml")
    assert missing.value.errors[0].code == "parse_error"


def test_name_patterns_are_bounded() -> None:
    assert check_pattern("orders.*") == "orders.*" and check_pattern("") is None
    for bad in ("a\nb", "x" * 201):
        with pytest.raises(InputError):
            check_pattern(bad)


def test_every_failure_mode_the_inspection_names_is_in_the_knowledge_base() -> None:
    known = {fm.id for fm in knowledge().failure_modes.failure_modes}
    sources = [ROOT / "server/event_driven/core/inspection" / f for f in ("rules.py", "drift.py")]
    named = {m for p in sources for m in re.findall(r'(?:failure_mode_id=|mode = |, )"([a-z]+_[a-z_]+)"', p.read_text())
             if m.split("_")[0] in ("rabbitmq", "nats", "redis", "sqs", "kafka", "consumers", "dlq")
             and m.count("_") >= 2}
    assert named and named <= known, sorted(named - known)


def test_broker_clients_are_imported_only_by_their_reader() -> None:
    import subprocess
    import sys

    code = ("import sys, event_driven.live.inspect, event_driven.live.targets; "
            "print(sorted(m for m in ('httpx', 'nats', 'redis', 'boto3', 'confluent_kafka') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "[]"


# Client calls that change broker state (or, like basic.get and ReceiveMessage, count as a delivery).
STATE_CHANGING = ("basic_get", "basic_ack", "basic_nack", "basic_reject", "basic_publish", "queue_purge", ".publish(",
                  ".fetch(", "subscribe", ".ack(", ".nak(", "xack", "xclaim", "xautoclaim", "xreadgroup", "xadd",
                  "xdel", "xtrim", "xgroup", ".delete", "receive_message", "send_message", "purge_queue",
                  "change_message_visibility", "set_queue_attributes", ".commit(", "create_topics", "delete_topics",
                  "alter_", "delete_records", ".post(", ".put(", ".patch(", "client.request(", "add_stream",
                  "add_consumer", "update_stream", "flushall", "flushdb", "config_set")


def code_only(path: Path) -> str:
    """The module's names and operators, without strings and comments (docstrings say what is never called)."""
    import io
    import tokenize

    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return "".join(t.string for t in tokens if t.type in (tokenize.NAME, tokenize.OP)).lower()


def test_readers_make_no_state_changing_call() -> None:
    for path in sorted((ROOT / "server/event_driven/live").glob("*.py")):
        text = code_only(path)
        found = [call for call in STATE_CHANGING if call in text]
        assert not found, f"{path.name} calls {found}"


def test_a_port_that_contains_a_status_code_is_not_that_status():
    """A refused connection to port 40312 is refused, not 'forbidden' because the URL holds '403'."""
    refused = ConnectionError('Could not connect to the endpoint URL: "http://127.0.0.1:40312/"')
    assert classify(refused) == "refused"
    assert classify(RuntimeError("An error occurred (403) when calling the ListQueues operation")) == "forbidden"
    assert classify(RuntimeError("HTTP 401 Unauthorized")) == "unauthorised"

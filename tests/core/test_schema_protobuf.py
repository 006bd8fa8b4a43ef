"""Protobuf: our verdict on every corpus pair agrees with Schema Registry's rules (the corpus) and with buf breaking.

Oracle: ``buf breaking`` (npm ``@bufbuild/buf``, pinned in tests/node) with the WIRE rule set. Schema Registry's
Protobuf serializer writes the binary wire format and accepts field renames, so WIRE (changes that break binary
encoding) is the matching category; WIRE_JSON would also reject renames, which the registry allows. For a pair
(writer, reader) we ask buf whether the reader's schema breaks against the writer's: ``buf breaking READER --against
WRITER``; the case's mode decides the pairs (BACKWARD: reader=new, writer=old; FORWARD the reverse; FULL both).

Departures, where buf's WIRE rules differ from Schema Registry's documented Protobuf rules (the verdict we give is the
registry's, because it is the registry that accepts or rejects the registration). buf is stricter on deletions,
reservations, bytes/string, enum/integer, cardinality and oneof membership; it is laxer on message types, which the
wire format does not name but the registry's serializer does (each record carries the index of its message type in
the registered schema). Every case is listed in DEPARTURES with its cause; the test asserts buf still disagrees, so a
departure that stops being one fails the suite.
"""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT, require
from schema_corpus import Case, assert_verdict, load_cases, verdict

BUF = ROOT / "tests" / "node" / "node_modules" / ".bin" / "buf"
CASES = load_cases("protobuf")
BUF_YAML = "version: v2\nbreaking:\n  use:\n    - WIRE\n"
# Why buf (WIRE) and Schema Registry disagree, by cause; buf's rule id first.
FIELD_DELETE = ("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED: buf wants a deleted field's number reserved; the registry "
                "accepts FIELD_REMOVED (and so, read forward, FIELD_ADDED) without it")
RESERVED_DELETE = ("RESERVED_MESSAGE_NO_DELETE: buf refuses dropping a reserved range; the registry does not compare "
                   "reservations")
ENUM_VALUE_DELETE = ("ENUM_VALUE_NO_DELETE_UNLESS_NUMBER_RESERVED: buf wants removed enum numbers reserved; the "
                     "registry accepts ENUM_CONST_REMOVED and ENUM_CONST_ADDED")
BYTES_TO_STRING = ("FIELD_WIRE_COMPATIBLE_TYPE: buf refuses bytes read as string (bytes need not be UTF-8); the "
                   "registry groups string and bytes as one wire kind")
ENUM_TO_INT = ("FIELD_WIRE_COMPATIBLE_TYPE: buf refuses enum <-> int32; the registry groups enums with int32, int64, "
               "uint32, uint64 and bool, as the protobuf guide does")
CARDINALITY = ("FIELD_WIRE_COMPATIBLE_CARDINALITY: buf refuses singular <-> repeated; the registry compares labels "
               "only when both are written and accepts them for string, bytes and messages")
SAME_ONEOF = ("FIELD_SAME_ONEOF: buf refuses moving a field into a oneof; the registry accepts one existing field "
              "moved into a new oneof, as the protobuf guide does")
MESSAGE_TYPES = ("WIRE has no rule on message types (the binary encoding names none); the registry rejects "
                 "MESSAGE_REMOVED, and, read forward, adding a message type, because records carry message indexes")
DEPARTURES: dict[str, str] = {
    "add-field-forward": FIELD_DELETE,
    "add-field-full": FIELD_DELETE,
    "remove-field-backward": FIELD_DELETE,
    "nested-message-field-added-full": FIELD_DELETE,
    "whole-oneof-removed-backward": FIELD_DELETE,
    "proto2-optional-field-added-full": FIELD_DELETE,
    "wkt-timestamp-field-added-full": FIELD_DELETE,
    "field-renumbered-backward": FIELD_DELETE,
    "full-transitive-fields-added": FIELD_DELETE,
    "remove-field-reserved-forward": RESERVED_DELETE,
    "number-reused-latest-only-backward": RESERVED_DELETE,
    "enum-value-added-forward": ENUM_VALUE_DELETE,
    "enum-value-removed-backward": ENUM_VALUE_DELETE,
    "string-to-bytes-full": BYTES_TO_STRING,
    "bytes-to-string-backward": BYTES_TO_STRING,
    "enum-to-int32-full": ENUM_TO_INT,
    "implicit-int32-to-repeated-backward": CARDINALITY,
    "optional-string-to-repeated-backward": CARDINALITY,
    "single-field-moved-into-new-oneof-backward": SAME_ONEOF,
    "message-removed-backward": MESSAGE_TYPES,
    "message-added-forward": MESSAGE_TYPES,
    "message-added-full": MESSAGE_TYPES,
    "forward-transitive-message-added-late": MESSAGE_TYPES,
    "default-mode-backward-message-removed": MESSAGE_TYPES,
}


def _module(root: Path, name: str, text: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "buf.yaml").write_text(BUF_YAML, encoding="utf-8")
    (folder / "schema.proto").write_text(text, encoding="utf-8")
    return folder


def buf_pair_breaks(root: Path, writer: str, reader: str) -> bool:
    """True when buf finds the reader's schema breaking against the writer's (rc 100); any other failure raises."""
    proc = subprocess.run([str(BUF), "breaking", str(_module(root, "reader", reader)), "--against",
                           str(_module(root, "writer", writer)), "--error-format", "json"],
                          check=False, capture_output=True, text=True, timeout=60, cwd=root)
    if proc.returncode not in (0, 100):
        raise RuntimeError(f"buf failed (rc {proc.returncode}): {proc.stderr or proc.stdout}")
    return proc.returncode == 100


def buf_verdict(case: Case, root: Path) -> str:
    for i, (writer, reader) in enumerate(case.pairs()):
        pair_root = root / f"{case.id}-{i}"
        pair_root.mkdir(parents=True)
        if buf_pair_breaks(pair_root, writer, reader):
            return "incompatible"
    return "compatible"


@pytest.fixture(scope="module")
def buf_verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    require(BUF.exists(), "buf is not installed (make tools installs tests/node)")
    root = tmp_path_factory.mktemp("buf")
    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = pool.map(lambda c: buf_verdict(c, root), CASES)
        return dict(zip((c.id for c in CASES), verdicts, strict=True))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert sum(1 for c in CASES if c.source and c.source.startswith("confluent")) >= 5


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_verdict_matches_registry_rules(case: Case) -> None:
    assert_verdict(case, "protobuf")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_agrees_with_buf_breaking_wire(case: Case, buf_verdicts: dict[str, str]) -> None:
    expected = case.expected if case.id not in DEPARTURES else verdict(case.expected != "compatible")
    assert buf_verdicts[case.id] == expected


def test_departures_are_corpus_cases() -> None:
    assert set(DEPARTURES) <= {c.id for c in CASES}


def test_buf_reports_a_breaking_change() -> None:
    """The oracle itself: buf sees a renumbered type change as breaking, so a silent buf cannot pass the suite."""
    require(BUF.exists(), "buf is not installed (make tools installs tests/node)")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        old = 'syntax = "proto3";\nmessage M {\n  int32 n = 1;\n}\n'
        assert buf_pair_breaks(Path(tmp), writer=old, reader=old.replace("int32", "string"))

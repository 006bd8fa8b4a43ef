"""check_schema_change as a caller uses it: input errors, format inference, modes, rollout order, fixes, knowledge."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT
from event_driven.core.schema import check_schema_change, schema_check_request
from event_driven.core.schema.request import FORMATS, MODES
from event_driven.errors import InputError
from event_driven.kb.loader import KnowledgeError, knowledge, load_knowledge
from schema_corpus import load_cases

BOOK = knowledge().schema_rules
CORE = ROOT / "server" / "event_driven" / "core" / "schema"
ORDER_V1 = {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}
ORDER_V2 = {"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"},
                                                          {"name": "note", "type": "string"}]}
PROTO_V1 = 'syntax = "proto3";\npackage shop.v1;\nimport "google/protobuf/timestamp.proto";\n' \
           "message Order {\n  string id = 1;\n  google.protobuf.Timestamp at = 2;\n}\n" \
           "message Refund {\n  string order_id = 1;\n}\nenum Kind {\n  KIND_UNSPECIFIED = 0;\n}\n"


def check(**body: object):
    return check_schema_change(schema_check_request(body), BOOK)


def errors(**body: object) -> list[dict[str, object]]:
    with pytest.raises(InputError) as info:
        check(**body)
    return [e.model_dump() for e in info.value.errors]


def test_json_parse_error_gives_line_and_column() -> None:
    [error] = errors(old_schema=ORDER_V1, new_schema='{"type": "record",\n  "name": "Order"\n  "fields": []}',
                     format="avro")
    assert error["path"] == "$.new_schema" and error["code"] == "parse_error"
    assert "line 3, column 3" in str(error["message"])


def test_proto_parse_error_gives_line_and_column() -> None:
    [error] = errors(old_schema=PROTO_V1, new_schema='syntax = "proto3";\nmessage Order {\n  string id = ;\n}\n')
    assert error["path"] == "$.new_schema" and error["code"] == "parse_error"
    assert str(error["message"]).startswith("line 3, column 15:")


def test_error_in_a_history_version_names_that_version() -> None:
    typo = {"type": "record", "name": "Order", "fields": [{"name": "a", "type": "strng"}]}
    [error] = errors(history=[ORDER_V1, typo], new_schema=ORDER_V2)
    assert error["path"] == "$.history[1].fields[0].type" and error["code"] == "unknown_target"


@pytest.mark.parametrize(("field", "value", "allowed"), [("mode", "SIDEWAYS", MODES), ("format", "xml", FORMATS)])
def test_unknown_mode_or_format_lists_the_allowed_values(field: str, value: str, allowed: tuple[str, ...]) -> None:
    [error] = errors(old_schema=ORDER_V1, new_schema=ORDER_V2, **{field: value})
    assert error["path"] == f"$.{field}" and error["code"] == "not_allowed"
    assert error["allowed"] == ", ".join(allowed)


def test_ambiguous_format_asks_for_it() -> None:
    [error] = errors(old_schema={"type": "string"}, new_schema={"type": "string"})
    assert error["path"] == "$.format" and error["allowed"] == "avro, json, protobuf"


def test_old_schema_or_history_but_not_both_nor_neither() -> None:
    assert errors(new_schema=ORDER_V2)[0]["code"] == "missing"
    assert errors(old_schema=ORDER_V1, history=[ORDER_V1], new_schema=ORDER_V2)[0]["code"] == "not_allowed"


@pytest.mark.parametrize(("old", "new", "expected"), [
    (json.dumps(ORDER_V1), json.dumps(ORDER_V2), "avro"),
    ({"type": "object", "properties": {"a": {"type": "string"}}}, {"type": "object"}, "json"),
    (PROTO_V1, PROTO_V1, "protobuf"),
])
def test_format_is_inferred_when_unambiguous(old: object, new: object, expected: str) -> None:
    result = check(old_schema=old, new_schema=new)
    assert result.format == expected and result.format_inferred


def test_default_mode_is_the_registry_default_and_says_so() -> None:
    result = check(old_schema=ORDER_V1, new_schema=ORDER_V2)
    assert result.mode == BOOK.default_mode.value == "BACKWARD" and result.mode_defaulted
    assert not result.compatible


def test_an_incompatibility_says_where_why_who_breaks_and_how_to_fix() -> None:
    [found] = check(old_schema=ORDER_V1, new_schema=ORDER_V2).incompatibilities
    assert found.rule == "avro.reader_field_missing_default" and found.location == "Order.note"
    assert found.side == "new_readers_old_data" and found.against_version == 1
    assert "Order.note" in found.fix and "default" in found.fix and "{" not in found.fix
    assert found.registry_code == "READER_FIELD_MISSING_DEFAULT_VALUE"


def test_forward_break_is_on_old_readers() -> None:
    result = check(old_schema=ORDER_V2, new_schema=ORDER_V1, mode="FORWARD")
    assert [i.side for i in result.incompatibilities] == ["old_readers_new_data"]
    assert result.rollout.upgrade_first == "producers"


@pytest.mark.parametrize(("mode", "first"), [("BACKWARD", "consumers"), ("BACKWARD_TRANSITIVE", "consumers"),
                                             ("FORWARD", "producers"), ("FORWARD_TRANSITIVE", "producers"),
                                             ("FULL", "either"), ("FULL_TRANSITIVE", "either"),
                                             ("NONE", "coordinated")])
def test_rollout_order_follows_the_mode(mode: str, first: str) -> None:
    result = check(old_schema=ORDER_V1, new_schema=ORDER_V1, mode=mode)
    assert result.rollout.upgrade_first == first and result.rollout.allows_next


def test_transitive_mode_checks_every_version_and_names_the_one_that_breaks() -> None:
    history = [
        {"type": "record", "name": "M", "fields": [{"name": "a", "type": "int"}]},
        {"type": "record", "name": "M", "fields": []},
        {"type": "record", "name": "M", "fields": [{"name": "b", "type": "int", "default": 0}]},
    ]
    new = {"type": "record", "name": "M", "fields": [{"name": "a", "type": "string", "default": ""},
                                                     {"name": "b", "type": "int", "default": 0}]}
    latest = check(history=history, new_schema=new, mode="BACKWARD")
    transitive = check(history=history, new_schema=new, mode="backward_transitive")
    assert latest.compatible and latest.versions_checked == [3] and latest.new_version == 4
    assert not transitive.compatible and transitive.versions_checked == [1, 2, 3]
    assert [i.against_version for i in transitive.incompatibilities] == [1]
    assert "BACKWARD" in transitive.compatible_modes and "BACKWARD_TRANSITIVE" not in transitive.compatible_modes


def test_protobuf_with_several_messages_and_well_known_types() -> None:
    new = PROTO_V1.replace("string order_id = 1;", "int64 order_id = 1;")
    [found] = check(old_schema=PROTO_V1, new_schema=new, mode="FULL").incompatibilities[:1]
    assert found.rule == "protobuf.field_scalar_kind_changed" and found.location == "Refund field 1"
    assert "reserve 1" in found.fix


def test_protobuf_unknown_type_without_import_is_an_input_error() -> None:
    text = 'syntax = "proto3";\nmessage A {\n  Missing m = 1;\n}\n'
    [error] = errors(old_schema=text, new_schema=text)
    assert error["code"] == "unknown_target" and "Missing" in str(error["message"])


def test_none_mode_accepts_and_cites_its_source() -> None:
    result = check(old_schema=ORDER_V2, new_schema={"type": "record", "name": "Order", "fields": []}, mode="NONE")
    assert result.compatible and result.versions_checked == []
    assert result.sources == [BOOK.modes["NONE"].source]
    assert result.sources[0].startswith("https://docs.confluent.io/")


def test_every_rule_the_code_reports_is_in_the_knowledge_and_every_known_rule_is_checked() -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in CORE.glob("*.py"))
    in_code = set(re.findall(r'"((?:avro|json|protobuf)\.[a-z_]+)"', code))
    known = {r.id for r in BOOK.rules}
    assert in_code <= known, in_code - known
    assert known <= in_code, known - in_code


def test_every_fix_template_names_only_values_findings_fill() -> None:
    fillable = {"field", "writer_type", "reader_type", "symbols", "writer_name", "reader_name", "writer_size",
                "reader_size", "keyword", "values", "number", "oneof", "writer_package", "reader_package"}
    for rule in BOOK.rules:
        for template in (rule.fix.backward, rule.fix.forward):
            assert set(re.findall(r"(?<!\{)\{([a-z_]+)\}(?!\})", template)) <= fillable, rule.id


def test_draft4_exclusive_flags_parse_and_draft6_limits_compare() -> None:
    # Confluent compares maximum and the draft-06 exclusive limit; a draft-04 flag is not one of its differences.
    draft4 = {"type": "number", "maximum": 10, "exclusiveMaximum": True}
    assert check(old_schema={"type": "number", "maximum": 10}, new_schema=draft4, format="json").compatible
    draft6 = {"type": "number", "exclusiveMaximum": 10}
    [found] = check(old_schema={"type": "number"}, new_schema=draft6, format="json").incompatibilities
    assert found.registry_code == "EXCLUSIVE_MAXIMUM_ADDED" and found.rule == "json.constraint_tightened"


def test_the_rule_book_cites_sources_by_known_id_only(tmp_path: Path) -> None:
    import shutil

    folder = ROOT / "knowledge"
    shutil.copytree(folder, tmp_path, dirs_exist_ok=True)
    text = (folder / "schema_rules.yaml").read_text(encoding="utf-8")
    for bad in ("nowhere-at-all", "https://example.com/rule"):
        (tmp_path / "schema_rules.yaml").write_text(text.replace("source: avro-spec-schema-resolution",
                                                                 f"source: {bad}", 1), encoding="utf-8")
        with pytest.raises(KnowledgeError, match="sources.yaml"):
            load_knowledge(tmp_path)


def test_corpus_cases_cite_known_sources() -> None:
    from event_driven.kb.loader import SOURCES_FILE, load_file
    from event_driven.kb.sources import SourceBook

    book = load_file(ROOT / "knowledge" / SOURCES_FILE, SourceBook)
    for name in ("avro", "json", "protobuf"):
        for case in load_cases(name):
            assert case.source is None or case.source in book.sources, (name, case.id, case.source)

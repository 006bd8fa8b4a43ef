"""core/schema/proto_parser.py reads every .proto the same way as proto-schema-parser, a maintained ANTLR parser.

Both parse every Protobuf corpus file and a set of files with the syntax the compatibility check skips (options with
aggregate values, comments, services, extend blocks, reserved and extensions ranges, proto2 groups, editions); the
declarations that matter (package, imports, messages, fields with number, name, type, label and oneof, maps, enums)
must come out identical. Syntax errors must name the line and column.
"""

from __future__ import annotations

import pytest
from proto_schema_parser import ast
from proto_schema_parser.parser import Parser

from event_driven.core.schema.proto_parser import ProtoSyntaxError, RawMessage, parse_proto
from schema_corpus import load_cases

Decl = tuple[str, tuple[str, ...], tuple[tuple[str, tuple[tuple[object, ...], ...]], ...], tuple[str, ...]]

VARIETY = [
    '''// leading comment
syntax = "proto3";
/* block
   comment */
package acme.billing.v2;
import public "google/protobuf/timestamp.proto";
import weak "google/protobuf/any.proto";
option java_package = "com.acme.billing";
option (my.file_opt) = { a: 1; b: "x" nested { c: [1, 2] } };
message Invoice {
  option deprecated = true;
  reserved 4, 8 to 10, 20 to max;
  reserved "old", "older";
  string id = 1 [json_name = "invoiceId", (validate.rules).string = {min_len: 1}];
  optional int64 cents = 2;
  repeated .acme.billing.v2.Invoice.Line lines = 3;
  map<string, google.protobuf.Timestamp> stamps = 5;
  oneof payer {
    option (oneof_opt) = true;
    string person = 6;
    Company company = 7;
  }
  message Line { string sku = 1; uint32 qty = 2;
    enum Unit { UNIT_UNSPECIFIED = 0; UNIT_KG = 1 [deprecated = true]; } Unit unit = 3; }
  enum Status { option allow_alias = true; STATUS_UNSPECIFIED = 0; STATUS_OPEN = 1; STATUS_ALSO_OPEN = 1; reserved 5; }
  Status status = 9;
  ;
}
message Company { string name = 1; }
service Billing {
  option (svc) = "x";
  rpc Get(Invoice) returns (Invoice) { option idempotency_level = NO_SIDE_EFFECTS; }
  rpc Stream(stream Invoice) returns (stream Invoice);
}
''',
    '''syntax = "proto2";
package legacy;
message Order {
  required string id = 1;
  optional int32 qty = 2 [default = -1];
  repeated group Item = 3 {
    required string sku = 4;
  }
  extensions 100 to 199;
  extend Order { optional string note = 150; }
}
extend Order { optional int32 extra = 160; }
enum Color { RED = 0; GREEN = -1; }
''',
    '''edition = "2023";
package ed;
message M {
  string a = 1 [features.field_presence = IMPLICIT];
  message N { int32 b = 1; }
  N n = 2;
}
''',
]


def _ours(text: str) -> Decl:
    raw = parse_proto(text)
    messages: list[tuple[str, tuple[tuple[object, ...], ...]]] = []
    enums: list[str] = list(raw.enums)

    def walk(message: RawMessage, scope: str) -> None:
        name = f"{scope}.{message.name}" if scope else message.name
        fields = tuple(sorted((f.number, f.name, f.type, f.label, f.oneof, f.key_type, f.value_type)
                              for f in message.fields))
        messages.append((name, fields))
        enums.extend(f"{name}.{e}" for e in message.enums)
        for nested in message.messages:
            walk(nested, name)

    for message in raw.messages:
        walk(message, "")
    return raw.package, tuple(raw.imports), tuple(sorted(messages)), tuple(sorted(enums))


def _field(element: object, oneof: str | None) -> tuple[object, ...] | None:
    if isinstance(element, ast.Field):
        label = element.cardinality.value.lower() if element.cardinality else None
        return element.number, element.name, element.type, label, oneof, None, None
    if isinstance(element, ast.MapField):
        return element.number, element.name, "map", None, oneof, element.key_type, element.value_type
    if isinstance(element, ast.Group):
        label = element.cardinality.value.lower() if element.cardinality else None
        return element.number, element.name.lower(), element.name, label, oneof, None, None
    return None


def _theirs(text: str) -> Decl:
    tree = Parser().parse(text)
    package = next((e.name for e in tree.file_elements if isinstance(e, ast.Package)), "")
    imports = tuple(e.name for e in tree.file_elements if isinstance(e, ast.Import))
    messages: list[tuple[str, tuple[tuple[object, ...], ...]]] = []
    enums: list[str] = []

    def walk(elements: list[object], scope: str) -> None:
        for element in elements:
            if isinstance(element, (ast.Message, ast.Group)):
                name = f"{scope}.{element.name}" if scope else element.name
                fields: list[tuple[object, ...]] = []
                for member in element.elements:
                    inner = member.elements if isinstance(member, ast.OneOf) else [member]
                    oneof = member.name if isinstance(member, ast.OneOf) else None
                    fields.extend(f for f in (_field(m, oneof) for m in inner) if f is not None)
                messages.append((name, tuple(sorted(fields, key=repr))))
                walk(list(element.elements), name)
            elif isinstance(element, ast.Enum):
                enums.append(f"{scope}.{element.name}" if scope else element.name)

    walk(list(tree.file_elements), "")
    return package, imports, tuple(sorted(messages)), tuple(sorted(enums))


def _corpus_texts() -> list[str]:
    texts: list[str] = []
    for case in load_cases("protobuf"):
        for text in [*case.versions, case.new]:
            if text not in texts:
                texts.append(text)
    return texts


TEXTS = _corpus_texts() + VARIETY


@pytest.mark.parametrize("text", TEXTS, ids=[f"proto{i}" for i in range(len(TEXTS))])
def test_same_declarations_as_proto_schema_parser(text: str) -> None:
    ours, theirs = _ours(text), _theirs(text)
    assert ours[0:2] == theirs[0:2]
    assert [(n, tuple(sorted(f, key=repr))) for n, f in ours[2]] == list(theirs[2])
    assert ours[3] == theirs[3]


@pytest.mark.parametrize(("text", "where"), [
    ('syntax = "proto3";\nmessage A {\n  string x = ;\n}\n', "line 3, column 14:"),
    ("message A {\n  string x = 1;\n", "line 3, column 1:"),
    ("message A {\n  string x = 1 [deprecated = true;\n}\n", "line 4, column 1:"),
    ("message A { string x = 1; } @", "line 1, column 29:"),
    ('syntax = "proto3";\nmessag A {}\n', "line 2, column 1:"),
])
def test_syntax_errors_name_line_and_column(text: str, where: str) -> None:
    with pytest.raises(ProtoSyntaxError) as info:
        parse_proto(text)
    assert str(info.value).startswith(where)

"""Protobuf: parse .proto text (several messages, nested types, maps, oneofs, imports) into what compatibility needs.

Parsing is proto-schema-parser's (an ANTLR grammar of proto2, proto3 and editions); a syntax error becomes an
InputError with the parser's line and column. Types are then resolved the way protoc scopes them, innermost first;
a type no file element defines must come from an import (the well-known types among them) and is compared by name.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from antlr4.error.ErrorListener import ErrorListener
from proto_schema_parser import ast
from proto_schema_parser.parser import Parser

from event_driven.errors import ErrorCode, InputError, field_error

SCALARS = frozenset({"double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
                     "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes"})


@dataclass(frozen=True)
class ProtoType:
    kind: str  # scalar, enum, message, map
    name: str  # scalar name, or the type's name relative to the package (fully qualified when imported)
    key: ProtoType | None = None
    value: ProtoType | None = None

    def display(self) -> str:
        if self.kind == "map" and self.key and self.value:
            return f"map<{self.key.display()}, {self.value.display()}>"
        return self.name


@dataclass
class ProtoField:
    number: int
    name: str
    type: ProtoType
    label: str | None  # optional, required, repeated, or None (proto3 implicit presence)
    oneof: str | None = None


@dataclass
class ProtoMessage:
    name: str  # relative to the package, nested names dotted: Order.Item
    fields: dict[int, ProtoField] = field(default_factory=dict)


@dataclass
class ProtoFile:
    package: str
    messages: dict[str, ProtoMessage]
    enums: frozenset[str]
    imports: tuple[str, ...]


class _ProtoProblem(Exception):
    """A syntax or type error, before it is placed at a request path."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message


class _RaiseOnSyntaxError(ErrorListener):
    def syntaxError(self, recognizer: object, offendingSymbol: object, line: int, column: int, msg: str,
                    e: object) -> None:
        raise _ProtoProblem("parse_error", f"line {line}, column {column + 1}: {msg}")


def parse_protobuf(schema: object, path: str) -> ProtoFile:
    """A .proto file's messages with resolved field types; syntax and type errors are InputErrors at ``path``."""
    if not isinstance(schema, str):
        raise InputError(field_error(path, "wrong_type", "a Protobuf schema is .proto text"))
    try:
        return _parse_text(schema)
    except _ProtoProblem as problem:
        raise InputError(field_error(path, problem.code, problem.message)) from None


@functools.lru_cache(maxsize=256)
def _parse_text(text: str) -> ProtoFile:
    # Cached: a subject's history is re-checked with every new version, and the ANTLR parse is the costly part.
    listener = _RaiseOnSyntaxError()

    def quiet(recognizer: object) -> None:
        recognizer.removeErrorListeners()  # type: ignore[attr-defined]
        recognizer.addErrorListener(listener)  # type: ignore[attr-defined]

    tree = Parser(setup_lexer=quiet, setup_parser=quiet).parse(text)
    package = next((e.name for e in tree.file_elements if isinstance(e, ast.Package)), "")
    imports = tuple(e.name for e in tree.file_elements if isinstance(e, ast.Import))
    raw: dict[str, ast.Message] = {}
    enums: set[str] = set()
    _collect(tree.file_elements, "", raw, enums)
    scope = _Scope(package, raw, frozenset(enums), imports)
    messages = {name: _message(name, msg, scope) for name, msg in raw.items()}
    return ProtoFile(package=package, messages=messages, enums=frozenset(enums), imports=imports)


def _collect(elements: Sequence[object], scope: str, messages: dict[str, ast.Message], enums: set[str]) -> None:
    for element in elements:
        if isinstance(element, ast.Message):
            name = f"{scope}.{element.name}" if scope else element.name
            messages[name] = element
            _collect(element.elements, name, messages, enums)
        elif isinstance(element, ast.Enum):
            enums.add(f"{scope}.{element.name}" if scope else element.name)


@dataclass(frozen=True)
class _Scope:
    """What a type name can resolve to in one file."""

    package: str
    messages: dict[str, ast.Message]
    enums: frozenset[str]
    imports: tuple[str, ...]

    def resolve(self, type_name: str, scope: str, field_name: str) -> ProtoType:
        if type_name in SCALARS:
            return ProtoType("scalar", type_name)
        name = type_name.lstrip(".")
        if self.package and name.startswith(self.package + "."):
            name = name[len(self.package) + 1:]
        parts = scope.split(".")
        absolute = type_name.startswith(".")
        candidates = [name] if absolute else [".".join(parts[:i] + [name]) for i in range(len(parts), -1, -1)]
        for candidate in candidates:
            if candidate in self.messages:
                return ProtoType("message", candidate)
            if candidate in self.enums:
                return ProtoType("enum", candidate)
        if self.imports:
            return ProtoType("message", type_name.lstrip("."))  # imported (google.protobuf.Timestamp...): by name
        raise _ProtoProblem("unknown_target",
                            f"{scope}.{field_name}: type {type_name!r} is not defined and nothing is imported")


def _message(name: str, message: ast.Message, scope: _Scope) -> ProtoMessage:
    out = ProtoMessage(name=name)
    for element in message.elements:
        members = element.elements if isinstance(element, ast.OneOf) else [element]
        oneof = element.name if isinstance(element, ast.OneOf) else None
        for member in members:
            if isinstance(member, ast.Field):
                label = member.cardinality.value.lower() if member.cardinality else None
                ftype = scope.resolve(member.type, name, member.name)
                out.fields[member.number] = ProtoField(member.number, member.name, ftype, label, oneof)
            elif isinstance(member, ast.MapField):
                mtype = ProtoType("map", "map", scope.resolve(member.key_type, name, member.name),
                                  scope.resolve(member.value_type, name, member.name))
                out.fields[member.number] = ProtoField(member.number, member.name, mtype, None, oneof)
    return out

"""Protobuf: parse .proto text (several messages, nested types, maps, oneofs, imports) into what compatibility needs.

Parsing is ``proto_parser``'s; a syntax error becomes an InputError with the parser's line and column. Types are then
resolved the way protoc scopes them, innermost first; a type no file element defines must come from an import (the
well-known types among them) and is compared by name.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from event_driven.core.schema.proto_parser import ProtoSyntaxError, RawMessage, parse_proto
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
    # Cached: a subject's history is re-checked with every new version, and the same texts come back.
    try:
        raw = parse_proto(text)
    except ProtoSyntaxError as exc:
        raise _ProtoProblem("parse_error", str(exc)) from None
    messages: dict[str, RawMessage] = {}
    enums: set[str] = set()
    _collect(raw.messages, raw.enums, "", messages, enums)
    scope = _Scope(raw.package, messages, frozenset(enums), tuple(raw.imports))
    resolved = {name: _message(name, msg, scope) for name, msg in messages.items()}
    return ProtoFile(package=raw.package, messages=resolved, enums=frozenset(enums), imports=tuple(raw.imports))


def _collect(messages: list[RawMessage], enum_names: list[str], scope: str, out: dict[str, RawMessage],
             enums: set[str]) -> None:
    for enum in enum_names:
        enums.add(f"{scope}.{enum}" if scope else enum)
    for message in messages:
        name = f"{scope}.{message.name}" if scope else message.name
        out[name] = message
        _collect(message.messages, message.enums, name, out, enums)


@dataclass(frozen=True)
class _Scope:
    """What a type name can resolve to in one file."""

    package: str
    messages: dict[str, RawMessage]
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


def _message(name: str, message: RawMessage, scope: _Scope) -> ProtoMessage:
    out = ProtoMessage(name=name)
    for raw in message.fields:
        if raw.type == "map" and raw.key_type and raw.value_type:
            ftype = ProtoType("map", "map", scope.resolve(raw.key_type, name, raw.name),
                              scope.resolve(raw.value_type, name, raw.name))
        else:
            ftype = scope.resolve(raw.type, name, raw.name)
        out.fields[raw.number] = ProtoField(raw.number, raw.name, ftype, raw.label, raw.oneof)
    return out

"""Avro: parse a schema (JSON text or value) and apply the specification's reader/writer resolution rules.

Schema Registry checks Avro with Avro's own schema-resolution rules (a reader can read a writer's data when every
field it needs is present or defaulted, every type matches or is promoted, every enum symbol and union branch is
known), so these are the rules here, with Avro's incompatibility names as registry codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from event_driven.core.schema.findings import Finding
from event_driven.core.schema.json_text import json_value
from event_driven.errors import InputError, echo, field_error

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
# reader kind -> writer kinds it can read by promotion (Avro specification, "Schema Resolution").
PROMOTIONS: dict[str, frozenset[str]] = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}


@dataclass(eq=False)
class AvroField:
    name: str
    type: AvroNode
    has_default: bool
    aliases: tuple[str, ...] = ()


@dataclass(eq=False)
class AvroNode:
    """One Avro type. Named types are shared objects, so a recursive record refers to itself."""

    kind: str  # a primitive name, or record, enum, fixed, array, map, union
    fullname: str | None = None
    aliases: tuple[str, ...] = ()
    fields: list[AvroField] = field(default_factory=list)
    symbols: tuple[str, ...] = ()
    default_symbol: str | None = None
    size: int | None = None
    items: AvroNode | None = None
    branches: list[AvroNode] = field(default_factory=list)

    @property
    def short_name(self) -> str:
        return (self.fullname or self.kind).rsplit(".", 1)[-1]

    def display(self) -> str:
        if self.fullname:
            return self.fullname
        if self.kind == "array" and self.items:
            return f"array<{self.items.display()}>"
        if self.kind == "map" and self.items:
            return f"map<{self.items.display()}>"
        if self.kind == "union":
            return "[" + ", ".join(b.display() for b in self.branches) + "]"
        return self.kind


def parse_avro(schema: object, path: str) -> AvroNode:
    """An Avro schema from JSON text or a parsed value; problems are InputErrors at ``path`` inside the schema."""
    if isinstance(schema, str) and _NAME.fullmatch(schema.strip()):
        return _Parser().parse(schema.strip(), path, namespace=None)  # a bare type name: "string", "com.x.Order"
    return _Parser().parse(json_value(schema, path), path, namespace=None)


def _qualify(name: str, namespace: str | None) -> str:
    return name if "." in name or not namespace else f"{namespace}.{name}"


class _Parser:
    def __init__(self) -> None:
        self.named: dict[str, AvroNode] = {}

    def parse(self, value: object, path: str, namespace: str | None) -> AvroNode:
        if isinstance(value, str):
            return self._reference(value, path, namespace)
        if isinstance(value, list):
            branches = [self.parse(v, f"{path}[{i}]", namespace) for i, v in enumerate(value)]
            return AvroNode(kind="union", branches=branches)
        if not isinstance(value, dict):
            raise InputError(field_error(path, "wrong_type", f"an Avro schema is a string, an array or an object, "
                                         f"got {echo(value)}"))
        kind = value.get("type")
        if isinstance(kind, (dict, list)):
            return self.parse(kind, f"{path}.type", namespace)
        if not isinstance(kind, str):
            raise InputError(field_error(path + ".type", "missing", "every Avro schema object needs a \"type\""))
        if kind in PRIMITIVES:
            return AvroNode(kind=kind)
        if kind in NAMED:
            return self._named(value, kind, path, namespace)
        if kind in ("array", "map"):
            key = "items" if kind == "array" else "values"
            if key not in value:
                raise InputError(field_error(f"{path}.{key}", "missing", f"an Avro {kind} needs \"{key}\""))
            return AvroNode(kind=kind, items=self.parse(value[key], f"{path}.{key}", namespace))
        return self._reference(kind, path + ".type", namespace)

    def _reference(self, name: str, path: str, namespace: str | None) -> AvroNode:
        if name in PRIMITIVES:
            return AvroNode(kind=name)
        for candidate in (_qualify(name, namespace), name):
            if candidate in self.named:
                return self.named[candidate]
        known = sorted(PRIMITIVES | set(self.named))
        raise InputError(field_error(path, "unknown_target", f"unknown Avro type {echo(name)}", ", ".join(known)))

    def _named(self, value: dict[str, object], kind: str, path: str, namespace: str | None) -> AvroNode:
        name = value.get("name")
        if not isinstance(name, str) or not name:
            raise InputError(field_error(path + ".name", "missing", f"an Avro {kind} needs a \"name\""))
        space = value.get("namespace")
        dotted_space = name.rsplit(".", 1)[0] if "." in name else namespace
        own_space = space if isinstance(space, str) and space else dotted_space
        fullname = _qualify(name, own_space)
        if fullname in self.named:
            raise InputError(field_error(path + ".name", "not_allowed", f"Avro type {fullname!r} is defined twice"))
        aliases = tuple(_qualify(a, own_space) for a in _strings(value.get("aliases"), path + ".aliases"))
        node = AvroNode(kind="record" if kind == "error" else kind, fullname=fullname, aliases=aliases)
        self.named[fullname] = node
        if kind == "enum":
            node.symbols = tuple(_strings(value.get("symbols"), path + ".symbols", required=True))
            default = value.get("default")
            node.default_symbol = default if isinstance(default, str) else None
        elif kind == "fixed":
            size = value.get("size")
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise InputError(field_error(path + ".size", "wrong_type", "an Avro fixed needs an integer \"size\""))
            node.size = size
        else:
            node.fields = self._fields(value.get("fields"), path + ".fields", own_space)
        return node

    def _fields(self, raw: object, path: str, namespace: str | None) -> list[AvroField]:
        if not isinstance(raw, list):
            raise InputError(field_error(path, "missing", "an Avro record needs a \"fields\" array"))
        out: list[AvroField] = []
        for i, item in enumerate(raw):
            where = f"{path}[{i}]"
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise InputError(field_error(where, "wrong_type", "an Avro field is an object with a \"name\""))
            if "type" not in item:
                raise InputError(field_error(where + ".type", "missing", f"field {item['name']!r} needs a \"type\""))
            ftype = self.parse(item["type"], where + ".type", namespace)
            aliases = tuple(_strings(item.get("aliases"), where + ".aliases"))
            out.append(AvroField(name=item["name"], type=ftype, has_default="default" in item, aliases=aliases))
        return out


def _strings(raw: object, path: str, required: bool = False) -> list[str]:
    if raw is None and not required:
        return []
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise InputError(field_error(path, "wrong_type", "expected an array of strings"))
    return list(raw)


class AvroChecker:
    """Can a reader on ``reader`` read what ``writer`` writes? Memoised per pair, so recursive types terminate."""

    def __init__(self) -> None:
        self._memo: dict[tuple[int, int], list[Finding]] = {}

    def breaks(self, reader: AvroNode, writer: AvroNode, location: str) -> list[Finding]:
        if reader.kind == writer.kind and reader.kind in PRIMITIVES:
            return []  # the common case, before any bookkeeping
        key = (id(reader), id(writer))
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = []  # in progress: a recursive reference is assumed compatible, as Avro does
        found = self._compare(reader, writer, location)
        self._memo[key] = found
        return found

    def _compare(self, reader: AvroNode, writer: AvroNode, location: str) -> list[Finding]:
        if reader.kind == writer.kind:
            return self._same_kind(reader, writer, location)
        if writer.kind == "union":
            return [f for branch in writer.branches for f in self.breaks(reader, branch, location)]
        if writer.kind in PROMOTIONS.get(reader.kind, ()):
            return []
        if reader.kind == "union":
            # A branch of the writer's own kind first: it is the likely match and spares failed trials.
            branches = sorted(reader.branches, key=lambda b: b.kind != writer.kind)
            if any(not self.breaks(branch, writer, location) for branch in branches):
                return []
            return [_missing_branch(reader, writer, location)]
        return [Finding("avro.type_mismatch", location,
                        f"{location}: a reader of {reader.display()} cannot read {writer.display()}",
                        "TYPE_MISMATCH", {"field": location, "reader_type": reader.display(),
                                          "writer_type": writer.display()})]

    def _same_kind(self, reader: AvroNode, writer: AvroNode, location: str) -> list[Finding]:
        if reader.kind in ("array", "map") and reader.items and writer.items:
            suffix = "[]" if reader.kind == "array" else "{}"
            return self.breaks(reader.items, writer.items, location + suffix)
        if reader.kind == "union":
            return [_missing_branch(reader, branch, location) for branch in writer.branches
                    if self.breaks(reader, branch, location)]
        if reader.kind not in ("record", "enum", "fixed"):
            return []
        found = _name_check(reader, writer, location)
        if reader.kind == "fixed" and reader.size != writer.size:
            found.append(Finding("avro.fixed_size_mismatch", location,
                                 f"{location}: fixed size {writer.size} read as {reader.size}", "FIXED_SIZE_MISMATCH",
                                 {"field": location, "reader_size": str(reader.size),
                                  "writer_size": str(writer.size)}))
        elif reader.kind == "enum":
            found.extend(_enum_check(reader, writer, location))
        elif reader.kind == "record":
            found.extend(self._fields(reader, writer, location))
        return found

    def _fields(self, reader: AvroNode, writer: AvroNode, location: str) -> list[Finding]:
        by_name = {f.name: f for f in writer.fields}
        found: list[Finding] = []
        for rfield in reader.fields:
            where = f"{location}.{rfield.name}"
            wfield = next((by_name[n] for n in (rfield.name, *rfield.aliases) if n in by_name), None)
            if wfield is not None:
                found.extend(self.breaks(rfield.type, wfield.type, where))
            elif not rfield.has_default:
                found.append(Finding("avro.reader_field_missing_default", where,
                                     f"{where}: the reader needs this field, the writer's data lacks it and the "
                                     "reader's field has no default", "READER_FIELD_MISSING_DEFAULT_VALUE",
                                     {"field": where}))
        return found


def _name_check(reader: AvroNode, writer: AvroNode, location: str) -> list[Finding]:
    if reader.short_name == writer.short_name or writer.fullname in reader.aliases:
        return []
    return [Finding("avro.name_mismatch", location,
                    f"{location}: {reader.kind} {reader.fullname} cannot read {writer.fullname}", "NAME_MISMATCH",
                    {"field": location, "reader_name": str(reader.fullname), "writer_name": str(writer.fullname)})]


def _enum_check(reader: AvroNode, writer: AvroNode, location: str) -> list[Finding]:
    missing = [s for s in writer.symbols if s not in reader.symbols]
    if not missing or (reader.default_symbol and reader.default_symbol in reader.symbols):
        return []
    symbols = ", ".join(missing)
    return [Finding("avro.missing_enum_symbols", location,
                    f"{location}: the reader's enum lacks {symbols} and has no default symbol", "MISSING_ENUM_SYMBOLS",
                    {"field": location, "symbols": symbols})]


def _missing_branch(reader: AvroNode, writer: AvroNode, location: str) -> Finding:
    return Finding("avro.missing_union_branch", location,
                   f"{location}: the reader's {reader.display()} has no branch for {writer.display()}",
                   "MISSING_UNION_BRANCH", {"field": location, "writer_type": writer.display(),
                                            "reader_type": reader.display()})


def avro_breaks(writer: AvroNode, reader: AvroNode) -> list[Finding]:
    """Every rule broken when a reader on ``reader`` meets data written with ``writer``."""
    return AvroChecker().breaks(reader, writer, reader.short_name if reader.fullname else reader.kind)

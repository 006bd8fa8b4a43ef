"""Confluent's Protobuf comparison, keeping only the differences it does not list as compatible.

Fields are matched by number, never by name (renaming is compatible; the number is what is on the wire). Scalars are
grouped by wire encoding as the protobuf guide groups them; a change inside a group is compatible. Messages and
enums are matched by name relative to the package. Adding or removing optional fields, messages' enums and enum
values are compatible for Schema Registry; removing a message type is not (so, read forward, neither is adding one).
"""

from __future__ import annotations

from event_driven.core.schema.findings import Finding
from event_driven.core.schema.protobuf import ProtoField, ProtoFile, ProtoMessage, ProtoType

# Scalars that read each other's wire encoding (enums count as general numbers).
SCALAR_KIND: dict[str, str] = {
    **dict.fromkeys(("int32", "int64", "uint32", "uint64", "bool"), "general_number"),
    **dict.fromkeys(("sint32", "sint64"), "signed_number"),
    **dict.fromkeys(("string", "bytes"), "string_or_bytes"),
    **dict.fromkeys(("fixed32", "sfixed32"), "fixed32"),
    **dict.fromkeys(("fixed64", "sfixed64"), "fixed64"),
    "float": "float",
    "double": "double",
}


def _kind(ptype: ProtoType) -> str:
    return "scalar" if ptype.kind in ("scalar", "enum") else ptype.kind


def _scalar_kind(ptype: ProtoType) -> str:
    return "general_number" if ptype.kind == "enum" else SCALAR_KIND[ptype.name]


def protobuf_breaks(writer: ProtoFile, reader: ProtoFile) -> list[Finding]:
    """Every incompatible difference when ``writer``'s data meets readers on ``reader`` (original -> update)."""
    found: list[Finding] = []
    if writer.package != reader.package:
        found.append(Finding("protobuf.package_changed", "package", f"package {writer.package!r} -> "
                             f"{reader.package!r}", "PACKAGE_CHANGED",
                             {"writer_package": writer.package, "reader_package": reader.package}))
    for name, message in writer.messages.items():
        other = reader.messages.get(name)
        if other is None:
            found.append(Finding("protobuf.message_removed", name, f"message {name} is missing from the reader's "
                                 "schema", "MESSAGE_REMOVED", {"field": name}))
        else:
            found.extend(_message(message, other))
    return found


def _message(writer: ProtoMessage, reader: ProtoMessage) -> list[Finding]:
    found = _oneof_moves(writer, reader)
    for number in sorted(writer.fields.keys() | reader.fields.keys()):
        before, after = writer.fields.get(number), reader.fields.get(number)
        where = f"{writer.name} field {number}"
        if after is None and before is not None:
            found.extend(_removed(reader, before, where))
        elif before is None and after is not None:
            if after.label == "required":
                found.append(_at(after, "protobuf.required_field_added", where, "REQUIRED_FIELD_ADDED",
                                 f"required field {after.name} = {number} is new"))
        elif before is not None and after is not None:
            found.extend(_field(before, after, where))
    return found


def _removed(reader: ProtoMessage, before: ProtoField, where: str) -> list[Finding]:
    if before.label == "required":
        return [_at(before, "protobuf.required_field_removed", where, "REQUIRED_FIELD_REMOVED",
                    f"required field {before.name} = {before.number} was removed")]
    if before.oneof is not None and any(f.oneof == before.oneof for f in reader.fields.values()):
        # Removing a whole oneof is compatible; removing one member of a oneof that stays is not.
        return [_at(before, "protobuf.oneof_field_removed", where, "ONEOF_FIELD_REMOVED",
                    f"field {before.name} = {before.number} was removed from oneof {before.oneof}")]
    return []


def _oneof_moves(writer: ProtoMessage, reader: ProtoMessage) -> list[Finding]:
    found: list[Finding] = []
    for oneof in sorted({f.oneof for f in reader.fields.values() if f.oneof}):
        members = [f for f in reader.fields.values() if f.oneof == oneof]
        moved = [m for m in members if m.number in writer.fields and writer.fields[m.number].oneof is None]
        existing = [m for m in members if m.number in writer.fields and writer.fields[m.number].oneof is not None]
        where = f"{reader.name}.{oneof}"
        if len(moved) > 1:
            code, detail = "MULTIPLE_FIELDS_MOVED_TO_ONEOF", ", ".join(str(m.number) for m in moved)
        elif moved and existing:
            code, detail = "FIELD_MOVED_TO_EXISTING_ONEOF", str(moved[0].number)
        else:
            continue
        found.append(Finding("protobuf.fields_moved_into_oneof", where, f"fields {detail} moved into oneof {oneof}",
                             code, {"field": where, "oneof": oneof, "number": detail}))
    return found


def _field(before: ProtoField, after: ProtoField, where: str) -> list[Finding]:
    found = _types(before, before.type, after.type, where)
    # Confluent compares labels only when both are written; string, bytes and messages read either cardinality.
    labels_changed = bool(before.label and after.label and before.label != after.label)
    numeric = _kind(before.type) == "scalar" and _scalar_kind(before.type) != "string_or_bytes"
    if not found and labels_changed and numeric:
        found.append(_at(before, "protobuf.field_numeric_label_changed", where, "FIELD_NUMERIC_LABEL_CHANGED",
                         f"{before.label} {before.type.display()} -> {after.label}"))
    return found


def _types(before: ProtoField, old: ProtoType, new: ProtoType, where: str) -> list[Finding]:
    params = {"writer_type": old.display(), "reader_type": new.display()}
    if _kind(old) != _kind(new):
        return [_at(before, "protobuf.field_kind_changed", where, "FIELD_KIND_CHANGED",
                    f"{old.display()} -> {new.display()}", params)]
    if _kind(old) == "scalar" and _scalar_kind(old) != _scalar_kind(new):
        return [_at(before, "protobuf.field_scalar_kind_changed", where, "FIELD_SCALAR_KIND_CHANGED",
                    f"{old.display()} -> {new.display()}", params)]
    if old.kind == "message" and old.name != new.name:
        return [_at(before, "protobuf.field_named_type_changed", where, "FIELD_NAMED_TYPE_CHANGED",
                    f"{old.display()} -> {new.display()}", params)]
    if old.kind == "map" and old.key and new.key and old.value and new.value:
        return _types(before, old.key, new.key, where + " key") + _types(before, old.value, new.value, where)
    return []


def _at(field: ProtoField, rule: str, where: str, code: str, detail: str,
        params: dict[str, str] | None = None) -> Finding:
    return Finding(rule, where, f"{where} ({field.name}): {detail}", code,
                   {"field": where, "number": str(field.number), "oneof": field.oneof or "", **(params or {})})

"""A small .proto parser: the declarations compatibility depends on, with line and column on every syntax error.

It reads proto2, proto3 and editions files: package, imports, messages (nested), enums, fields with labels and
options, maps, oneofs, proto2 groups; option statements, reserved and extensions ranges, services and extend blocks
are checked for balance and skipped, since they do not change what a reader can decode. Hand-written because the
ANTLR-based parser on PyPI (proto-schema-parser) costs about 20 ms per 200-field file, ten times the check's budget
for a history; the test suite still parses every corpus file with it and compares the results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\f\v]+|\n)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<number>(?:0[xX][0-9A-Fa-f]+|\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<symbol>[{}\[\]()<>;,=.:+\-/])
""", re.VERBOSE | re.DOTALL)
LABELS = frozenset({"optional", "required", "repeated"})


class ProtoSyntaxError(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(f"line {line}, column {column}: {message}")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # string, number, ident, symbol, eof
    text: str
    offset: int


@dataclass
class RawField:
    name: str
    number: int
    type: str  # a scalar or type name as written; "map" for maps
    label: str | None
    oneof: str | None = None
    key_type: str | None = None
    value_type: str | None = None


@dataclass
class RawMessage:
    name: str
    fields: list[RawField] = field(default_factory=list)
    messages: list[RawMessage] = field(default_factory=list)
    enums: list[str] = field(default_factory=list)


@dataclass
class RawFile:
    package: str = ""
    imports: list[str] = field(default_factory=list)
    messages: list[RawMessage] = field(default_factory=list)
    enums: list[str] = field(default_factory=list)


def tokenize(text: str) -> list[Token]:
    """Tokens with their offsets (line and column are worked out only for an error); 3 end-of-file tokens close it."""
    tokens: list[Token] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        if match.start() != pos:
            raise _error_at(text, pos, f"unexpected character {text[pos]!r}")
        kind = match.lastgroup or ""
        if kind != "space" and kind != "comment":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    if pos != len(text):
        raise _error_at(text, pos, f"unexpected character {text[pos]!r}")
    tokens.extend([Token("eof", "end of file", len(text))] * 3)
    return tokens


def _error_at(text: str, offset: int, message: str) -> ProtoSyntaxError:
    line = text.count("\n", 0, offset) + 1
    return ProtoSyntaxError(line, offset - (text.rfind("\n", 0, offset) + 1) + 1, message)


def parse_proto(text: str) -> RawFile:
    """The declarations of one .proto file; a syntax error raises ProtoSyntaxError with line and column."""
    return _Parser(text, tokenize(text)).file()


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text, self.tokens, self.at = text, tokens, 0
        self.last = len(tokens) - 1

    # -- token helpers --
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.at + ahead, self.last)]

    def error(self, token: Token, message: str) -> ProtoSyntaxError:
        return _error_at(self.text, token.offset, message)

    def next(self) -> Token:
        token = self.peek()
        self.at += 1
        return token

    def fail(self, expected: str) -> ProtoSyntaxError:
        token = self.peek()
        got = "end of file" if token.kind == "eof" else repr(token.text)
        return self.error(token, f"expected {expected}, got {got}")

    def accept(self, text: str) -> bool:
        if self.peek().text == text and self.peek().kind in ("symbol", "ident"):
            self.at += 1
            return True
        return False

    def expect(self, text: str) -> Token:
        if not self.accept(text):
            raise self.fail(repr(text))
        return self.tokens[self.at - 1]

    def kind(self, kind: str, what: str) -> Token:
        if self.peek().kind != kind:
            raise self.fail(what)
        return self.next()

    def name(self, dotted: bool = False, leading_dot: bool = False) -> str:
        parts = ["."] if leading_dot and self.accept(".") else []
        parts.append(self.kind("ident", "a name").text)
        while dotted and self.peek().text == "." and self.peek(1).kind == "ident":
            self.next()
            parts += [".", self.next().text]
        return "".join(parts)

    def integer(self) -> int:
        negative = self.accept("-")
        token = self.kind("number", "a number")
        try:
            value = int(token.text, 0)
        except ValueError:
            raise self.error(token, f"expected an integer, got {token.text!r}") from None
        return -value if negative else value

    def unclosed(self, opener: Token, closer: str) -> ProtoSyntaxError:
        where = _error_at(self.text, opener.offset, "").args[0].rstrip(": ")
        what = f"to end the statement at {where}" if closer == ";" else f"to close {opener.text!r} at {where}"
        return self.error(self.peek(), f"expected {closer!r} {what}, got end of file")

    def skip(self, end: str) -> None:
        """Skip balanced tokens through ``end`` at bracket depth 0: ';' ends a statement (option values nest), '}'
        or ']' closes the bracket at the current token."""
        depth, opener = 0, self.peek()
        while True:
            token = self.next()
            if token.kind == "eof":
                raise self.unclosed(opener, end)
            if token.kind != "symbol":
                continue
            if token.text in "{[(":
                depth += 1
            elif token.text in "}])":
                depth -= 1
            if depth == 0 and token.text == end:
                return

    def skip_block(self) -> None:
        if self.peek().text != "{":
            raise self.fail("'{'")
        self.skip("}")

    # -- grammar --
    def file(self) -> RawFile:
        out = RawFile()
        while self.peek().kind != "eof":
            token = self.peek()
            if self.accept(";"):
                continue
            if token.text in ("syntax", "edition", "option") and token.kind == "ident":
                self.next()
                self.skip(";")
            elif self.accept("package"):
                out.package = self.name(dotted=True)
                self.expect(";")
            elif self.accept("import"):
                if not self.accept("weak"):
                    self.accept("public")
                out.imports.append(self.kind("string", "an import path").text[1:-1])
                self.expect(";")
            else:
                self.top_level(out)
        return out

    def top_level(self, out: RawFile) -> None:
        if self.accept("message"):
            out.messages.append(self.message(self.name()))
        elif self.accept("enum"):
            out.enums.append(self.name())
            self.enum_body()
        elif self.accept("service") or self.accept("extend"):
            self.name(dotted=True, leading_dot=True)
            self.skip_block()
        else:
            raise self.fail("syntax, package, import, option, message, enum, service or extend")

    def message(self, name: str) -> RawMessage:
        out = RawMessage(name=name)
        opener = self.expect("{")
        while not self.accept("}"):
            if self.peek().kind == "eof":
                raise self.unclosed(opener, "}")
            self.message_element(out)
        return out

    def message_element(self, out: RawMessage) -> None:
        token = self.peek()
        if self.accept(";"):
            return
        if token.kind != "ident" and token.text != ".":
            raise self.fail("a field, message, enum, oneof, map, reserved, extensions or option")
        if token.text in ("option", "reserved", "extensions") and self.peek(1).text not in ("=", "."):
            self.next()
            self.skip(";")
        elif token.text == "message" and self.peek(1).kind == "ident" and self.peek(2).text == "{":
            self.next()
            out.messages.append(self.message(self.name()))
        elif token.text == "enum" and self.peek(1).kind == "ident" and self.peek(2).text == "{":
            self.next()
            out.enums.append(self.name())
            self.enum_body()
        elif token.text == "extend" and self.peek(1).text != "=":
            self.next()
            self.name(dotted=True, leading_dot=True)
            self.skip_block()
        elif token.text == "oneof" and self.peek(2).text == "{":
            self.next()
            self.oneof(out)
        elif token.text == "map" and self.peek(1).text == "<":
            out.fields.append(self.map_field())
        else:
            self.field(out, oneof=None)

    def oneof(self, out: RawMessage) -> None:
        name = self.name()
        self.expect("{")
        while not self.accept("}"):
            if self.accept(";"):
                continue
            if self.peek().text == "option" and self.peek(1).text != "=":
                self.next()
                self.skip(";")
            else:
                self.field(out, oneof=name)

    def field(self, out: RawMessage, oneof: str | None) -> None:
        label = self.next().text if self.peek().text in LABELS and self.peek(1).text != "=" else None
        if self.peek().text == "group" and self.peek(1).kind == "ident" and self.peek(2).text == "=":
            self.next()
            group = self.name()
            number = self.assignment()
            out.messages.append(self.message(group))
            out.fields.append(RawField(group.lower(), number, group, label, oneof))
            return
        type_name = self.name(dotted=True, leading_dot=True)
        name = self.name()
        out.fields.append(RawField(name, self.assignment(), type_name, label, oneof))
        self.expect(";")

    def assignment(self) -> int:
        self.expect("=")
        number = self.integer()
        if self.peek().text == "[":
            self.skip("]")
        return number

    def map_field(self) -> RawField:
        self.expect("map")
        self.expect("<")
        key = self.name()
        self.expect(",")
        value = self.name(dotted=True, leading_dot=True)
        self.expect(">")
        name = self.name()
        number = self.assignment()
        self.expect(";")
        return RawField(name, number, "map", None, None, key, value)

    def enum_body(self) -> None:
        self.expect("{")
        while not self.accept("}"):
            token = self.peek()
            if self.accept(";"):
                continue
            if token.text in ("option", "reserved") and self.peek(1).text != "=":
                self.next()
                self.skip(";")
                continue
            self.name()
            self.assignment()
            self.expect(";")

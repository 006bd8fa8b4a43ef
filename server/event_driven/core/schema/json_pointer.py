"""Resolve a local JSON pointer reference (``#/definitions/Address``) inside a JSON document."""

from __future__ import annotations

from urllib.parse import unquote


def resolve_pointer(document: object, ref: str) -> object | None:
    """The value ``ref`` (``#`` or ``#/a/b``) points to in ``document``, or None if it points to nothing."""
    pointer = unquote(ref[1:])
    if not pointer:
        return document
    node = document
    for token in pointer.lstrip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node

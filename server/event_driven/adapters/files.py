"""Files as resource links that any replica can resolve: the URI carries the request that produced them.

``event-driven://files/{tool}/{request}/{+path}``: ``request`` is the tool's arguments as canonical JSON, compressed
and base64url-encoded, so the same request always gives the same URI and reading it needs no server state: the
server decodes the request, runs the tool again (it is deterministic) and returns the one file.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any

from event_driven.errors import InputError, field_error

FILES_TEMPLATE = "event-driven://files/{tool}/{request}/{+path}"
# Arguments that shape the answer, not the files: left out so summary and full share the files' URIs.
PRESENTATION_ARGS = ("detail", "files")
MAX_REQUEST_CHARS = 65_536

MIME_TYPES = {
    ".json": "application/json",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".py": "text/x-python",
    ".sh": "text/x-shellscript",
    ".md": "text/markdown",
    ".txt": "text/plain",
    ".ini": "text/plain",
    ".conf": "text/plain",
    ".properties": "text/plain",
    ".avsc": "application/json",
    ".toml": "application/toml",
}


def encode_request(arguments: Mapping[str, Any]) -> str:
    kept = {k: v for k, v in arguments.items() if k not in PRESENTATION_ARGS and v is not None}
    canonical = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(zlib.compress(canonical.encode(), 9)).decode().rstrip("=")


def decode_request(request: str) -> dict[str, Any]:
    if len(request) > MAX_REQUEST_CHARS:
        raise InputError(field_error("$.uri", "too_large", "the request part of the URI is too long"))
    try:
        raw = base64.urlsafe_b64decode(request + "=" * (-len(request) % 4))
        # Bounded decompression: a crafted URI cannot expand without limit.
        inflater = zlib.decompressobj()
        data = inflater.decompress(raw, 4 * MAX_REQUEST_CHARS)
        if inflater.unconsumed_tail:
            raise ValueError("request too large")
        value = json.loads(data)
    except (ValueError, zlib.error) as exc:
        raise InputError(
            field_error(
                "$.uri",
                "parse_error",
                f"not a file URI this server made ({exc})",
                "a URI from a resource link in a tool's answer",
            )
        ) from None
    if not isinstance(value, dict):
        raise InputError(field_error("$.uri", "parse_error", "not a file URI this server made"))
    return value


def file_uri(tool: str, request: str, path: str) -> str:
    return f"event-driven://files/{tool}/{request}/{path}"


def mime_type(path: str) -> str:
    dot = path.rfind(".")
    return MIME_TYPES.get(path[dot:].lower(), "text/plain") if dot >= 0 else "text/plain"

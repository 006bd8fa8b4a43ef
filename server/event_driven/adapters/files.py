"""Files as resource links that any replica can resolve: the URI carries the request that produced them.

``event-driven://files/{tool}/{request}/{+path}``: ``request`` is the tool's arguments as canonical JSON, compressed
and base64url-encoded, so the same request always gives the same URI and reading it needs no server state: the
server decodes the request, runs the tool again (it is deterministic) and returns the one file.

The compression is raw DEFLATE with a preset dictionary of the arguments' usual keys and values (``r1.`` prefix):
a plan's request takes ~75 characters instead of ~260, and every one of its links repeats it, which clients parse
and validate on every answer. URIs without the prefix (plain zlib, the first encoding) still resolve.
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
REQUEST_PREFIX = "r1."  # not base64url (no "."), so it cannot start a URI of the first encoding
# Frozen with the prefix: a changed dictionary would change every URI, and break the links already given out.
ZDICT = (
    b'"options":{"broker":"rabbitmq","suites":["idempotency","dlq","schema"]},"plan":{"broker":"kafka",'
    b'"nats_jetstream","redis_streams","pulsar","sqs","partitions":"replication":"retention":'
    b'"event_context":{"consumers":["analytics-service","notification-service","billing-service"],"producers":'
    b'["order-service","payment-service"],"requirements":{"delivery":"at_least_once","exactly_once","at_most_once",'
    b'"idempotent_consumers":true,"latency":"100ms","message_size":"1 KB","ordering":"partition","global","none",'
    b'"processing_time":"replay":"full","retention":"7 days","throughput":"10K msg/s"},"use_case":"pub_sub",'
    b'"event_sourcing","cqrs","saga","work_queue","stream_processing"},"broker":"kafka"}'
)

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
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, ZDICT)
    raw = deflate.compress(canonical.encode()) + deflate.flush()
    return REQUEST_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_request(request: str) -> dict[str, Any]:
    if len(request) > MAX_REQUEST_CHARS:
        raise InputError(field_error("$.uri", "too_large", "the request part of the URI is too long"))
    try:
        current = request.startswith(REQUEST_PREFIX)
        encoded = request[len(REQUEST_PREFIX) :] if current else request
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        # Bounded decompression: a crafted URI cannot expand without limit.
        inflater = zlib.decompressobj(-15, zdict=ZDICT) if current else zlib.decompressobj()
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

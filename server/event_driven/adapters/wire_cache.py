"""Repeated tool calls answered with the wire form of their first answer.

The answer cache (answers.py) saves the computation; the SDK still turns the cached result into its wire form on
every call: a model dump, a validation against the protocol's result type and a second dump, over the whole
answer (tens of thousands of characters for a diagnosis). This server middleware keeps the wire form the SDK built
for the first call and answers the same request with it, for the answers the answer cache keeps (same policy,
same ``EVENT_DRIVEN_ANSWER_CACHE`` switch). The key is the protocol version, the tool and its arguments; a request
with anything else in its params (a task, say) goes through the SDK as usual, and so does any request on a
connection whose handshake has not been seen.
"""

from __future__ import annotations

from typing import Any

from event_driven.adapters.cache import AnswerCache, request_key

# Params a tools/call may carry and still be answered from the wire cache (``_meta`` holds the client's transport
# details, such as a progress token, which the tools here never use).
KEYED_PARAMS = frozenset({"name", "arguments", "_meta"})


class WireCache:
    def __init__(self, answered: AnswerCache[Any]) -> None:
        self.answered = answered  # the answer cache: a wire form is kept only for an answer kept there
        self.wire: AnswerCache[dict[str, Any]] = AnswerCache(answered.max_entries)

    def _key(self, ctx: Any) -> tuple[str, str] | None:
        params = ctx.params
        if ctx.method != "tools/call" or not params or not KEYED_PARAMS.issuperset(params):
            return None
        name, arguments = params.get("name"), params.get("arguments") or {}
        if not isinstance(name, str) or not isinstance(arguments, dict):
            return None
        answer_key = request_key(name, {k: v for k, v in arguments.items() if v is not None})
        return (answer_key, f"{ctx.protocol_version}\x00{answer_key}") if answer_key else None

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        keys = self._key(ctx)
        # Only where the SDK's handshake gate has let this connection's requests through before.
        if keys is None or getattr(ctx.session, "client_params", None) is None:
            return await call_next(ctx)
        answer_key, wire_key = keys
        hit = self.wire.get(wire_key)
        if hit is not None:
            return dict(hit)
        result = await call_next(ctx)
        if isinstance(result, dict) and self.answered.get(answer_key) is not None:
            self.wire.put(wire_key, result)
            return dict(result)
        return result

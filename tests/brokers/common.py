"""The event context the broker fixtures plan from: 100 msg/s, at least once, per-key order, kept 7 days (event
sourcing keeps everything and replays it)."""

from __future__ import annotations

from typing import Any


def context(use_case: str, producers: list[str] | None = None, consumers: list[str] | None = None) -> dict[str, Any]:
    req: dict[str, Any] = {"throughput": "100 msg/s", "delivery": "at_least_once", "ordering": "partition",
                           "retention": "7 days"}
    if use_case == "event_sourcing":
        req.pop("retention")
        req["replay"] = "full"
    return {"use_case": use_case, "requirements": req, "producers": producers or ["order-service"],
            "consumers": consumers or ["billing-service", "mailer-service"]}

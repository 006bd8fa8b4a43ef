"""What an inspection concludes: findings with the live figures they rest on, and drift against a plan."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.inspection.snapshot import SettingValue
from event_driven.vocab import Severity


class InspectionModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expectations(InspectionModel):
    """What the operator knows and the broker cannot report: how long the consumers take, when they reclaim."""

    processing_time_ms: int | None = Field(default=None, gt=0,
                                           description="Longest time a consumer spends on one message.")
    claim_idle_ms: int | None = Field(default=None, gt=0,
                                      description="Redis Streams: the min-idle-time the consumers pass "
                                      "to XAUTOCLAIM; pending entries idle longer should have been claimed.")


class Quote(InspectionModel):
    """One live figure a finding rests on, and where it was read."""

    where: str = Field(description="Which queue / stream / consumer / node, e.g. 'queue orders.jobs'.")
    figure: str = Field(description="The broker's name for the figure, e.g. 'messages_ready', 'num_ack_pending'.")
    value: SettingValue


class Finding(InspectionModel):
    rule_id: str
    severity: Severity
    failure_mode_id: str = Field(description="The knowledge base's failure mode this points at.")
    channel: str = Field(description="Key of the channel (see ChannelState.key) or 'broker'.")
    title: str
    evidence: list[Quote]
    fix: str
    judgement: bool = Field(default=False, description="The threshold is a judgement, not a documented figure.")


DriftKind = Literal["broker_only", "plan_only", "setting_mismatch"]


class DriftItem(InspectionModel):
    kind: DriftKind
    severity: Severity
    channel: str = Field(description="Name of the queue / stream / consumer / topic.")
    setting: str | None = None
    planned: SettingValue = None
    live: SettingValue = None
    detail: str
    failure_mode_id: str | None = None


class DriftReport(InspectionModel):
    plan_broker: str
    scope: str = Field(description="Which live channels were compared (the name pattern).")
    compared: list[str] = Field(description="Plan channels found on the broker.")
    items: list[DriftItem]
    not_compared: list[str] = Field(default_factory=list, description="Plan parts this check does not read.")

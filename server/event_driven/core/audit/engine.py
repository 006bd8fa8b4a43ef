"""The audit engine: what a rule may read, what it reports, and how the rules of every broker are run.

A rule is a small unit: an id, the broker it is about, the source id (``knowledge/sources.yaml``) it rests on, the
failure modes it points to, its fix when the fix does not depend on the values, and a check that yields
:class:`Hit` s (the key, its value, the severity and why it is a problem, plus the fix when it quotes values). The
engine fills in the rest of the :class:`ConfigFinding`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.context import NormalizedContext
from event_driven.core.evidence import KEY_BROKERS, ParsedConfig
from event_driven.kb.loader import KnowledgeBase
from event_driven.units import to_bool, to_float
from event_driven.vocab import SEVERITY_RANK, Severity


class ConfigFinding(BaseModel):
    """One problem (or risk) in the configuration."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Stable rule id, e.g. 'kafka_auto_commit_at_least_once'")
    severity: Severity
    broker: str
    key: str
    current_value: str | None = Field(description="As configured; '(default X)' when the key is unset")
    message: str
    fix: str
    source: str
    judgement: str | None = Field(default=None, description="Set when the threshold is a judgement, with why")
    failure_modes: list[str] = Field(default_factory=list, description="Failure-mode ids this finding points to")


@dataclass(frozen=True)
class Hit:
    """What a rule found: the key, its shown value, the severity, why (message) and, when it quotes values, the fix."""

    key: str
    current_value: str | None
    severity: Severity
    message: str
    fix: str | None = None  # None: the rule's own fix
    judgement: str | None = None
    source: str | None = None  # a sources.yaml id that replaces the rule's own for this hit


def fmt(v: float | int | None) -> str:
    if v is None:
        return "?"
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


def _brokers_of(flat: Mapping[str, Any]) -> set[str]:
    keys = {k.removeprefix("dlq.").removeprefix("source.") for k in flat}
    return {KEY_BROKERS[k] for k in keys if k in KEY_BROKERS and KEY_BROKERS[k] != "any"}


class Audited:
    """The configuration under audit, with the context and the knowledge base's documented defaults."""

    def __init__(self, cfg: ParsedConfig, broker: str | None, ctx: NormalizedContext | None,
                 processing_time_ms: float | None, processing_scope: str, kb: KnowledgeBase) -> None:
        self.cfg = cfg
        self.flat = cfg.flat()
        self.ctx = ctx
        self.delivery = ctx.delivery if ctx else None
        self.durable = self.delivery in ("at_least_once", "exactly_once")
        self.pt = processing_time_ms
        self.scope = processing_scope
        self.brokers = {broker} if broker else _brokers_of(self.flat)
        self.kb = kb

    def has(self, key: str) -> bool:
        return key in self.flat

    def val(self, key: str) -> Any:
        return self.flat.get(key)

    def num(self, key: str) -> float | None:
        return to_float(self.flat.get(key))

    def flag(self, key: str) -> bool | None:
        return to_bool(self.flat.get(key))

    def text(self, key: str) -> str | None:
        v = self.flat.get(key)
        return str(v).strip().lower() if v is not None else None

    def shown(self, key: str) -> str | None:
        e = self.cfg.entry(key)
        return e.raw if e is not None else None

    def default(self, name: str) -> float:
        """A documented default or limit from ``knowledge/failure_modes.yaml``."""
        return float(self.kb.failure_modes.default(name).value)

    def threshold(self, name: str) -> float:
        """A sourced threshold from ``knowledge/rules.yaml``."""
        return float(self.kb.rules.thresholds[name].value)

    def per_message_time(self) -> float | None:
        return self.pt if self.scope == "message" else None

    def fill(self, text: str) -> str:
        """A rule's own text with ``{delivery}`` (the stated guarantee) and ``{default[name]}`` (a documented default
        or limit of ``knowledge/failure_modes.yaml``) filled in."""
        return text.format(delivery=self.delivery, default=_Defaults(self))


class _Defaults:
    def __init__(self, audited: Audited) -> None:
        self.audited = audited

    def __getitem__(self, name: str) -> str:
        return fmt(self.audited.default(name))


Check = Callable[[Audited], Iterator[Hit]]


@dataclass(frozen=True)
class AuditRule:
    id: str
    broker: str
    source: str  # sources.yaml id
    failure_modes: tuple[str, ...]
    check: Check
    fix: str | None = None


RULES: list[AuditRule] = []


def rule(rule_id: str, broker: str, source: str, *failure_modes: str,
         fix: str | None = None) -> Callable[[Check], Check]:
    """Register ``check`` as the rule ``rule_id`` about ``broker``, resting on ``source``; ``fix`` is the rule's fix
    (filled by :meth:`Audited.fill`) when its hits do not carry one."""

    def register(check: Check) -> Check:
        RULES.append(AuditRule(rule_id, broker, source, failure_modes, check, fix))
        return check

    return register


@dataclass(frozen=True)
class SettingRule:
    """A rule about one key whose finding quotes no configured values: when ``when`` holds, ``key`` is reported
    (shown as configured, else as ``unset``) with ``severity``, ``why`` and ``fix`` (both filled by
    :meth:`Audited.fill`)."""

    id: str
    broker: str
    source: str  # sources.yaml id
    failure_modes: tuple[str, ...]
    key: str
    severity: Severity
    when: Callable[[Audited], bool]
    why: str
    fix: str
    unset: str | None = None

    def check(self, a: Audited) -> Iterator[Hit]:
        if self.when(a):
            yield Hit(self.key, a.shown(self.key) or self.unset, self.severity, a.fill(self.why))


def setting_rules(*rules: SettingRule) -> None:
    """Register each one-key rule of a broker's table."""
    RULES.extend(AuditRule(r.id, r.broker, r.source, r.failure_modes, r.check, r.fix) for r in rules)


def _findings(rules: Iterable[AuditRule], audited: Audited) -> Iterator[ConfigFinding]:
    sources = audited.kb.sources
    for r in rules:
        if r.broker not in audited.brokers:
            continue
        for hit in r.check(audited):
            fix = hit.fix or (audited.fill(r.fix) if r.fix else None)
            if fix is None:
                raise ValueError(f"audit rule {r.id} states no fix")
            yield ConfigFinding(id=r.id, severity=hit.severity, broker=r.broker, key=hit.key,
                                current_value=hit.current_value, message=hit.message, fix=fix,
                                source=sources.url(hit.source or r.source), judgement=hit.judgement,
                                failure_modes=list(r.failure_modes))


def run_rules(audited: Audited) -> list[ConfigFinding]:
    """Every rule's findings once per (id, key), most severe first."""
    seen: set[tuple[str, str]] = set()
    unique: list[ConfigFinding] = []
    for f in _findings(RULES, audited):
        if (f.id, f.key) not in seen:
            seen.add((f.id, f.key))
            unique.append(f)
    return sorted(unique, key=lambda f: (SEVERITY_RANK[f.severity], f.broker, f.key, f.id))


ProcessingScope = Literal["message", "batch"]

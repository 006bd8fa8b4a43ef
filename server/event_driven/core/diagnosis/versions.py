"""Versions in a report, and the known bugs whose fixed release is later than the version the user runs.

Reporters name versions in prose ("nats-server 2.9.18", "after upgrading to v1.3.1") and in config-like lines
(``rq: 1.2.2``). A stated version is weak evidence that the cause may be a release-specific bug; a version inside the
affected range of a known bug the knowledge base lists (``versions`` of ``known_bug_fixed_by_upgrade``, each with the
release range and its source) is strong evidence, and the answer then names the fixed release.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from event_driven.core.diagnosis.text import Reader
from event_driven.kb.failure_modes import VersionNote

Version = tuple[int, ...]

# An amount, not a release: "2.5 seconds", "1.5 GB", "3.5 replicas".
_NOT_A_RELEASE = (
    r"(?![.\d:])(?!\s*(?:%|ms|s|secs?|seconds?|mins?|minutes?|h|hours?|days?|[kmg]i?b|bytes?|pods?|replicas?|nodes?|"
    r"brokers?|consumers?|partitions?|threads?|workers?|k|m|million|times?|x)\b)"
)
# "nats-server 2.9.18", "pulsar v2.8.0", "RabbitMQ version 3.12.1", "bunny 2.11.0": a name, then a dotted release of
# two or three parts.
_NAMED = re.compile(
    r"\b([a-z][a-z0-9_.+-]*?)(?:[\s_-]+version)?[\s:=@/-]+v?(\d+\.\d+(?:\.\d+)?)\b" + _NOT_A_RELEASE, re.IGNORECASE
)
# A release change: "upgraded RabbitMQ from 3.8 to 3.12", "after upgrading pulsar-client 2.10.1 to 2.10.2",
# "upgraded the client library to 2.3.0", "upgrading to v1.3.1", "rolled back to 3.0.0". The change verb must come
# right before what changed, and the release it ends on is the one in use. Not a release: an address (10.0.0.2) or
# an amount with a unit ("to 2.5 seconds").
_CHANGE = re.compile(
    r"\b(?:upgrad|updat|downgrad|bump|migrat|roll(?:ed|ing)?\s+back)\w*"
    r"(?:\s+(?:the|our|my|a|an))?"
    r"(?:\s+(?:from\s+)?(?P<name>[a-z][a-z0-9_.+-]*?(?:\s+(?:client|library|server|sdk|package|driver|gem))?))?"
    r"(?:\s+(?:from\s+)?v?(?P<old>\d+\.\d+(?:\.\d+)?))?"
    r"\s+to\s+v?(?P<new>\d+\.\d+(?:\.\d+)?)" + _NOT_A_RELEASE,
    re.IGNORECASE,
)
# The component of a release named without one ("upgrading to v1.3.1").
UNNAMED_COMPONENT = "release"
_VALUE = re.compile(r"^\s*v?(\d+\.\d+(?:\.\d+)?)(?:\s|$|[/,;(])")
_RANGE = re.compile(r"^\s*(<=|>=|<|>|==|=)?\s*v?(\d+(?:\.\d+)*)\s*$")
# The component names that stand for a broker the knowledge base knows, squashed ("nats-server" -> "natsserver").
_BROKER_OF = {
    "kafka": "kafka",
    "rabbitmq": "rabbitmq",
    "rabbit": "rabbitmq",
    "pulsar": "pulsar",
    "natsserver": "nats_jetstream",
    "nats": "nats_jetstream",
    "redis": "redis_streams",
    "redisserver": "redis_streams",
}
# Config keys name the component with a suffix: pulsar_version, kafka-version, celery_version.
_VERSION_SUFFIX = re.compile(r"[_.-]?version$")
# What a component name may add to a broker's: "kafka_server", "rabbitmq-server", "kafka_2.13" (the Scala build).
_BROKER_DECORATION = re.compile(r"(?:server|2\d{2,3})$")
# Words that name the broker in use without naming which ("upgraded the cluster to 3.7.0").
_THE_BROKER = frozenset({"broker", "brokers", "cluster", "server", "servers"})

@dataclass(frozen=True)
class StatedVersion:
    component: str
    version: Version
    text: str

    @property
    def name(self) -> str:
        """The component squashed and without a version suffix: 'confluent-kafka' and 'confluent_kafka_version' are
        both 'confluentkafka'."""
        low = self.component.lower()
        return _squash(_VERSION_SUFFIX.sub("", low) or low)

    @property
    def broker(self) -> str | None:
        return _BROKER_OF.get(self.name) or _BROKER_OF.get(_BROKER_DECORATION.sub("", self.name))

    def names_broker(self, broker: str | None) -> bool:
        """Whether this is a release of ``broker``: named ("kafka_server_version") or as the broker in use ("the
        cluster")."""
        return broker is not None and (self.broker == broker or self.name in _THE_BROKER)


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def same_component(sv: StatedVersion, component: str) -> bool:
    """'confluent-kafka' in a report names the note's 'confluent_kafka'; 'celery_version' names 'celery'."""
    return sv.name == _squash(component)


def _parse(text: str) -> Version:
    return tuple(int(p) for p in text.split("."))


def _names_component(name: str, reader: Reader) -> bool:
    """A name before a figure that may be a component: not a setting ("backoff.multiplier=1.5"), nor prose."""
    last = re.split(r"[._-]", name)[-1]
    return (bool(name) and not name.isdigit() and not ({name, last} & reader.not_components)
            and name not in reader.stop_words)


def _changed_versions(line: str, reader: Reader) -> tuple[list[StatedVersion], list[tuple[int, int]]]:
    """The releases a change ends on, and the spans of the releases it left (they are not the ones in use)."""
    out: list[StatedVersion] = []
    left: list[tuple[int, int]] = []
    for m in _CHANGE.finditer(line):
        name = (m.group("name") or "").strip(".-").lower()
        if name in reader.setting_words:
            continue  # a setting's value changed, not a release
        if not name or name in reader.not_components or name in reader.stop_words:
            name = UNNAMED_COMPONENT
        out.append(StatedVersion(name, _parse(m.group("new")), m.group(0).strip()))
        if m.group("old"):
            left.append(m.span("old"))
    return out, left


def stated_versions(lines: Iterable[str], config: Mapping[str, Any], reader: Reader) -> list[StatedVersion]:
    """The component versions a report names, in its text and as config values (the vocabulary's stop, setting and
    figure words name none)."""
    out: list[StatedVersion] = []
    for line in lines:
        changed, left = _changed_versions(line, reader)
        for m in _NAMED.finditer(line):
            name = m.group(1).strip(".-").lower()
            if any(a <= m.start(2) < b for a, b in left):
                continue  # the release a change left ("2.10.1 to 2.10.2"), not the one in use
            if _names_component(name, reader):
                out.append(StatedVersion(name, _parse(m.group(2)), m.group(0).strip()))
        out.extend(changed)
    for key, value in config.items():
        m = _VALUE.match(str(value)) if isinstance(value, str) else None
        if m and not key.startswith("observed."):
            out.append(StatedVersion(key.lower(), _parse(m.group(1)), f"{key}: {value}"))
    return out


def _satisfies(version: Version, condition: str) -> bool | None:
    m = _RANGE.match(condition)
    if m is None:
        return None
    op, bound = m.group(1) or "==", _parse(m.group(2))
    width = max(len(version), len(bound))
    a = version + (0,) * (width - len(version))
    b = bound + (0,) * (width - len(bound))
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "=": a == b}[op]


def in_range(version: Version, versions: str) -> bool:
    """True when ``version`` meets every comma-separated condition of ``versions`` ('<2.8.1', '>=2.6,<2.6.2')."""
    results = [_satisfies(version, part) for part in versions.split(",") if part.strip()]
    return bool(results) and all(r is True for r in results)


def matching_notes(
    notes: Iterable[VersionNote], stated: Iterable[StatedVersion], broker: str | None
) -> list[tuple[VersionNote, StatedVersion | None]]:
    """Version notes of the broker in use that may apply: with the stated version inside their range, or with no
    version of that broker stated (then the answer is conditional on the version). A stated version outside the
    range rules the note out."""
    of_broker = [sv for sv in stated if sv.names_broker(broker)]
    found: list[tuple[VersionNote, StatedVersion | None]] = []
    for note in notes:
        if note.broker != broker:
            continue
        mine = of_broker if note.component is None else [sv for sv in stated if same_component(sv, note.component)]
        if not mine:
            found.append((note, None))
            continue
        inside = next((sv for sv in mine if in_range(sv.version, note.versions)), None)
        if inside is not None:
            found.append((note, inside))
    return found

"""A Mermaid flowchart of producers, channels, consumer groups and dead-letter paths."""

from __future__ import annotations

import re

from event_driven.core.topology.models import Channel, ConsumerGroup, LogicalChannel


def _id(prefix: str, text: str) -> str:
    return prefix + "_" + re.sub(r"[^A-Za-z0-9]", "_", text)


def _label(text: str) -> str:
    # Mermaid labels are quoted; strip characters that would end the quote or start markup.
    return re.sub(r'["<>`]', "", text)


def mermaid(logical: list[LogicalChannel], channels: list[Channel], groups: list[ConsumerGroup]) -> str:
    by_key = {c.key: c for c in channels}
    lines = ["flowchart LR"]
    producers = sorted({p for ch in logical for p in ch.producers})
    for p in producers:
        lines.append(f'  {_id("p", p)}(["{_label(p)}"])')
    for ch in logical:
        if ch.role == "retry":
            continue
        if ch.role == "dead_letter":
            # Brokers with one dead-letter queue per subscriber key them '<channel>@<group>.dlq'.
            names = [c.name for c in channels if c.role == "dead_letter"
                     and (c.key == ch.key or c.key.startswith(f"{ch.dead_letter_of}@"))]
            if names:
                lines.append(f'  {_id("c", ch.key)}[["{_label(", ".join(names))}"]]')
            continue
        c = by_key.get(ch.key)
        if c is not None:
            lines.append(f'  {_id("c", ch.key)}[("{_label(c.name)}")]')
    defined = {line.split("[")[0].strip() for line in lines[1:]}
    for g in groups:
        lines.append(f'  {_id("g", g.name)}["{_label(g.name)} ({g.strategy.replace("_", " ")})"]')
    for ch in logical:
        if ch.key not in by_key or ch.role == "retry":
            continue
        for p in ch.producers:
            lines.append(f"  {_id('p', p)} --> {_id('c', ch.key)}")
    for g in groups:
        lines.append(f"  {_id('c', g.channel)} --> {_id('g', g.name)}")
    for ch in logical:
        if ch.role == "dead_letter" and _id("c", ch.key) in defined:
            readers = [g for g in groups if g.channel == ch.dead_letter_of]
            for g in readers:
                lines.append(f"  {_id('g', g.name)} -. failed .-> {_id('c', ch.key)}")
    retries = [ch for ch in logical if ch.role == "retry" and ch.key in by_key]
    if retries:
        for base in sorted({ch.retry_of for ch in retries if ch.retry_of}):
            tiers = [ch for ch in retries if ch.retry_of == base]
            lines.append(f'  {_id("r", base)}{{"retry x{len(tiers)} (backoff)"}}')
            for g in groups:
                if g.channel == base:
                    lines.append(f"  {_id('g', g.name)} -. retryable .-> {_id('r', base)}")
            lines.append(f"  {_id('r', base)} -.-> {_id('c', base)}")
    return "\n".join(lines)

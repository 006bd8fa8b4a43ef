"""Sourced throughput figures as msg/s: what a whole broker is documented to carry, and what one ordered unit does."""

from __future__ import annotations

from dataclasses import dataclass

from event_driven.kb.brokers import BrokerProfile
from event_driven.kb.common import SourcedNumber

COUNT_UNITS = frozenset({"msg/s", "records/s", "events/s", "TPS"})
BYTES_PER_UNIT = {"MB/s": 1_000_000, "MiB/s": 1_000_000, "GB/s": 1_000_000_000}


@dataclass(frozen=True)
class Capacity:
    """A rate in msg/s (None: not sourced), how it was derived, and the source that states it."""

    msg_per_s: float | None
    how: str
    source: str | None = None


NO_FIGURE = Capacity(None, "no sourced throughput figure")
NO_UNIT_FIGURE = Capacity(None, "no sourced per-unit figure")


def as_msg_per_s(figure: SourcedNumber, message_size: int) -> float | None:
    """A throughput figure in msg/s; byte rates are divided by the message size. None for other units."""
    if figure.unit in COUNT_UNITS:
        return float(figure.value)
    if figure.unit in BYTES_PER_UNIT:
        return float(figure.value) * BYTES_PER_UNIT[figure.unit] / message_size
    return None


def aggregate(profile: BrokerProfile, message_size: int) -> Capacity:
    """The largest sourced aggregate throughput, in msg/s, with how it was derived."""
    best = NO_FIGURE
    for f in profile.throughput.figures:
        value = as_msg_per_s(f.figure, message_size)
        if value is not None and (best.msg_per_s is None or value > best.msg_per_s):
            how = f"{f.figure.value:g} {f.figure.unit} ({f.basis.replace('_', ' ')})"
            best = Capacity(value, how, f.figure.source)
    return best


# Per-unit limit names, most specific first, with how each reads in a reason ({v}: value, {size}: message size).
UNIT_LIMITS: tuple[tuple[str, str], ...] = (
    ("produce_throughput_per_partition", "{v:g} MB/s per partition / {size} B"),
    ("write_records_per_shard", "{v:g} records/s per shard"),
    ("tu_ingress_events", "{v:g} events/s per throughput unit"),
    ("publish_throughput_per_ordering_key", "{v:g} MB/s per ordering key / {size} B"),
    ("batched_msgs_per_action", "{v:g} msg/s per queue with 10-message batches"),
    ("cluster_throughput_sustained", "{v:g} msg/s sustained (3-node cluster benchmark)"),
)
# Options whose one ordered unit (a classic queue, a stream) is the whole envelope the sources measure.
WHOLE_ENVELOPE_UNIT = frozenset({"rabbitmq.classic", "rabbitmq.stream"})


def one_ordered_unit(option: str, profile: BrokerProfile, message_size: int) -> Capacity:
    """What one ordered unit (partition, queue, shard, message group, key) is documented to carry, in msg/s."""
    limits = {n.name: n.figure for n in profile.parallelism.per_unit_limits}
    for name, how in UNIT_LIMITS:
        if name in limits:
            fig = limits[name]
            return Capacity(as_msg_per_s(fig, message_size), how.format(v=fig.value, size=message_size), fig.source)
    if option in WHOLE_ENVELOPE_UNIT:
        return aggregate(profile, message_size)
    return NO_UNIT_FIGURE

"""Apache Kafka with confluent-kafka's AdminClient: metadata, DescribeConfigs, ListGroups, DescribeGroups,
OffsetFetch (committed offsets) and ListOffsets (log-end offsets).

No consumer is created, so no group is joined and no offset is committed. Every request has a request timeout and
the futures are awaited with the remaining time of the inspection.
"""

from __future__ import annotations

from typing import Any

from event_driven.core.inspection.snapshot import (
    KafkaGroup,
    KafkaPartitionLag,
    KafkaSnapshot,
    KafkaTopic,
    SettingValue,
    SnapshotSummary,
)
from event_driven.live.reading import BrokerReadError, ReadContext, now_ms, shown

# Topic configs worth quoting (the rest of DescribeConfigs is dropped to keep the result small).
TOPIC_CONFIGS = ("cleanup.policy", "retention.ms", "retention.bytes", "min.insync.replicas", "max.message.bytes",
                 "unclean.leader.election.enable")
GROUPS_MAX = 200


def _admin(ctx: ReadContext) -> Any:
    from confluent_kafka.admin import AdminClient

    creds = ctx.credentials
    conf: dict[str, Any] = {"bootstrap.servers": ctx.target.url, "socket.timeout.ms": int(ctx.target.timeout_s * 1000),
                            "client.id": "event-driven-inspect", "log_level": 3}
    tls = ctx.target.tls
    if creds.username:
        conf.update({"security.protocol": "SASL_SSL" if tls else "SASL_PLAINTEXT",
                     "sasl.mechanism": ctx.target.sasl_mechanism or "PLAIN", "sasl.username": creds.username,
                     "sasl.password": creds.password.get_secret_value() if creds.password else ""})
    elif tls:
        conf["security.protocol"] = "SSL"
    if tls:
        conf.update({k: str(v) for k, v in (("ssl.ca.location", tls.ca_file), ("ssl.certificate.location",
                     tls.cert_file), ("ssl.key.location", tls.key_file)) if v})
        conf["enable.ssl.certificate.verification"] = tls.verify
    return AdminClient(conf)


def _result(ctx: ReadContext, call: str, future: Any) -> Any:
    try:
        return future.result(timeout=ctx.call_timeout(call))
    except Exception as exc:  # noqa: BLE001 - KafkaException / TimeoutError, classified by text
        ctx.fail_from(call, exc)


def _topics(admin: Any, ctx: ReadContext, unread: list[str]) -> tuple[list[KafkaTopic], int, int, bool, int]:
    # confluent-kafka's admin package re-exports these without __all__.
    from confluent_kafka.admin import ConfigResource, ResourceType  # pyright: ignore[reportPrivateImportUsage]

    try:
        meta = admin.list_topics(timeout=ctx.call_timeout("Metadata"))
    except Exception as exc:  # noqa: BLE001
        ctx.fail_from("Metadata", exc)
    names = [n for n in meta.topics if not n.startswith("__")]
    kept, matched, truncated = shown(names, ctx)
    resources = [ConfigResource(ResourceType.TOPIC, n) for n in kept]
    configs: dict[str, dict[str, SettingValue]] = {}
    try:
        for resource, future in (admin.describe_configs(resources) if resources else {}).items():
            entries = _result(ctx, "DescribeConfigs", future)
            configs[resource.name] = {k: entries[k].value for k in TOPIC_CONFIGS if k in entries}
    except BrokerReadError as exc:
        # Topic configs enrich the answer; without them partitions, groups and lag still stand.
        unread.append(str(exc))
    topics = [KafkaTopic(name=n, partitions=len(meta.topics[n].partitions),
                         replication_factor=max((len(p.replicas) for p in meta.topics[n].partitions.values()),
                                                default=0), configs=configs.get(n, {})) for n in kept]
    return topics, len(names), matched, truncated, len(meta.brokers)


def _groups(admin: Any, ctx: ReadContext, topics: set[str]) -> list[KafkaGroup]:
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import OffsetSpec  # pyright: ignore[reportPrivateImportUsage]

    listed = _result(ctx, "ListGroups", admin.list_consumer_groups(request_timeout=ctx.target.timeout_s))
    ids = sorted(g.group_id for g in listed.valid)[:GROUPS_MAX]
    described = {g: _result(ctx, "DescribeGroups", f) for g, f in
                 (admin.describe_consumer_groups(ids, request_timeout=ctx.target.timeout_s) if ids else {}).items()}
    out: list[KafkaGroup] = []
    for group_id in ids:
        futures = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group_id)],
                                                    request_timeout=ctx.target.timeout_s)
        committed = [tp for tp in _result(ctx, "OffsetFetch", futures[group_id]).topic_partitions
                     if tp.topic in topics]
        if not committed:
            continue
        ends = admin.list_offsets({TopicPartition(tp.topic, tp.partition): OffsetSpec.latest() for tp in committed},
                                  request_timeout=ctx.target.timeout_s)
        end_of = {(tp.topic, tp.partition): _result(ctx, "ListOffsets", f).offset for tp, f in ends.items()}
        desc = described[group_id]
        out.append(KafkaGroup(group=group_id, state=str(getattr(desc.state, "name", desc.state)),
                              members=len(desc.members), partitions=[KafkaPartitionLag(
                                  topic=tp.topic, partition=tp.partition,
                                  committed_offset=tp.offset if tp.offset >= 0 else None,
                                  log_end_offset=end_of[(tp.topic, tp.partition)],
                                  lag=max(0, end_of[(tp.topic, tp.partition)] - max(tp.offset, 0)))
                                  for tp in committed]))
    return out


def read_kafka(ctx: ReadContext) -> KafkaSnapshot:
    started = now_ms()
    admin = _admin(ctx)
    unread: list[str] = []
    topics, total, matched, truncated, brokers = _topics(admin, ctx, unread)
    groups = _groups(admin, ctx, {t.name for t in topics}) if topics else []
    summary = SnapshotSummary(
        target=ctx.name, broker="kafka", taken_at_ms=now_ms(), elapsed_ms=now_ms() - started, pattern=ctx.pattern,
        channels_total=total, channels_matched=matched, channels_shown=len(topics), truncated=truncated,
        depth_total=sum(p.lag for g in groups for p in g.partitions), consumers_total=sum(g.members for g in groups))
    return KafkaSnapshot(summary=summary, brokers=brokers, topics=topics, groups=groups, unread=unread)

"""Kafka audit rules: durability, commits, exactly-once, the poll loop, group membership and sizes."""

from __future__ import annotations

from collections.abc import Iterator

from event_driven.core.audit.engine import Audited, Hit, SettingRule, fmt, rule, setting_rules
from event_driven.core.audit.retention import retention_hits

_CONSUMER_HINTS = {"group.id", "enable.auto.commit", "auto.offset.reset", "max.poll.records", "max.poll.interval.ms",
                   "session.timeout.ms", "isolation.level", "key.deserializer", "value.deserializer",
                   "group.instance.id"}
_PRODUCER_HINTS = {"acks", "enable.idempotence", "max.in.flight.requests.per.connection", "retries",
                   "transactional.id", "key.serializer", "value.serializer", "linger.ms", "batch.size",
                   "max.request.size", "delivery.timeout.ms"}


def _consumer(a: Audited) -> bool:
    return bool(_CONSUMER_HINTS & set(a.flat))


def _producer(a: Audited) -> bool:
    return bool(_PRODUCER_HINTS & set(a.flat))


def _below(value: float | None, limit: float) -> bool:
    return value is not None and value < limit


def _reads_uncommitted(a: Audited) -> bool:
    """Set to read_uncommitted, or left at that default on what looks like a consumer's configuration."""
    iso = a.text("isolation.level")
    return iso != "read_committed" if iso is not None else _consumer(a)


def _replication(a: Audited) -> tuple[str | None, float | None]:
    key = next((k for k in ("replication.factor", "default.replication.factor") if a.has(k)), None)
    return key, a.num(key) if key else None


# Durability -----------------------------------------------------------------------------------------------------

@rule("kafka_acks_not_all", "kafka", "kafka-producerconfigs-acks", "kafka_acks_not_all_message_loss",
      fix="Set acks=all (the default since Kafka 3.0) with min.insync.replicas="
          "{default[kafka_durable_min_insync_replicas]} on a replication factor "
          "{default[kafka_durable_replication_factor]} topic.")
def acks_not_all(a: Audited) -> Iterator[Hit]:
    acks = a.text("acks")
    if acks in ("0", "1") and a.delivery != "at_most_once":
        what = ("no broker acknowledgement at all; retries are ineffective" if acks == "0" else
                "the leader acknowledges before followers replicate, so an acknowledged write is lost if the leader "
                "fails")
        yield Hit("acks", a.shown("acks"), "high" if a.durable else "medium",
                  f"acks={acks}: {what}" + (f", which breaks the stated {a.delivery} guarantee." if a.durable else "."))


@rule("kafka_replication_below_3", "kafka", "kafka-topicconfigs-min-insync-replicas",
      "kafka_acks_not_all_message_loss", "kafka_not_enough_replicas",
      fix="Use replication factor {default[kafka_durable_replication_factor]} (kafka-reassign-partitions to raise "
          "it on existing topics).")
def replication_below_three(a: Audited) -> Iterator[Hit]:
    rf_key, rf = _replication(a)
    if rf is not None and rf < a.default("kafka_durable_replication_factor"):
        yield Hit(rf_key or "replication.factor", a.shown(rf_key or ""), "high" if a.durable and rf < 2 else "medium",
                  f"{rf_key}={fmt(rf)}: " + a.fill(
                      "below the documented durable setting (replication factor "
                      "{default[kafka_durable_replication_factor]}, min.insync.replicas="
                      "{default[kafka_durable_min_insync_replicas]}, acks=all); a single broker loss can lose or "
                      "block the partition."))


@rule("kafka_min_isr_not_below_rf", "kafka", "kafka-topicconfigs-min-insync-replicas", "kafka_not_enough_replicas")
def min_isr_not_below_rf(a: Audited) -> Iterator[Hit]:
    rf_key, rf = _replication(a)
    minisr = a.num("min.insync.replicas")
    if rf is not None and minisr is not None and minisr >= rf:
        yield Hit("min.insync.replicas", a.shown("min.insync.replicas"), "high",
                  f"min.insync.replicas={fmt(minisr)} >= {rf_key}={fmt(rf)}: with acks=all every write fails with "
                  "NotEnoughReplicas as soon as one replica is down.",
                  f"Keep min.insync.replicas below the replication factor (e.g. {fmt(max(1, rf - 1))} for "
                  f"replication factor {fmt(rf)}).")


setting_rules(
    SettingRule("kafka_min_isr_1", "kafka", "kafka-topicconfigs-min-insync-replicas",
                ("kafka_acks_not_all_message_loss",), "min.insync.replicas", "medium",
                when=lambda a: _below(a.num("min.insync.replicas"), a.default("kafka_durable_min_insync_replicas"))
                and a.text("acks") in (None, "all", "-1"),
                why="min.insync.replicas=1: acks=all then succeeds when the in-sync set has shrunk to the leader "
                    "alone, so a leader failure can still lose acknowledged writes.",
                fix="Set min.insync.replicas={default[kafka_durable_min_insync_replicas]} with replication factor "
                    "{default[kafka_durable_replication_factor]} (the documented durable combination)."),
)


_INTERNAL_TOPICS = ("offsets.topic.replication.factor", "transaction.state.log.replication.factor")


@rule("kafka_internal_topic_rf_above_brokers", "kafka", "gh-apache-kafka-groupcoordinatorconfig-java",
      "kafka_offsets_topic_replication_single_broker")
def internal_topic_rf_above_brokers(a: Audited) -> Iterator[Hit]:
    brokers = a.num("observed.broker_count")
    for key in _INTERNAL_TOPICS:
        irf = a.num(key)
        if irf is not None and brokers is not None and irf > brokers:
            yield Hit(key, a.shown(key), "high",
                      f"{key}={fmt(irf)} but the cluster has {fmt(brokers)} broker(s): the internal topic cannot be "
                      "created, so the group / transaction coordinator is never available.",
                      f"Set {key} to at most the broker count (1 for a single-broker dev cluster), or add brokers.")


@rule("kafka_internal_topic_rf_below_min_isr", "kafka", "kafka-topicconfigs-min-insync-replicas",
      "kafka_not_enough_replicas", "kafka_offsets_topic_replication_single_broker")
def internal_topic_rf_below_min_isr(a: Audited) -> Iterator[Hit]:
    minisr = a.num("min.insync.replicas")
    for key in _INTERNAL_TOPICS:
        irf = a.num(key)
        if irf is not None and minisr is not None and irf < minisr:
            yield Hit(key, a.shown(key), "high",
                      f"{key}={fmt(irf)} is below min.insync.replicas={fmt(minisr)}: acks=all writes to the internal "
                      "topic (offset commits / transaction markers) are rejected.",
                      f"Raise {key} to at least min.insync.replicas "
                      f"({fmt(a.default('kafka_offsets_topic_replication_factor'))} is the default), or lower "
                      "min.insync.replicas.")


@rule("kafka_internal_topic_rf_default_above_brokers", "kafka", "gh-apache-kafka-groupcoordinatorconfig-java",
      "kafka_offsets_topic_replication_single_broker",
      fix="Set offsets.topic.replication.factor (and transaction.state.log.replication.factor) to the broker "
          "count on small clusters.")
def internal_topic_rf_default_above_brokers(a: Audited) -> Iterator[Hit]:
    brokers = a.num("observed.broker_count")
    default_rf = a.default("kafka_offsets_topic_replication_factor")
    if brokers is not None and not a.has("offsets.topic.replication.factor") and brokers < default_rf:
        yield Hit("offsets.topic.replication.factor", f"(default {fmt(default_rf)})", "high",
                  f"The cluster has {fmt(brokers)} broker(s) but offsets.topic.replication.factor defaults to "
                  f"{fmt(default_rf)}, so __consumer_offsets cannot be created and consumer groups find no "
                  "coordinator.")


@rule("kafka_unclean_leader_election", "kafka", "kafka-topicconfigs-unclean-leader-election-enable",
      "kafka_unclean_leader_election_loss",
      fix="Set unclean.leader.election.enable=false (the default).")
def unclean_leader_election(a: Audited) -> Iterator[Hit]:
    if a.flag("unclean.leader.election.enable") is True:
        yield Hit("unclean.leader.election.enable", a.shown("unclean.leader.election.enable"),
                  "critical" if a.durable else "high",
                  "An out-of-sync replica may become leader, truncating acknowledged records (data loss)"
                  + (f"; incompatible with the stated {a.delivery} guarantee." if a.durable else "."))


# Commits and exactly-once ---------------------------------------------------------------------------------------

def _auto_commits(a: Audited) -> bool:
    """Set to auto-commit, or left at that default on what looks like a consumer's configuration."""
    auto = a.flag("enable.auto.commit")
    return auto if auto is not None else _consumer(a)


setting_rules(
    SettingRule("kafka_auto_commit_at_least_once", "kafka", "kafka-consumerconfigs-enable-auto-commit",
                ("kafka_auto_commit_message_loss",), "enable.auto.commit", "high", unset="(default true)",
                when=lambda a: a.durable and _auto_commits(a),
                why="Auto-commit commits polled offsets on a timer whether or not processing finished; under the "
                    "stated {delivery} guarantee a crash after the commit skips records.",
                fix="Set enable.auto.commit=false and commit after processing (commitSync per batch, and in "
                    "onPartitionsRevoked)."),
    SettingRule("kafka_auto_commit", "kafka", "kafka-consumerconfigs-enable-auto-commit",
                ("kafka_auto_commit_message_loss",), "enable.auto.commit", "low", unset="(default true)",
                when=lambda a: not a.durable and a.flag("enable.auto.commit") is True,
                why="Auto-commit is safe only if every record is processed synchronously inside the poll loop; "
                    "records handed to other threads can be committed before they are processed.",
                fix="State the delivery guarantee; for at-least-once set enable.auto.commit=false and commit after "
                    "processing."),
    SettingRule("kafka_eos_idempotence_off", "kafka", "kafka-producerconfigs-enable-idempotence",
                ("non_idempotent_consumer_duplicates",), "enable.idempotence", "high",
                when=lambda a: a.delivery == "exactly_once" and a.flag("enable.idempotence") is False,
                why="exactly_once is stated but the idempotent producer is disabled, so retries can write "
                    "duplicates.",
                fix="Set enable.idempotence=true (default since 3.0) with acks=all."),
    SettingRule("kafka_eos_read_uncommitted", "kafka", "kafka-consumerconfigs-isolation-level",
                ("kafka_read_uncommitted_sees_aborted",), "isolation.level", "high",
                unset="(default read_uncommitted)",
                when=lambda a: a.delivery == "exactly_once" and _reads_uncommitted(a),
                why="exactly_once is stated but consumers read uncommitted data, so they also see records of aborted "
                    "transactions.",
                fix="Set isolation.level=read_committed on consumers."),
    SettingRule("kafka_eos_no_transactional_id", "kafka", "kafka-producerconfigs-transactional-id",
                ("non_idempotent_consumer_duplicates",), "transactional.id", "medium", unset="(not set)",
                when=lambda a: a.delivery == "exactly_once" and _producer(a) and not a.has("transactional.id"),
                why="exactly_once across consume-transform-produce needs transactions; without transactional.id the "
                    "producer cannot use them (idempotence alone only removes retry duplicates within one producer "
                    "session).",
                fix="Set a unique, stable transactional.id per producer instance and send offsets in the "
                    "transaction; or make consumers idempotent."),
)


@rule("kafka_idempotence_conflict", "kafka", "kafka-producerconfigs-enable-idempotence", "kafka_retries_reordering",
      fix="Use acks=all, retries > 0 and max.in.flight.requests.per.connection <= "
          "{default[kafka_idempotence_max_in_flight]}.")
def idempotence_conflict(a: Audited) -> Iterator[Hit]:
    idem, acks = a.flag("enable.idempotence"), a.text("acks")
    inflight, retries = a.num("max.in.flight.requests.per.connection"), a.num("retries")
    conflicts: list[tuple[str, str]] = []
    most = a.default("kafka_idempotence_max_in_flight")
    if inflight is not None and inflight > most:
        conflicts.append(("max.in.flight.requests.per.connection",
                          f"max.in.flight.requests.per.connection={fmt(inflight)} (> {fmt(most)})"))
    if acks in ("0", "1"):
        conflicts.append(("acks", f"acks={acks} (needs all)"))
    if retries is not None and retries <= 0:
        conflicts.append(("retries", f"retries={fmt(retries)} (needs > 0)"))
    if not conflicts or not (idem is True or (idem is None and _producer(a))):
        return
    key, explicit = conflicts[0][0], idem is True
    what = ", ".join(text for _, text in conflicts)
    yield Hit(key, a.shown(key), "high" if explicit else "medium",
              (f"enable.idempotence=true conflicts with {what}: the producer fails with a ConfigException."
               if explicit else f"The idempotent producer (default since Kafka 3.0) is silently disabled by {what}, "
               "so retries can write duplicates and reorder records."))


# The poll loop and group membership -----------------------------------------------------------------------------

def _poll_interval(a: Audited) -> tuple[float, str]:
    interval = a.num("max.poll.interval.ms")
    default = a.default("kafka_max_poll_interval_ms")
    return (interval if interval is not None else default,
            a.shown("max.poll.interval.ms") or f"(default {fmt(default)})")


def _poll_applies(a: Audited) -> bool:
    return a.pt is not None and (_consumer(a) or a.num("max.poll.interval.ms") is not None or a.brokers == {"kafka"})


@rule("kafka_processing_exceeds_poll_interval", "kafka", "kafka-consumerconfigs-max-poll-interval-ms",
      "kafka_max_poll_interval_exceeded", "kafka_commit_failed_duplicates")
def processing_exceeds_poll_interval(a: Audited) -> Iterator[Hit]:
    if not _poll_applies(a) or a.pt is None:
        return
    iv, iv_shown = _poll_interval(a)
    if a.pt > iv:
        what = "one poll batch" if a.scope == "batch" else "one record"
        yield Hit("max.poll.interval.ms", iv_shown, "critical",
                  f"Processing {what} takes {a.pt / 1000:g} s, longer than max.poll.interval.ms ({iv / 1000:g} s): "
                  "the consumer leaves the group, its partitions are reassigned and its commit fails "
                  "(CommitFailedException).",
                  f"Raise max.poll.interval.ms above the worst-case batch time (> {a.pt:.0f} ms), or reduce "
                  "max.poll.records / move the work off the polling thread (pause/resume).")


@rule("kafka_poll_batch_may_exceed_interval", "kafka", "kafka-consumerconfigs-max-poll-records",
      "kafka_max_poll_interval_exceeded")
def poll_batch_may_exceed_interval(a: Audited) -> Iterator[Hit]:
    per = a.per_message_time()
    if not _poll_applies(a) or per is None:
        return
    iv, _ = _poll_interval(a)
    records = a.num("max.poll.records")
    default_n = a.default("kafka_max_poll_records")
    n = records if records is not None else default_n
    if per <= iv and per * n > iv:
        yield Hit("max.poll.records", a.shown("max.poll.records") or f"(default {fmt(default_n)})", "high",
                  f"A full poll of {fmt(n)} records at {per / 1000:g} s each takes up to {per * n / 1000:g} s, more "
                  f"than max.poll.interval.ms ({iv / 1000:g} s).",
                  f"Lower max.poll.records to at most {max(1, int(iv // per))} (interval / per-record time, keep a "
                  "margin) or raise max.poll.interval.ms.",
                  judgement="uses the worst per-record time given for every record of the batch")


def _session_and_heartbeat(a: Audited) -> tuple[float, float, str] | None:
    session, heartbeat = a.num("session.timeout.ms"), a.num("heartbeat.interval.ms")
    if session is None and heartbeat is None:
        return None
    s = session if session is not None else a.default("kafka_session_timeout_ms")
    h = heartbeat if heartbeat is not None else a.default("kafka_heartbeat_interval_ms")
    return s, h, "heartbeat.interval.ms" if heartbeat is not None else "session.timeout.ms"


@rule("kafka_heartbeat_not_below_session", "kafka", "kafka-consumerconfigs-heartbeat-interval-ms",
      "kafka_session_timeout_rebalance_storm")
def heartbeat_not_below_session(a: Audited) -> Iterator[Hit]:
    found = _session_and_heartbeat(a)
    if found is not None and found[1] >= found[0]:
        s, h, key = found
        yield Hit(key, a.shown(key), "high",
                  f"heartbeat.interval.ms ({fmt(h)}) must be lower than session.timeout.ms ({fmt(s)}).",
                  "Keep heartbeat.interval.ms at no more than a third of session.timeout.ms (defaults "
                  f"{fmt(a.default('kafka_heartbeat_interval_ms'))} / {fmt(a.default('kafka_session_timeout_ms'))}).")


@rule("kafka_heartbeat_above_third_of_session", "kafka", "kafka-consumerconfigs-heartbeat-interval-ms",
      "kafka_session_timeout_rebalance_storm")
def heartbeat_above_third_of_session(a: Audited) -> Iterator[Hit]:
    found = _session_and_heartbeat(a)
    if found is not None and found[0] / 3 < found[1] < found[0]:
        s, h, key = found
        yield Hit(key, a.shown(key), "medium",
                  f"heartbeat.interval.ms ({fmt(h)}) is more than a third of session.timeout.ms ({fmt(s)}); one or "
                  "two missed heartbeats then expire the member.",
                  f"Set heartbeat.interval.ms <= {fmt(s // 3)} (typically <= 1/3 of the session timeout).")


@rule("kafka_session_outside_broker_range", "kafka", "kafka-consumerconfigs-session-timeout-ms",
      "kafka_session_timeout_rebalance_storm")
def session_outside_broker_range(a: Audited) -> Iterator[Hit]:
    session = a.num("session.timeout.ms")
    if session is None:
        return
    lo = a.num("group.min.session.timeout.ms") or a.default("kafka_group_min_session_timeout_ms")
    hi = a.num("group.max.session.timeout.ms") or a.default("kafka_group_max_session_timeout_ms")
    if session < lo or session > hi:
        yield Hit("session.timeout.ms", a.shown("session.timeout.ms"), "high",
                  f"session.timeout.ms={fmt(session)} is outside the broker's allowed range "
                  f"[group.min.session.timeout.ms {fmt(lo)}, group.max.session.timeout.ms {fmt(hi)}]; the broker "
                  "rejects the JoinGroup request.",
                  f"Choose a session timeout inside the broker range (default "
                  f"{fmt(a.default('kafka_session_timeout_ms'))}).")


# Sizes and retention --------------------------------------------------------------------------------------------

def _broker_limit(a: Audited) -> tuple[str | None, float | None]:
    key = next((k for k in ("max.message.bytes", "message.max.bytes") if a.has(k)), None)
    return key, a.num(key) if key else None


@rule("kafka_request_size_above_broker_limit", "kafka", "kafka-topicconfigs-max-message-bytes",
      "kafka_record_too_large")
def request_size_above_broker_limit(a: Audited) -> Iterator[Hit]:
    limit_key, limit = _broker_limit(a)
    req = a.num("max.request.size")
    if limit is not None and req is not None and req > limit:
        yield Hit("max.request.size", a.shown("max.request.size"), "medium",
                  f"max.request.size ({fmt(req)}) is above {limit_key} ({fmt(limit)}): the producer builds batches "
                  "the broker rejects with RecordTooLargeException / MESSAGE_TOO_LARGE.",
                  f"Align them: raise {limit_key} (and consumer fetch sizes) or lower max.request.size.")


@rule("kafka_message_over_limit", "kafka", "kafka-brokerconfigs-message-max-bytes", "kafka_record_too_large",
      fix="Keep events small (claim-check: store the payload, send a reference) or raise "
          "message.max.bytes / max.message.bytes, max.request.size and consumer fetch sizes together.")
def message_over_limit(a: Audited) -> Iterator[Hit]:
    size = a.ctx.message_size_bytes if a.ctx else None
    if size is None:
        return
    limit_key, limit = _broker_limit(a)
    req = a.num("max.request.size")
    limits = [(limit_key or "message.max.bytes",
               limit if limit is not None else a.threshold("kafka_default_max_message_bytes"), None),
              ("max.request.size", req if req is not None else a.default("kafka_max_request_size"),
               "gh-apache-kafka-producerconfig-java")]
    for key, lim, source in limits:
        if size > lim:
            yield Hit(key, a.shown(key) or f"(default {fmt(lim)})", "high",
                      f"The stated message size ({size} bytes) is above {key} ({fmt(lim)} bytes); such records fail "
                      "with RecordTooLargeException.",
                      source=source)
            return


_RETENTION_KEYS = (("retention.ms", 1.0), ("log.retention.ms", 1.0), ("log.retention.minutes", 60_000.0),
                   ("log.retention.hours", 3_600_000.0))


@rule("kafka_retention_shorter_than_replay", "kafka", "kafka-topicconfigs-retention-ms",
      "kafka_offset_out_of_range_retention")
def retention_shorter_than_replay(a: Audited) -> Iterator[Hit]:
    configured: tuple[str, float | None] | None = None
    for key, factor in _RETENTION_KEYS:
        v = a.num(key)
        if v is not None:
            configured = key, (None if v < 0 else v * factor)
            break
    yield from retention_hits(a, "kafka", configured, a.default("kafka_retention_ms"))

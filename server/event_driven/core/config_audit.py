"""Configuration audit: a user's broker / client configuration checked against the delivery guarantee they state
and against known pitfalls.

Every finding names the key, its current value, the fix and the URL the rule comes from. Figures are the documented
ones (facts sheet / knowledge base); where a threshold is a judgement rather than a documented limit the finding's
``judgement`` field says so. Pure: no I/O, no MCP imports. Used by :func:`event_driven.core.diagnosis.diagnose`
and callable alone through :func:`audit_config`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from event_driven.core.context import NormalizedContext
from event_driven.core.evidence import KEY_BROKERS, ParsedConfig, parse_config

__all__ = ["ConfigFinding", "Severity", "SEVERITY_ORDER", "audit_config"]

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

# Sources (all from /work/shared/reference/facts.md or knowledge/*.yaml).
K_ACKS = "https://kafka.apache.org/documentation/#producerconfigs_acks"
K_MINISR = "https://kafka.apache.org/documentation/#topicconfigs_min.insync.replicas"
K_AUTOCOMMIT = "https://kafka.apache.org/documentation/#consumerconfigs_enable.auto.commit"
K_SEMANTICS = "https://kafka.apache.org/documentation/#semantics"
K_ISOLATION = "https://kafka.apache.org/documentation/#consumerconfigs_isolation.level"
K_IDEMPOTENCE = "https://kafka.apache.org/documentation/#producerconfigs_enable.idempotence"
K_TXID = "https://kafka.apache.org/documentation/#producerconfigs_transactional.id"
K_POLL = "https://kafka.apache.org/documentation/#consumerconfigs_max.poll.interval.ms"
K_POLL_RECORDS = "https://kafka.apache.org/documentation/#consumerconfigs_max.poll.records"
K_SESSION = "https://kafka.apache.org/documentation/#consumerconfigs_session.timeout.ms"
K_HEARTBEAT = "https://kafka.apache.org/documentation/#consumerconfigs_heartbeat.interval.ms"
K_UNCLEAN = "https://kafka.apache.org/documentation/#topicconfigs_unclean.leader.election.enable"
K_MSGMAX = "https://kafka.apache.org/documentation/#brokerconfigs_message.max.bytes"
K_MAXMSG_TOPIC = "https://kafka.apache.org/documentation/#topicconfigs_max.message.bytes"
K_PRODUCER_SRC = "https://github.com/apache/kafka/blob/trunk/clients/src/main/java/org/apache/kafka/clients/producer/ProducerConfig.java"
K_GROUPCOORD = "https://github.com/apache/kafka/blob/trunk/group-coordinator/src/main/java/org/apache/kafka/coordinator/group/GroupCoordinatorConfig.java"
K_RETENTION = "https://kafka.apache.org/documentation/#topicconfigs_retention.ms"
R_PREFETCH = "https://www.rabbitmq.com/docs/confirms#channel-qos-prefetch-throughput"
R_PREFETCH_QQ = "https://www.rabbitmq.com/docs/confirms#channel-qos-prefetch"
R_POISON = "https://www.rabbitmq.com/docs/quorum-queues#poison-message-handling"
R_CONSUMER_TIMEOUT = "https://www.rabbitmq.com/docs/consumers#acknowledgement-timeout"
R_CONFIRMS = "https://www.rabbitmq.com/docs/confirms#publisher-confirms"
R_WHEN_CONFIRMED = "https://www.rabbitmq.com/docs/confirms#when-publishes-are-confirmed"
S_VISIBILITY = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html"
S_DLQ = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html"
S_DLQ_RETENTION = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html"
S_QUOTAS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html"
S_QUEUE_QUOTAS = "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html"
S_SIZE = "https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb"
N_CONSUMERS = "https://docs.nats.io/nats-concepts/jetstream/consumers"
N_PAYLOAD = "https://github.com/nats-io/nats-server/blob/main/server/const.go"
P_RETENTION = "https://pulsar.apache.org/docs/cookbooks-retention-expiry"

KAFKA_MESSAGE_MAX_BYTES_DEFAULT = 1_048_588  # broker message.max.bytes / topic max.message.bytes (K_MSGMAX)
KAFKA_MAX_REQUEST_SIZE_DEFAULT = 1_048_576  # producer max.request.size (K_PRODUCER_SRC)
KAFKA_MAX_POLL_INTERVAL_DEFAULT = 300_000  # K_POLL
KAFKA_MAX_POLL_RECORDS_DEFAULT = 500  # K_POLL_RECORDS
KAFKA_SESSION_DEFAULT = 45_000  # K_SESSION (>= 3.0)
KAFKA_HEARTBEAT_DEFAULT = 3_000  # K_HEARTBEAT
KAFKA_GROUP_MIN_SESSION_DEFAULT = 6_000  # K_SESSION / K_GROUPCOORD
KAFKA_GROUP_MAX_SESSION_DEFAULT = 1_800_000  # K_SESSION / K_GROUPCOORD
KAFKA_RETENTION_DEFAULT_MS = 604_800_000  # 7 days, K_RETENTION
RABBIT_CONSUMER_TIMEOUT_DEFAULT = 1_800_000  # 30 min, R_CONSUMER_TIMEOUT
RABBIT_QQ_PREFETCH_CAP = 2_000  # R_PREFETCH_QQ
SQS_VISIBILITY_DEFAULT_S = 30  # S_VISIBILITY
SQS_MAX_MESSAGE_BYTES = 1_048_576  # S_SIZE (1 MiB; was 256 KiB)
SQS_RETENTION_MAX_S = 1_209_600  # 14 days, S_QUOTAS
SQS_RETENTION_DEFAULT_S = 345_600  # 4 days, S_QUOTAS
NATS_MAX_PAYLOAD_DEFAULT = 1_048_576  # N_PAYLOAD

_KAFKA_CONSUMER_HINTS = {"group.id", "enable.auto.commit", "auto.offset.reset", "max.poll.records",
                         "max.poll.interval.ms", "session.timeout.ms", "isolation.level", "key.deserializer",
                         "value.deserializer", "group.instance.id"}
_KAFKA_PRODUCER_HINTS = {"acks", "enable.idempotence", "max.in.flight.requests.per.connection", "retries",
                         "transactional.id", "key.serializer", "value.serializer", "linger.ms", "batch.size",
                         "max.request.size", "delivery.timeout.ms"}


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


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    try:
        return float(str(v).strip())
    except ValueError:
        return None


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return v.strip().lower() == "true"
    return None


def _fmt(v: float | int | None) -> str:
    if v is None:
        return "?"
    return f"{int(v)}" if float(v).is_integer() else f"{v:g}"


def _brokers_of(flat: Mapping[str, Any]) -> set[str]:
    keys = {k.removeprefix("dlq.").removeprefix("source.") for k in flat}
    return {KEY_BROKERS[k] for k in keys if k in KEY_BROKERS and KEY_BROKERS[k] != "any"}


class _Audit:
    def __init__(self, cfg: ParsedConfig, broker: str | None, ctx: NormalizedContext | None,
                 processing_time_ms: float | None, processing_scope: str) -> None:
        self.cfg = cfg
        self.flat = cfg.flat()
        self.ctx = ctx
        self.delivery = ctx.delivery if ctx else None
        self.pt = processing_time_ms
        self.scope = processing_scope
        styles = _brokers_of(self.flat)
        self.brokers = {broker} if broker else styles
        self.out: list[ConfigFinding] = []

    # helpers ---------------------------------------------------------------------------------------------------
    def has(self, key: str) -> bool:
        return key in self.flat

    def val(self, key: str) -> Any:
        return self.flat.get(key)

    def shown(self, key: str) -> str | None:
        e = self.cfg.entry(key)
        return e.raw if e is not None else None

    def add(self, **kw: Any) -> None:
        self.out.append(ConfigFinding(**kw))

    def is_(self, broker: str) -> bool:
        return broker in self.brokers

    def kafka_consumer(self) -> bool:
        return self.is_("kafka") and bool(_KAFKA_CONSUMER_HINTS & set(self.flat))

    def kafka_producer(self) -> bool:
        return self.is_("kafka") and bool(_KAFKA_PRODUCER_HINTS & set(self.flat))

    # Kafka -----------------------------------------------------------------------------------------------------
    def kafka(self) -> None:
        if not self.is_("kafka"):
            return
        durable = self.delivery in ("at_least_once", "exactly_once")
        acks = self.val("acks")
        acks_s = str(acks).strip().lower() if acks is not None else None
        if acks_s in ("0", "1") and self.delivery != "at_most_once":
            self.add(id="kafka_acks_not_all", severity="high" if durable else "medium", broker="kafka", key="acks",
                     current_value=self.shown("acks"),
                     message=f"acks={acks_s}: " + ("no broker acknowledgement at all; retries are ineffective"
                                                    if acks_s == "0" else "the leader acknowledges before followers "
                                                    "replicate, so an acknowledged write is lost if the leader fails")
                     + (f", which breaks the stated {self.delivery} guarantee." if durable else "."),
                     fix="Set acks=all (the default since Kafka 3.0) with min.insync.replicas=2 on a replication "
                     "factor 3 topic.", source=K_ACKS, failure_modes=["kafka_acks_not_all_message_loss"])
        minisr = _num(self.val("min.insync.replicas"))
        rf_key = next((k for k in ("replication.factor", "default.replication.factor") if self.has(k)), None)
        rf = _num(self.val(rf_key)) if rf_key else None
        if minisr is not None and minisr < 2 and acks_s in (None, "all", "-1"):
            self.add(id="kafka_min_isr_1", severity="medium", broker="kafka", key="min.insync.replicas",
                     current_value=self.shown("min.insync.replicas"),
                     message="min.insync.replicas=1: acks=all then succeeds when the in-sync set has shrunk to the "
                     "leader alone, so a leader failure can still lose acknowledged writes.",
                     fix="Set min.insync.replicas=2 with replication factor 3 (the documented durable combination).",
                     source=K_MINISR, failure_modes=["kafka_acks_not_all_message_loss"])
        if rf is not None and rf < 3:
            self.add(id="kafka_replication_below_3", severity="high" if durable and rf < 2 else "medium",
                     broker="kafka", key=rf_key or "replication.factor", current_value=self.shown(rf_key or ""),
                     message=f"{rf_key}={_fmt(rf)}: below the documented durable setting (replication factor 3, "
                     "min.insync.replicas=2, acks=all); a single broker loss can lose or block the partition.",
                     fix="Use replication factor 3 (kafka-reassign-partitions to raise it on existing topics).",
                     source=K_MINISR, failure_modes=["kafka_acks_not_all_message_loss", "kafka_not_enough_replicas"])
        if rf is not None and minisr is not None and minisr >= rf:
            self.add(id="kafka_min_isr_not_below_rf", severity="high", broker="kafka", key="min.insync.replicas",
                     current_value=self.shown("min.insync.replicas"),
                     message=f"min.insync.replicas={_fmt(minisr)} >= {rf_key}={_fmt(rf)}: with acks=all every write "
                     "fails with NotEnoughReplicas as soon as one replica is down.",
                     fix=f"Keep min.insync.replicas below the replication factor (e.g. {_fmt(max(1, rf - 1))} for "
                     f"replication factor {_fmt(rf)}).", source=K_MINISR, failure_modes=["kafka_not_enough_replicas"])
        brokers = _num(self.val("observed.broker_count"))
        for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor"):
            irf = _num(self.val(key))
            if irf is None:
                continue
            if brokers is not None and irf > brokers:
                self.add(id="kafka_internal_topic_rf_above_brokers", severity="high", broker="kafka", key=key,
                         current_value=self.shown(key),
                         message=f"{key}={_fmt(irf)} but the cluster has {_fmt(brokers)} broker(s): the internal topic "
                         "cannot be created, so the group / transaction coordinator is never available.",
                         fix=f"Set {key} to at most the broker count (1 for a single-broker dev cluster), or add "
                         "brokers.", source=K_GROUPCOORD,
                         failure_modes=["kafka_offsets_topic_replication_single_broker"])
            if minisr is not None and irf < minisr:
                self.add(id="kafka_internal_topic_rf_below_min_isr", severity="high", broker="kafka", key=key,
                         current_value=self.shown(key),
                         message=f"{key}={_fmt(irf)} is below min.insync.replicas={_fmt(minisr)}: acks=all writes "
                         "to the internal topic (offset commits / transaction markers) are rejected.",
                         fix=f"Raise {key} to at least min.insync.replicas (3 is the default), or lower "
                         "min.insync.replicas.", source=K_MINISR,
                         failure_modes=["kafka_not_enough_replicas", "kafka_offsets_topic_replication_single_broker"])
        if brokers is not None and not self.has("offsets.topic.replication.factor") and brokers < 3:
            self.add(id="kafka_internal_topic_rf_default_above_brokers", severity="high", broker="kafka",
                     key="offsets.topic.replication.factor", current_value="(default 3)",
                     message=f"The cluster has {_fmt(brokers)} broker(s) but offsets.topic.replication.factor "
                     "defaults to 3, so __consumer_offsets cannot be created and consumer groups find no coordinator.",
                     fix="Set offsets.topic.replication.factor (and transaction.state.log.replication.factor) to the "
                     "broker count on small clusters.", source=K_GROUPCOORD,
                     failure_modes=["kafka_offsets_topic_replication_single_broker"])

        # auto-commit
        auto = _bool(self.val("enable.auto.commit"))
        if auto is True or (auto is None and self.kafka_consumer() and durable):
            shown = self.shown("enable.auto.commit") or "(default true)"
            if durable:
                self.add(id="kafka_auto_commit_at_least_once", severity="high", broker="kafka",
                         key="enable.auto.commit", current_value=shown,
                         message=f"Auto-commit commits polled offsets on a timer whether or not processing finished; "
                         f"under the stated {self.delivery} guarantee a crash after the commit skips records.",
                         fix="Set enable.auto.commit=false and commit after processing (commitSync per batch, and in "
                         "onPartitionsRevoked).", source=K_AUTOCOMMIT,
                         failure_modes=["kafka_auto_commit_message_loss"])
            elif auto is True:
                self.add(id="kafka_auto_commit", severity="low", broker="kafka", key="enable.auto.commit",
                         current_value=shown,
                         message="Auto-commit is safe only if every record is processed synchronously inside the poll "
                         "loop; records handed to other threads can be committed before they are processed.",
                         fix="State the delivery guarantee; for at-least-once set enable.auto.commit=false and commit "
                         "after processing.", source=K_AUTOCOMMIT, failure_modes=["kafka_auto_commit_message_loss"])

        # exactly-once
        if self.delivery == "exactly_once":
            idem = _bool(self.val("enable.idempotence"))
            if idem is False:
                self.add(id="kafka_eos_idempotence_off", severity="high", broker="kafka", key="enable.idempotence",
                         current_value=self.shown("enable.idempotence"),
                         message="exactly_once is stated but the idempotent producer is disabled, so retries can "
                         "write duplicates.", fix="Set enable.idempotence=true (default since 3.0) with acks=all.",
                         source=K_IDEMPOTENCE, failure_modes=["non_idempotent_consumer_duplicates"])
            iso = self.val("isolation.level")
            if (iso is not None and str(iso).lower() != "read_committed") or (iso is None and self.kafka_consumer()):
                self.add(id="kafka_eos_read_uncommitted", severity="high", broker="kafka", key="isolation.level",
                         current_value=self.shown("isolation.level") or "(default read_uncommitted)",
                         message="exactly_once is stated but consumers read uncommitted data, so they also see "
                         "records of aborted transactions.", fix="Set isolation.level=read_committed on consumers.",
                         source=K_ISOLATION, failure_modes=["kafka_read_uncommitted_sees_aborted"])
            if self.kafka_producer() and not self.has("transactional.id"):
                self.add(id="kafka_eos_no_transactional_id", severity="medium", broker="kafka",
                         key="transactional.id", current_value="(not set)",
                         message="exactly_once across consume-transform-produce needs transactions; without "
                         "transactional.id the producer cannot use them (idempotence alone only removes retry "
                         "duplicates within one producer session).",
                         fix="Set a unique, stable transactional.id per producer instance and send offsets in the "
                         "transaction; or make consumers idempotent.", source=K_TXID,
                         failure_modes=["non_idempotent_consumer_duplicates"])

        # idempotence pre-conditions
        idem = _bool(self.val("enable.idempotence"))
        inflight = _num(self.val("max.in.flight.requests.per.connection"))
        retries = _num(self.val("retries"))
        conflicts = []
        if inflight is not None and inflight > 5:
            conflicts.append(f"max.in.flight.requests.per.connection={_fmt(inflight)} (> 5)")
        if acks_s in ("0", "1"):
            conflicts.append(f"acks={acks_s} (needs all)")
        if retries is not None and retries <= 0:
            conflicts.append(f"retries={_fmt(retries)} (needs > 0)")
        if conflicts and (idem is True or (idem is None and self.kafka_producer())):
            key = ("max.in.flight.requests.per.connection" if inflight is not None and inflight > 5
                   else "acks" if acks_s in ("0", "1") else "retries")
            explicit = idem is True
            self.add(id="kafka_idempotence_conflict", severity="high" if explicit else "medium", broker="kafka",
                     key=key, current_value=self.shown(key),
                     message=("enable.idempotence=true conflicts with " if explicit else
                              "The idempotent producer (default since Kafka 3.0) is silently disabled by ")
                     + ", ".join(conflicts) + (": the producer fails with a ConfigException." if explicit else
                                               ", so retries can write duplicates and reorder records."),
                     fix="Use acks=all, retries > 0 and max.in.flight.requests.per.connection <= 5.",
                     source=K_IDEMPOTENCE, failure_modes=["kafka_retries_reordering"])

        # poll interval against processing time
        interval = _num(self.val("max.poll.interval.ms"))
        records = _num(self.val("max.poll.records"))
        if self.pt is not None and (self.kafka_consumer() or interval is not None or self.brokers == {"kafka"}):
            iv = interval if interval is not None else KAFKA_MAX_POLL_INTERVAL_DEFAULT
            iv_shown = self.shown("max.poll.interval.ms") or f"(default {KAFKA_MAX_POLL_INTERVAL_DEFAULT})"
            n = records if records is not None else KAFKA_MAX_POLL_RECORDS_DEFAULT
            if self.pt > iv:
                what = "one poll batch" if self.scope == "batch" else "one record"
                self.add(id="kafka_processing_exceeds_poll_interval", severity="critical", broker="kafka",
                         key="max.poll.interval.ms", current_value=iv_shown,
                         message=f"Processing {what} takes {self.pt / 1000:g} s, longer than max.poll.interval.ms "
                         f"({iv / 1000:g} s): the consumer leaves the group, its partitions are reassigned and its "
                         "commit fails (CommitFailedException).",
                         fix=f"Raise max.poll.interval.ms above the worst-case batch time (> {self.pt:.0f} ms), or "
                         "reduce max.poll.records / move the work off the polling thread (pause/resume).",
                         source=K_POLL, failure_modes=["kafka_max_poll_interval_exceeded",
                                                       "kafka_commit_failed_duplicates"])
            elif self.scope == "message" and self.pt * n > iv:
                fit = max(1, int(iv // self.pt))
                self.add(id="kafka_poll_batch_may_exceed_interval", severity="high", broker="kafka",
                         key="max.poll.records",
                         current_value=self.shown("max.poll.records") or f"(default {KAFKA_MAX_POLL_RECORDS_DEFAULT})",
                         message=f"A full poll of {_fmt(n)} records at {self.pt / 1000:g} s each takes up to "
                         f"{self.pt * n / 1000:g} s, more than max.poll.interval.ms ({iv / 1000:g} s).",
                         fix=f"Lower max.poll.records to at most {fit} (interval / per-record time, keep a margin) or "
                         "raise max.poll.interval.ms.", source=K_POLL_RECORDS,
                         judgement="uses the worst per-record time given for every record of the batch",
                         failure_modes=["kafka_max_poll_interval_exceeded"])

        # session / heartbeat
        session = _num(self.val("session.timeout.ms"))
        heartbeat = _num(self.val("heartbeat.interval.ms"))
        if session is not None or heartbeat is not None:
            s = session if session is not None else KAFKA_SESSION_DEFAULT
            h = heartbeat if heartbeat is not None else KAFKA_HEARTBEAT_DEFAULT
            key = "heartbeat.interval.ms" if heartbeat is not None else "session.timeout.ms"
            if h >= s:
                self.add(id="kafka_heartbeat_not_below_session", severity="high", broker="kafka", key=key,
                         current_value=self.shown(key),
                         message=f"heartbeat.interval.ms ({_fmt(h)}) must be lower than session.timeout.ms "
                         f"({_fmt(s)}).", fix="Keep heartbeat.interval.ms at no more than a third of "
                         "session.timeout.ms (defaults 3000 / 45000).", source=K_HEARTBEAT,
                         failure_modes=["kafka_session_timeout_rebalance_storm"])
            elif h > s / 3:
                self.add(id="kafka_heartbeat_above_third_of_session", severity="medium", broker="kafka", key=key,
                         current_value=self.shown(key),
                         message=f"heartbeat.interval.ms ({_fmt(h)}) is more than a third of session.timeout.ms "
                         f"({_fmt(s)}); one or two missed heartbeats then expire the member.",
                         fix=f"Set heartbeat.interval.ms <= {_fmt(s // 3)} (typically <= 1/3 of the session timeout).",
                         source=K_HEARTBEAT, failure_modes=["kafka_session_timeout_rebalance_storm"])
            if session is not None:
                lo = _num(self.val("group.min.session.timeout.ms")) or KAFKA_GROUP_MIN_SESSION_DEFAULT
                hi = _num(self.val("group.max.session.timeout.ms")) or KAFKA_GROUP_MAX_SESSION_DEFAULT
                if session < lo or session > hi:
                    self.add(id="kafka_session_outside_broker_range", severity="high", broker="kafka",
                             key="session.timeout.ms", current_value=self.shown("session.timeout.ms"),
                             message=f"session.timeout.ms={_fmt(session)} is outside the broker's allowed range "
                             f"[group.min.session.timeout.ms {_fmt(lo)}, group.max.session.timeout.ms {_fmt(hi)}]; "
                             "the broker rejects the JoinGroup request.",
                             fix="Choose a session timeout inside the broker range (default 45000).", source=K_SESSION,
                             failure_modes=["kafka_session_timeout_rebalance_storm"])

        # unclean leader election
        if _bool(self.val("unclean.leader.election.enable")) is True:
            self.add(id="kafka_unclean_leader_election", severity="critical" if durable else "high", broker="kafka",
                     key="unclean.leader.election.enable", current_value=self.shown("unclean.leader.election.enable"),
                     message="An out-of-sync replica may become leader, truncating acknowledged records (data loss)"
                     + (f"; incompatible with the stated {self.delivery} guarantee." if durable else "."),
                     fix="Set unclean.leader.election.enable=false (the default).", source=K_UNCLEAN,
                     failure_modes=["kafka_unclean_leader_election_loss"])

        # message sizes
        broker_limit_key = next((k for k in ("max.message.bytes", "message.max.bytes") if self.has(k)), None)
        broker_limit = _num(self.val(broker_limit_key)) if broker_limit_key else None
        req = _num(self.val("max.request.size"))
        if broker_limit is not None and req is not None and req > broker_limit:
            self.add(id="kafka_request_size_above_broker_limit", severity="medium", broker="kafka",
                     key="max.request.size", current_value=self.shown("max.request.size"),
                     message=f"max.request.size ({_fmt(req)}) is above {broker_limit_key} ({_fmt(broker_limit)}): the "
                     "producer builds batches the broker rejects with RecordTooLargeException / MESSAGE_TOO_LARGE.",
                     fix=f"Align them: raise {broker_limit_key} (and consumer fetch sizes) or lower max.request.size.",
                     source=K_MAXMSG_TOPIC, failure_modes=["kafka_record_too_large"])
        size = self.ctx.message_size_bytes if self.ctx else None
        if size is not None:
            limits = [(broker_limit_key, broker_limit, K_MSGMAX) if broker_limit is not None else
                      ("message.max.bytes", KAFKA_MESSAGE_MAX_BYTES_DEFAULT, K_MSGMAX),
                      ("max.request.size", req, K_PRODUCER_SRC) if req is not None else
                      ("max.request.size", KAFKA_MAX_REQUEST_SIZE_DEFAULT, K_PRODUCER_SRC)]
            for key, lim, src in limits:
                if lim is not None and size > lim:
                    self.add(id="kafka_message_over_limit", severity="high", broker="kafka", key=key or "",
                             current_value=self.shown(key or "") or f"(default {_fmt(lim)})",
                             message=f"The stated message size ({size} bytes) is above {key} ({_fmt(lim)} bytes); "
                             "such records fail with RecordTooLargeException.",
                             fix="Keep events small (claim-check: store the payload, send a reference) or raise "
                             "message.max.bytes / max.message.bytes, max.request.size and consumer fetch sizes "
                             "together.", source=src, failure_modes=["kafka_record_too_large"])
                    break

        # retention against replay
        self._retention("kafka", self._kafka_retention_ms(), KAFKA_RETENTION_DEFAULT_MS, K_RETENTION,
                        ["kafka_offset_out_of_range_retention"])

    def _kafka_retention_ms(self) -> tuple[str, float | None] | None:
        for key, f in (("retention.ms", 1.0), ("log.retention.ms", 1.0), ("log.retention.minutes", 60_000.0),
                       ("log.retention.hours", 3_600_000.0)):
            v = _num(self.val(key))
            if v is not None:
                return key, (None if v < 0 else v * f)
        return None

    def _retention(self, broker: str, configured: tuple[str, float | None] | None, default_ms: float | None,
                   source: str, fms: list[str]) -> None:
        ctx = self.ctx
        if ctx is None or ctx.replay in (None, "none"):
            return
        if configured is not None:
            key, ms = configured
            shown = self.shown(key)
        elif default_ms is not None and self.brokers == {broker}:
            key, ms, shown = "retention", default_ms, f"(default {default_ms / 3_600_000:g} h)"
        else:
            return
        if ms is None:  # unlimited
            return
        need_h = None if ctx.replay == "full" else ctx.replay_hours
        if need_h is None or ms < need_h * 3_600_000:
            need = "full replay (from the beginning)" if need_h is None else f"replay of {need_h} h"
            self.add(id=f"{broker}_retention_shorter_than_replay", severity="high", broker=broker, key=key,
                     current_value=shown,
                     message=f"Retention is {ms / 3_600_000:g} h but the context needs {need}: older events are "
                     "deleted before they can be re-read.",
                     fix="Raise retention to cover the replay window (or -1 / unlimited with tiered storage, or "
                     "archive to a store) or shorten the replay need.", source=source, failure_modes=fms)

    # RabbitMQ --------------------------------------------------------------------------------------------------
    def rabbitmq(self) -> None:
        if not self.is_("rabbitmq"):
            return
        pf = _num(self.val("prefetch_count"))
        quorum = str(self.val("x-queue-type") or "").lower() == "quorum"
        if pf is not None:
            if pf == 0:
                self.add(id="rabbitmq_prefetch_unlimited", severity="high", broker="rabbitmq", key="prefetch_count",
                         current_value=self.shown("prefetch_count"),
                         message="prefetch 0 means unlimited: the broker pushes every ready message to the first "
                         "consumer, other consumers idle and the consumer's memory grows with the backlog.",
                         fix="Set basic.qos prefetch_count (100-300 usually gives optimal throughput; 1 is safest but "
                         "slowest) with manual acknowledgements.", source=R_PREFETCH,
                         failure_modes=["rabbitmq_prefetch_unlimited"])
            elif pf > RABBIT_QQ_PREFETCH_CAP:
                self.add(id="rabbitmq_prefetch_very_large", severity="medium", broker="rabbitmq",
                         key="prefetch_count", current_value=self.shown("prefetch_count"),
                         message=f"prefetch {_fmt(pf)}: quorum queues cap the effective prefetch at 2000 and 2000 vs "
                         "300 brings little extra throughput, while unacked messages pile up on one consumer.",
                         fix="Use a prefetch of 100-300.", source=R_PREFETCH_QQ,
                         failure_modes=["rabbitmq_prefetch_unlimited"])
            elif pf > 300:
                self.add(id="rabbitmq_prefetch_above_guidance", severity="low", broker="rabbitmq",
                         key="prefetch_count", current_value=self.shown("prefetch_count"),
                         message=f"prefetch {_fmt(pf)} is above the 100-300 range RabbitMQ documents as usually "
                         "optimal.", fix="Measure with 100-300 unless consumers are very fast.", source=R_PREFETCH,
                         judgement="100-300 is RabbitMQ's guidance, not a limit",
                         failure_modes=["rabbitmq_prefetch_unlimited"])
        has_dlx = self.has("x-dead-letter-exchange")
        if quorum and not has_dlx:
            self.add(id="rabbitmq_quorum_no_dead_letter", severity="medium", broker="rabbitmq",
                     key="x-dead-letter-exchange", current_value="(not set)",
                     message="Quorum queue without a dead-letter target: since RabbitMQ 4.0 the default delivery-limit "
                     "is 20, after which a repeatedly failing message is dropped.",
                     fix="Give the queue a dead-letter exchange (queue argument x-dead-letter-exchange or policy key "
                     "dead-letter-exchange; a stream is a cheap target).", source=R_POISON,
                     failure_modes=["rabbitmq_quorum_delivery_limit_drop"])
        if _num(self.val("x-delivery-limit")) == -1:
            self.add(id="rabbitmq_delivery_limit_unlimited", severity="low", broker="rabbitmq",
                     key="x-delivery-limit", current_value=self.shown("x-delivery-limit"),
                     message="x-delivery-limit=-1 restores unlimited redelivery (3.13 behaviour): a poison message "
                     "can be redelivered forever; RabbitMQ does not recommend it.",
                     fix="Keep a delivery limit with a dead-letter target.", source=R_POISON,
                     failure_modes=["rabbitmq_requeue_poison_loop"])
        ct = _num(self.val("consumer_timeout"))
        if self.pt is not None and self.scope == "message":
            limit = ct if ct is not None else RABBIT_CONSUMER_TIMEOUT_DEFAULT
            if self.pt > limit:
                self.add(id="rabbitmq_processing_exceeds_consumer_timeout", severity="high", broker="rabbitmq",
                         key="consumer_timeout",
                         current_value=self.shown("consumer_timeout") or f"(default {RABBIT_CONSUMER_TIMEOUT_DEFAULT})",
                         message=f"Processing takes {self.pt / 1000:g} s, longer than the delivery-acknowledgement "
                         f"timeout ({limit / 1000:g} s): the broker closes the channel and redelivers the message.",
                         fix="Raise consumer_timeout (rabbitmq.conf, or the consumer-timeout policy on quorum queues "
                         "from 4.3) above the worst-case processing time, or ack early and track work elsewhere.",
                         source=R_CONSUMER_TIMEOUT, failure_modes=["rabbitmq_consumer_ack_timeout"])
        durable = self.delivery in ("at_least_once", "exactly_once")
        if durable and _bool(self.val("publisher_confirms")) is False:
            self.add(id="rabbitmq_no_publisher_confirms", severity="high", broker="rabbitmq",
                     key="publisher_confirms", current_value=self.shown("publisher_confirms"),
                     message=f"Publishing without confirms under a stated {self.delivery} guarantee: the publisher "
                     "cannot know whether the broker accepted a message.",
                     fix="Enable confirms (confirm.select) and republish unconfirmed messages.", source=R_CONFIRMS,
                     failure_modes=["rabbitmq_no_publisher_confirms_loss"])
        if durable and (_num(self.val("delivery_mode")) == 1 or _bool(self.val("durable")) is False):
            key = "delivery_mode" if _num(self.val("delivery_mode")) == 1 else "durable"
            self.add(id="rabbitmq_transient_messages", severity="high", broker="rabbitmq", key=key,
                     current_value=self.shown(key),
                     message="Transient messages or a non-durable queue do not survive a broker restart; confirms "
                     "for persistent messages to durable queues are sent only after the write to disk.",
                     fix="Declare durable queues and publish with delivery_mode=2 (persistent).",
                     source=R_WHEN_CONFIRMED, failure_modes=["rabbitmq_no_publisher_confirms_loss"])

    # SQS -------------------------------------------------------------------------------------------------------
    def sqs(self) -> None:
        if not self.is_("sqs"):
            return
        vt = _num(self.val("VisibilityTimeout"))
        if self.pt is not None and self.scope == "message":
            limit_s = vt if vt is not None else SQS_VISIBILITY_DEFAULT_S
            if self.pt / 1000 > limit_s:
                self.add(id="sqs_visibility_shorter_than_processing", severity="high", broker="sqs",
                         key="VisibilityTimeout",
                         current_value=self.shown("VisibilityTimeout") or f"(default {SQS_VISIBILITY_DEFAULT_S})",
                         message=f"Processing takes {self.pt / 1000:g} s but the visibility timeout is {limit_s:g} s: "
                         "the message becomes visible again and another receiver processes it a second time.",
                         fix=f"Set VisibilityTimeout above the worst-case processing time (> {self.pt / 1000:g} s, "
                         "max 12 h) or extend it while working with ChangeMessageVisibility.", source=S_VISIBILITY,
                         failure_modes=["sqs_visibility_timeout_too_short"])
        if vt == 0 and not any(f.id == "sqs_visibility_shorter_than_processing" for f in self.out):
            self.add(id="sqs_visibility_zero", severity="high", broker="sqs", key="VisibilityTimeout",
                     current_value=self.shown("VisibilityTimeout"),
                     message="VisibilityTimeout=0: a received message is immediately visible again, so concurrent "
                     "or repeated receives return the same message (duplicates).",
                     fix="Set VisibilityTimeout above the processing time (default 30 s).", source=S_VISIBILITY,
                     failure_modes=["sqs_visibility_timeout_too_short"])
        fifo = _bool(self.val("FifoQueue")) is True
        redrive = self.has("RedrivePolicy") or self.has("RedrivePolicy.deadLetterTargetArn")
        if fifo and redrive:
            ordering = self.ctx.ordering if self.ctx else None
            if ordering != "none":
                self.add(id="sqs_fifo_redrive_breaks_order", severity="medium" if ordering else "low", broker="sqs",
                         key="RedrivePolicy", current_value=self.shown("RedrivePolicy") or "(set)",
                         message="A redrive policy on a FIFO queue moves a failing message aside while the rest of "
                         "its group continues, which breaks strict order; AWS advises against a DLQ on FIFO queues "
                         "when exact order matters" + ("." if ordering else " (the context does not say whether "
                                                       "order matters)."),
                         fix="If order matters, retry in place (no redrive) and alert on "
                         "ApproximateAgeOfOldestMessage; otherwise keep the DLQ.", source=S_DLQ, failure_modes=["sqs_fifo_dlq_breaks_order"])
        dlq_ret = _num(self.val("dlq.MessageRetentionPeriod"))
        src_ret = _num(self.val("source.MessageRetentionPeriod"))
        if dlq_ret is not None and not fifo:
            src = src_ret if src_ret is not None else SQS_RETENTION_DEFAULT_S
            if dlq_ret <= src:
                self.add(id="sqs_dlq_retention_not_longer", severity="medium", broker="sqs",
                         key="dlq.MessageRetentionPeriod", current_value=self.shown("dlq.MessageRetentionPeriod"),
                         message=f"DLQ retention ({dlq_ret / 86400:g} d) is not longer than the source queue's "
                         f"({src / 86400:g} d{'' if src_ret is not None else ', default'}): on standard queues expiry "
                         "counts from the original enqueue time, so dead-lettered messages can expire at once.",
                         fix="Set the DLQ's MessageRetentionPeriod longer than the source's (max 14 days).",
                         source=S_DLQ_RETENTION, failure_modes=["sqs_dlq_retention_expiry"])
        if _num(self.val("ReceiveMessageWaitTimeSeconds")) == 0:
            self.add(id="sqs_short_polling", severity="low", broker="sqs", key="ReceiveMessageWaitTimeSeconds",
                     current_value=self.shown("ReceiveMessageWaitTimeSeconds"),
                     message="Short polling (wait time 0) samples a subset of servers: receives often come back "
                     "empty while messages are queued, and the extra requests cost money.",
                     fix="Enable long polling: ReceiveMessageWaitTimeSeconds (or WaitTimeSeconds) up to 20.",
                     source=S_QUEUE_QUOTAS, failure_modes=["sqs_short_polling_empty_receives"])
        size = self.ctx.message_size_bytes if self.ctx else None
        mms = _num(self.val("MaximumMessageSize"))
        limit = mms if mms is not None else SQS_MAX_MESSAGE_BYTES
        if size is not None and size > limit:
            self.add(id="sqs_message_over_limit", severity="high", broker="sqs", key="MaximumMessageSize",
                     current_value=self.shown("MaximumMessageSize") or f"(limit {SQS_MAX_MESSAGE_BYTES})",
                     message=f"The stated message size ({size} bytes) is above the queue's limit ({_fmt(limit)} "
                     "bytes); SendMessage fails with InvalidParameterValue.",
                     fix="Store the payload in S3 and send a reference (claim check / extended client) or shrink "
                     "the event.", source=S_SIZE if mms is None else S_QUOTAS, failure_modes=["sqs_message_too_large"])
        ret = _num(self.val("MessageRetentionPeriod"))
        self._retention("sqs", ("MessageRetentionPeriod", ret * 1000) if ret is not None else None,
                        SQS_RETENTION_DEFAULT_S * 1000, S_QUOTAS, [])

    # NATS / Pulsar ---------------------------------------------------------------------------------------------
    def nats(self) -> None:
        if not self.is_("nats_jetstream"):
            return
        aw = _num(self.val("ack_wait"))
        if aw is not None and self.pt is not None and self.scope == "message" and self.pt > aw / 1e6:
            self.add(id="nats_ack_wait_shorter_than_processing", severity="high", broker="nats_jetstream",
                     key="ack_wait", current_value=self.shown("ack_wait"),
                     message=f"Processing takes {self.pt / 1000:g} s but ack_wait is {aw / 1e9:g} s: the server "
                     "redelivers the message while it is still being processed.",
                     fix="Raise ack_wait above the worst-case processing time or send in-progress acks (+WPI / "
                     "msg.InProgress()).", source=N_CONSUMERS, failure_modes=["nats_ack_wait_redelivery"])
        size = self.ctx.message_size_bytes if self.ctx else None
        mp = _num(self.val("max_payload")) or NATS_MAX_PAYLOAD_DEFAULT
        if size is not None and size > mp:
            self.add(id="nats_message_over_max_payload", severity="high", broker="nats_jetstream", key="max_payload",
                     current_value=self.shown("max_payload") or f"(default {NATS_MAX_PAYLOAD_DEFAULT})",
                     message=f"The stated message size ({size} bytes) is above max_payload ({_fmt(mp)} bytes).",
                     fix="Shrink the event or store the payload elsewhere and publish a reference.", source=N_PAYLOAD,
                     failure_modes=[])
        ma = _num(self.val("max_age"))
        self._retention("nats_jetstream", ("max_age", ma / 1e6 if ma else None) if ma is not None else None, None,
                        "https://docs.nats.io/nats-concepts/jetstream/streams", [])

    def pulsar(self) -> None:
        if not self.is_("pulsar"):
            return
        rt = _num(self.val("retentionTimeInMinutes"))
        conf = None
        if rt is not None:
            conf = ("retentionTimeInMinutes", None if rt < 0 else rt * 60_000)
        self._retention("pulsar", conf, 0.0, P_RETENTION, ["pulsar_no_subscription_no_retention"])

    def run(self) -> list[ConfigFinding]:
        self.kafka()
        self.rabbitmq()
        self.sqs()
        self.nats()
        self.pulsar()
        seen: set[tuple[str, str]] = set()
        unique = []
        for f in self.out:
            if (f.id, f.key) not in seen:
                seen.add((f.id, f.key))
                unique.append(f)
        return sorted(unique, key=lambda f: (SEVERITY_ORDER[f.severity], f.broker, f.key, f.id))


def audit_config(
    config: ParsedConfig | Mapping[str, Any] | str | None,
    *,
    broker: str | None = None,
    context: NormalizedContext | None = None,
    processing_time_ms: float | None = None,
    processing_scope: Literal["message", "batch"] = "message",
    known_keys: Iterable[str] = (),
) -> list[ConfigFinding]:
    """Audit a configuration; most severe findings first.

    ``broker`` restricts the checks to one broker (otherwise the brokers whose key styles appear in the config are
    checked). ``context`` supplies the delivery guarantee, ordering, replay need and message size.
    ``processing_time_ms`` is the worst-case time to process one message (``processing_scope='message'``) or one
    poll batch (``'batch'``).
    """
    parsed = config if isinstance(config, ParsedConfig) else parse_config(config, known_keys)
    if processing_time_ms is None:
        pt = parsed.flat().get("observed.max_processing_time_ms")
        processing_time_ms = float(pt) if isinstance(pt, (int, float)) and not isinstance(pt, bool) else None
    return _Audit(parsed, broker, context, processing_time_ms, processing_scope).run()

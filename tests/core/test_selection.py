"""select_broker's options: every selectable broker is ranked, and the fire-and-forget ones are never planned."""

from __future__ import annotations

import pytest

from event_driven.app.plan import plan_topology
from event_driven.core.selection import select
from event_driven.kb.loader import knowledge
from event_driven.vocab import PLANNABLE_BROKERS, SELECTABLE_BROKERS

EPHEMERAL_FAN_OUT = {"use_case": "pub_sub", "requirements": {"throughput": "200K msg/s", "latency": "1ms",
                     "delivery": "at_most_once", "retention": "0 hours", "replay": "none"},
                     "producers": ["price-feed"], "consumers": ["dashboards"]}


def test_every_selectable_broker_is_profiled_and_ranked():
    kb = knowledge()
    assert set(SELECTABLE_BROKERS) <= {b.id for b in kb.brokers.brokers}
    rows = select(EPHEMERAL_FAN_OUT, kb).rankings
    assert {r.broker for r in rows} == set(SELECTABLE_BROKERS)
    assert all(r.plannable == (r.broker in PLANNABLE_BROKERS) for r in rows)


def test_fire_and_forget_winner_is_not_planned():
    kb = knowledge()
    assert select(EPHEMERAL_FAN_OUT, kb).winner == "nats_core"
    context = {**EPHEMERAL_FAN_OUT, "requirements": {k: v for k, v in EPHEMERAL_FAN_OUT["requirements"].items()
                                                     if k != "retention"}}  # plans keep at least an hour
    assert select(context, kb).winner == "nats_core"
    plan = plan_topology(context, kb, None, None)
    assert plan.broker.technology not in ("NATS Core", "Redis Pub/Sub")


def test_a_broker_sharing_a_server_with_one_the_team_runs_costs_nothing_new_to_operate():
    kb = knowledge()
    rows = {r.option: r for r in select(EPHEMERAL_FAN_OUT, kb, {"existing_brokers": ["redis_streams"]}).rankings}
    fits = {f.requirement: f for f in rows["redis_pubsub"].fits}
    assert fits["operations"].fit == "good" and "the redis server" in fits["operations"].reason
    assert fits["constraints"].fit == "good"
    nats = {f.requirement: f for f in rows["nats_core"].fits}
    assert nats["constraints"].fit == "acceptable" and "new broker" in nats["constraints"].reason


@pytest.mark.parametrize("use_case", ["pub_sub", "work_queue", "event_sourcing"])
@pytest.mark.parametrize("rate", ["2K msg/s", "10K msg/s", "11K msg/s", "20K msg/s", "100K msg/s"])
def test_global_ordering_never_contradicts_the_ordered_channel_rule(use_case, rate):
    """Where validate_context warns that one ordered channel cannot carry the rate, only an option with a sourced
    per-unit figure for that rate may still qualify on ordering."""
    kb = knowledge()
    context = {"use_case": use_case, "requirements": {"throughput": rate, "ordering": "global",
               "delivery": "at_least_once", "replay": "full" if use_case == "event_sourcing" else "none"},
               "producers": ["p"], "consumers": ["c"]}
    result = select(context, kb)
    warned = "global_ordering_throughput" in {w.rule_id for w in result.warnings}
    for row in result.rankings:
        ordering = next(f for f in row.fits if f.requirement == "ordering")
        by_rule = "rule global_ordering_throughput" in ordering.reason
        if warned and by_rule:
            assert ordering.fit == "disqualified", (row.option, ordering.reason)
        if not warned and by_rule:
            assert ordering.fit == "acceptable", (row.option, ordering.reason)
        if ordering.fit == "good":
            assert "carries about" in ordering.reason and not by_rule

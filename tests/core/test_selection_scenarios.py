"""Evidence of judgement: realistic scenarios (each with its source) against select_broker and plan_topology."""

from __future__ import annotations

import pytest
import yaml

from conftest import TESTS
from event_driven import validate_context
from event_driven.app.plan import plan_topology
from event_driven.core.selection import select
from event_driven.kb.loader import knowledge

SCENARIOS = yaml.safe_load((TESTS / "scenarios" / "broker_selection.yaml").read_text())


def test_there_are_at_least_twenty_sourced_scenarios():
    assert len(SCENARIOS) >= 20
    assert all(s["source"].startswith("https://") for s in SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_scenario(scenario):
    kb = knowledge()
    result = select(scenario["context"], kb, scenario.get("constraints"))
    assert result.winner in scenario["acceptable"], [(r.option, r.score, r.disqualifiers) for r in result.rankings[:5]]
    rows = {r.option: r for r in result.rankings}
    for option in scenario.get("not", []):
        assert rows[option].disqualified, f"{option} should be disqualified: {rows[option].fits}"
    for option, expected in scenario.get("fits", {}).items():
        fits = {f.requirement: f.fit for f in rows[option].fits}
        assert {k: fits[k] for k in expected} == expected, (option, rows[option].fits)
    for option, expected in scenario.get("reasons", {}).items():
        reasons = {f.requirement: f.reason for f in rows[option].fits}
        for requirement, text in expected.items():
            assert text in reasons[requirement], (option, requirement, reasons[requirement])
    if "note" in scenario:
        assert any(scenario["note"] in n for n in result.notes), result.notes
    for option, plannable in scenario.get("plannable", {}).items():
        assert rows[option].plannable is plannable, option
    for better, worse in scenario.get("ranks_ahead", []):
        assert rows[better].rank < rows[worse].rank, (better, rows[better].rank, worse, rows[worse].rank)
    if "why" in scenario:
        assert scenario["why"] in " ".join(result.why_winner), result.why_winner
    if "tie" in scenario:
        assert result.tie is not None and set(result.tie.options) == set(scenario["tie"]), result.why_winner
        assert scenario["tie_question"] in result.tie.question, result.tie.question
    fired = {w.rule_id for w in validate_context(scenario["context"]).warnings}
    assert set(scenario.get("warnings", [])) <= fired, fired
    assert {w.rule_id for w in result.warnings} == fired
    if "plan_broker" in scenario:
        plan = plan_topology(scenario["context"], kb, scenario["plan_broker"],
                             scenario.get("options"), None)
        messages = " | ".join(w.message for w in plan.warnings)
        assert scenario["plan_warning"] in messages, messages


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_no_tie_is_explained_by_listing_order(scenario):
    """Equal scores are broken by a named difference, or reported as a tie with the question that breaks it."""
    result = select(scenario["context"], knowledge(), scenario.get("constraints"))
    text = " ".join(result.why_winner)
    assert "listing order" not in text
    qualified = [r for r in result.rankings if not r.disqualified]
    if len(qualified) < 2 or qualified[0].score != qualified[1].score:
        assert result.tie is None
    elif result.tie is not None:
        assert qualified[0].rank == qualified[1].rank and "a tie" in text and result.tie.question in text
        assert {r.option for r in qualified if r.rank == 1} == set(result.tie.options)
    else:
        assert qualified[0].rank < qualified[1].rank and "ranks first because" in text


def test_managed_deployment_lowers_self_hosted_complexity_one_level():
    context = {"use_case": "event_sourcing", "requirements": {"throughput": "500 msg/s", "ordering": "partition",
               "delivery": "at_least_once", "replay": "full"}, "producers": ["p"], "consumers": ["c"]}
    kafka = lambda constraints: next(r for r in select(context, knowledge(), constraints).rankings  # noqa: E731
                                     if r.option == "kafka")
    self_hosted = next(f for f in kafka(None).fits if f.requirement == "operations")
    managed = next(f for f in kafka({"cloud": "aws", "deployment": "managed"}).fits if f.requirement == "operations")
    assert (self_hosted.fit, managed.fit) == ("poor", "acceptable")
    assert "Amazon MSK" in managed.reason
    existing = next(f for f in kafka({"existing_brokers": ["kafka"]}).fits if f.requirement == "operations")
    assert existing.fit == "good" and "already operates" in existing.reason

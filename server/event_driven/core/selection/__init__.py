"""select_broker: rank every broker against a validated context, with the reason for every score.

Hard disqualifiers (a guarantee or ordering the broker cannot give, replay it does not have, retention past its maximum,
global ordering at a rate one ordered unit cannot carry, a constraint it cannot meet) are kept apart from soft scores.
Each requirement gets a fit and a reason that cites the knowledge base. Figures the research could not confirm are
reported as unknown, never guessed.

Modules, one requirement or step each: ``knowledge`` (the options and what the ranking reads from the knowledge base),
``capacity`` (sourced rates in msg/s), the fits (``use_case``, ``delivery``, ``ordering``, ``throughput``,
``retention``, ``latency``, ``message_size``, and ``constraints`` for operations and placement), ``scoring``,
``explanation`` (why the winner wins, trade-offs), ``ranking`` (select_broker) and ``request`` (select: the validated
entry point).
"""

from __future__ import annotations

from event_driven.core.selection.constraints import SelectionConstraints, parse_constraints
from event_driven.core.selection.knowledge import SelectionFigures, selection_figures
from event_driven.core.selection.models import BrokerRanking, BrokerSelection, Fit, RequirementFit
from event_driven.core.selection.ranking import select_broker
from event_driven.core.selection.request import select

__all__ = [
    "BrokerRanking", "BrokerSelection", "Fit", "RequirementFit", "SelectionConstraints", "SelectionFigures",
    "parse_constraints", "select", "select_broker", "selection_figures",
]

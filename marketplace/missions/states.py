"""The mission state machine, in one place: who may move a mission from where to where."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    # Capacities that may ask: sme (the need's SME manager), expert (the offer's
    # volunteer or their group referent), coordinator (of the mission's convention;
    # admins count as coordinators), system (the application itself).
    who: frozenset[str]


TRANSITIONS: dict[str, Transition] = {
    "approve": Transition(frozenset({"agreed"}), "approved", frozenset({"coordinator"})),
    "refuse": Transition(frozenset({"agreed"}), "refused", frozenset({"coordinator"})),
    "start": Transition(frozenset({"approved"}), "in_progress", frozenset({"system"})),
    "deliver": Transition(
        frozenset({"in_progress"}), "delivered", frozenset({"expert", "coordinator"})
    ),
    "close": Transition(frozenset({"delivered"}), "closed", frozenset({"sme", "coordinator"})),
    "cancel": Transition(
        frozenset({"agreed", "approved", "in_progress"}),
        "cancelled",
        frozenset({"sme", "expert", "coordinator"}),
    ),
}

# Cancelling once work has started is the coordinator's call.
CANCEL_BY_PARTIES = frozenset({"agreed", "approved"})
# States whose approved days are still held against the quota.
RESERVING = frozenset({"approved", "in_progress"})


def allowed(action: str, status: str, capacities: set[str]) -> bool:
    transition = TRANSITIONS.get(action)
    if transition is None or status not in transition.sources:
        return False
    if not capacities & transition.who:
        return False
    if action == "cancel" and "coordinator" not in capacities:
        return status in CANCEL_BY_PARTIES
    return True

"""The mission state machine, in one place: who may move a mission from where to where."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.matching.models import ProposalStatus
from marketplace.missions.models import MissionStatus, SessionStatus


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    # Capacities that may ask: sme (the need's SME manager), expert (the offer's
    # volunteer or their group referent), coordinator (of the mission's convention;
    # admins count as coordinators), system (the application itself).
    who: frozenset[str]


M = MissionStatus
TRANSITIONS: dict[str, Transition] = {
    "approve": Transition(frozenset({M.AGREED}), M.APPROVED, frozenset({"coordinator"})),
    "refuse": Transition(frozenset({M.AGREED}), M.REFUSED, frozenset({"coordinator"})),
    "start": Transition(frozenset({M.APPROVED}), M.IN_PROGRESS, frozenset({"system"})),
    "deliver": Transition(
        frozenset({M.IN_PROGRESS}), M.DELIVERED, frozenset({"expert", "coordinator"})
    ),
    "close": Transition(frozenset({M.DELIVERED}), M.CLOSED, frozenset({"sme", "coordinator"})),
    "cancel": Transition(
        frozenset({M.AGREED, M.APPROVED, M.IN_PROGRESS}),
        M.CANCELLED,
        frozenset({"sme", "expert", "coordinator"}),
    ),
}

# Cancelling once work has started is the coordinator's call.
CANCEL_BY_PARTIES = frozenset({M.AGREED, M.APPROVED})


def allowed(action: str, status: str, capacities: set[str]) -> bool:
    transition = TRANSITIONS.get(action)
    if transition is None or status not in transition.sources:
        return False
    if not capacities & transition.who:
        return False
    if action == "cancel" and "coordinator" not in capacities:
        return status in CANCEL_BY_PARTIES
    return True


# ------------------------------------------------------------------ sessions


@dataclass(frozen=True)
class SessionTransition:
    sources: frozenset[str]
    target: str
    who: frozenset[str]  # capacities, as for missions


_PARTIES = frozenset({"sme", "expert", "coordinator"})
SESSION_TRANSITIONS: dict[str, SessionTransition] = {
    # Before the date: any party moves or cancels a session still to come.
    "move": SessionTransition(frozenset({SessionStatus.PLANNED}), SessionStatus.PLANNED, _PARTIES),
    "cancel": SessionTransition(
        frozenset({SessionStatus.PLANNED}), SessionStatus.CANCELLED, _PARTIES
    ),
    # After the date: the expert declares, the SME confirms or disputes, the coordinator
    # settles a dispute.
    "declare_held": SessionTransition(
        frozenset({SessionStatus.PLANNED}), SessionStatus.DELIVERED, frozenset({"expert"})
    ),
    "declare_not_held": SessionTransition(
        frozenset({SessionStatus.PLANNED}), SessionStatus.NOT_HELD, frozenset({"expert"})
    ),
    "confirm": SessionTransition(
        frozenset({SessionStatus.DELIVERED}), SessionStatus.CONFIRMED, frozenset({"sme"})
    ),
    "dispute": SessionTransition(
        frozenset({SessionStatus.DELIVERED}), SessionStatus.DISPUTED, frozenset({"sme"})
    ),
    "settle_held": SessionTransition(
        frozenset({SessionStatus.DISPUTED}), SessionStatus.CONFIRMED, frozenset({"coordinator"})
    ),
    "settle_not_held": SessionTransition(
        frozenset({SessionStatus.DISPUTED}), SessionStatus.NOT_HELD, frozenset({"coordinator"})
    ),
}
# Sessions that no longer count against the approved days.
SESSION_DROPPED = frozenset({SessionStatus.CANCELLED, SessionStatus.NOT_HELD})


# ------------------------------------------------------------------ proposals

# (answer, side) -> {status now: status after}. Both sides accepting makes a mission; either
# declining ends the proposal; a status missing here means "already answered".
PROPOSAL_TRANSITIONS: dict[tuple[str, str], dict[str, str]] = {
    ("accept", "sme"): {
        ProposalStatus.PROPOSED: ProposalStatus.ACCEPTED_BY_SME,
        ProposalStatus.ACCEPTED_BY_EXPERT: ProposalStatus.AGREED,
    },
    ("accept", "expert"): {
        ProposalStatus.PROPOSED: ProposalStatus.ACCEPTED_BY_EXPERT,
        ProposalStatus.ACCEPTED_BY_SME: ProposalStatus.AGREED,
    },
    ("decline", "sme"): {
        ProposalStatus.PROPOSED: ProposalStatus.DECLINED,
        ProposalStatus.ACCEPTED_BY_EXPERT: ProposalStatus.DECLINED,
    },
    ("decline", "expert"): {
        ProposalStatus.PROPOSED: ProposalStatus.DECLINED,
        ProposalStatus.ACCEPTED_BY_SME: ProposalStatus.DECLINED,
    },
}
# The scheduler's `expire` job and a mission on the same need end the others: any
# unanswered status -> expired (matching.models.OPEN_PROPOSAL_STATUSES).


def proposal_target(status: str, side: str, accept: bool) -> str | None:
    """The proposal's next status when `side` answers, or None if it may not answer now."""
    return PROPOSAL_TRANSITIONS[("accept" if accept else "decline", side)].get(status)

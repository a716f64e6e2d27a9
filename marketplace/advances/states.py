"""The advance's state machine, in one place: who may move it from where to where."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.advances.models import AdvanceStatus


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    # sme: a manager of the advance's SME; officer: a coordinator of the fund's territory
    # (admins count as officers); committee: a decision recorded at a committee session;
    # system: the application itself (disbursement and repayments move it too).
    who: frozenset[str]


A = AdvanceStatus
TRANSITIONS: dict[str, Transition] = {
    "submit": Transition(frozenset({A.DRAFT}), A.SUBMITTED, frozenset({"sme", "officer"})),
    "withdraw": Transition(
        frozenset({A.DRAFT, A.SUBMITTED, A.ON_AGENDA, A.ADJOURNED, A.APPROVED}),
        A.WITHDRAWN,
        frozenset({"sme", "officer"}),
    ),
    "put_on_agenda": Transition(
        frozenset({A.SUBMITTED, A.ADJOURNED}), A.ON_AGENDA, frozenset({"officer"})
    ),
    "approve": Transition(frozenset({A.ON_AGENDA}), A.APPROVED, frozenset({"committee"})),
    "refuse": Transition(frozenset({A.ON_AGENDA}), A.REFUSED, frozenset({"committee"})),
    "adjourn": Transition(frozenset({A.ON_AGENDA}), A.ADJOURNED, frozenset({"committee"})),
    "contract": Transition(frozenset({A.APPROVED}), A.CONTRACTED, frozenset({"officer"})),
    "disburse_part": Transition(
        frozenset({A.CONTRACTED, A.DISBURSED}), A.DISBURSED, frozenset({"system"})
    ),
    "disburse_all": Transition(
        frozenset({A.CONTRACTED, A.DISBURSED}), A.REPAYING, frozenset({"system"})
    ),
    "fall_behind": Transition(frozenset({A.REPAYING}), A.IN_ARREARS, frozenset({"system"})),
    "catch_up": Transition(frozenset({A.IN_ARREARS}), A.REPAYING, frozenset({"system"})),
    "reschedule": Transition(
        frozenset({A.REPAYING, A.IN_ARREARS, A.DEFAULTED}), A.REPAYING, frozenset({"officer"})
    ),
    "repay_all": Transition(
        frozenset({A.REPAYING, A.IN_ARREARS, A.DEFAULTED}), A.REPAID, frozenset({"system"})
    ),
    "default": Transition(frozenset({A.IN_ARREARS}), A.DEFAULTED, frozenset({"officer"})),
    "write_off": Transition(frozenset({A.DEFAULTED}), A.WRITTEN_OFF, frozenset({"officer"})),
}

# What people may still edit: the application before the committee sees it.
EDITABLE = frozenset({A.DRAFT, A.SUBMITTED, A.ADJOURNED})


def allowed(action: str, status: str, capacities: set[str]) -> bool:
    transition = TRANSITIONS.get(action)
    return bool(
        transition is not None and status in transition.sources and capacities & transition.who
    )

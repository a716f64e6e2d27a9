"""The mission state machine: every action from every state, for every capacity."""

from __future__ import annotations

import itertools

import pytest

from marketplace.missions.models import MISSION_STATUSES
from marketplace.missions.states import TRANSITIONS, allowed

CAPACITIES = ("sme", "expert", "coordinator", "system")

# (action, status, capacity) triples that are allowed; everything else is refused.
EXPECTED = {
    ("approve", "agreed", "coordinator"),
    ("refuse", "agreed", "coordinator"),
    ("start", "approved", "system"),
    ("deliver", "in_progress", "expert"),
    ("deliver", "in_progress", "coordinator"),
    ("close", "delivered", "sme"),
    ("close", "delivered", "coordinator"),
    ("cancel", "agreed", "sme"),
    ("cancel", "agreed", "expert"),
    ("cancel", "agreed", "coordinator"),
    ("cancel", "approved", "sme"),
    ("cancel", "approved", "expert"),
    ("cancel", "approved", "coordinator"),
    ("cancel", "in_progress", "coordinator"),
}


@pytest.mark.parametrize(
    ("action", "status", "capacity"),
    list(itertools.product(TRANSITIONS, MISSION_STATUSES, CAPACITIES)),
)
def test_every_transition(action, status, capacity):
    assert allowed(action, status, {capacity}) == ((action, status, capacity) in EXPECTED)


def test_nobody_and_unknown_actions_are_refused():
    assert not allowed("approve", "agreed", set())
    assert not allowed("teleport", "agreed", {"coordinator"})


def test_terminal_states_have_no_way_out():
    for status in ("closed", "refused", "cancelled"):
        assert not any(allowed(a, status, set(CAPACITIES)) for a in TRANSITIONS)

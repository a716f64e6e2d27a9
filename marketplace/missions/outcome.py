"""After the mission: the SME rates the help and records jobs; the expert leaves a note."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import User
from marketplace.errors import InvalidTransition, NotAllowed
from marketplace.missions.access import capacities
from marketplace.missions.audit import record
from marketplace.missions.models import (
    Mission,
    MissionStatus,
)


def record_outcome(
    actor: User,
    mission: Mission,
    rating: int,
    comment: str | None,
    jobs_created: int,
    jobs_preserved: int,
    outcome_on: date,
    now: datetime,
) -> None:
    if "sme" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the SME manager rates the help received."))
    if mission.status not in (MissionStatus.DELIVERED, MissionStatus.CLOSED):
        raise InvalidTransition(_l("The outcome is recorded once the mission is delivered."))
    mission.rating, mission.rating_comment = rating, (comment or "").strip() or None
    mission.jobs_created, mission.jobs_preserved = jobs_created, jobs_preserved
    mission.outcome_on = outcome_on
    mission.updated_at = now
    record(
        mission,
        actor,
        "outcome",
        mission.status,
        mission.status,
        now,
        f"{rating}/5, +{jobs_created} / ={jobs_preserved}",
    )


def leave_note(actor: User, mission: Mission, note: str, now: datetime) -> None:
    if "expert" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the expert leaves a note here."))
    mission.volunteer_note = note.strip()[:4000] or None
    mission.updated_at = now
    record(mission, actor, "note", mission.status, mission.status, now)

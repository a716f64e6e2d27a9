"""A mission's timeline and its status moves: every change is written down."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from marketplace.accounts.models import User
from marketplace.errors import InvalidTransition
from marketplace.extensions import db
from marketplace.missions.models import (
    Mission,
    MissionEvent,
)
from marketplace.missions.states import TRANSITIONS


def record(
    mission: Mission,
    actor: User | None,
    action: str,
    before: str | None,
    after: str | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    db.session.add(
        MissionEvent(
            mission_id=mission.id,
            actor_id=actor.id if actor else None,
            action=action,
            from_status=before,
            to_status=after,
            reason=reason,
            at=now,
        )
    )


def move(
    mission: Mission, action: str, actor: User | None, now: datetime, reason: str | None = None
) -> None:
    """Change a mission's status with a conditional UPDATE, and write it down."""
    before = mission.status
    target = TRANSITIONS[action].target
    done = db.session.execute(
        update(Mission)
        .where(Mission.id == mission.id, Mission.status == before)
        .values(status=target, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise InvalidTransition(_l("The mission changed meanwhile; reload the page."))
    db.session.refresh(mission)
    record(mission, actor, action, before, target, now, reason)

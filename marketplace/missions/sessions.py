"""Sessions: planned, moved, cancelled before they happen; declared, confirmed or disputed after."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from marketplace.accounts.models import User
from marketplace.accounts.services import sme_managers
from marketplace.durations import STEP, hours_text
from marketplace.errors import InvalidTransition, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.i18n import format_day
from marketplace.missions.access import capacities, link, parties
from marketplace.missions.audit import move, record
from marketplace.missions.errors import BadSession
from marketplace.missions.models import (
    RESERVING_STATUSES,
    Mission,
    MissionSession,
    MissionStatus,
    SessionStatus,
)
from marketplace.missions.states import SESSION_DROPPED, SESSION_TRANSITIONS
from marketplace.notifications.services import notify

# How a declared session reads in the timeline.
SESSION_WORDS = {SessionStatus.DELIVERED: _l("held"), SessionStatus.NOT_HELD: _l("not held")}


def check_duration(mission: Mission, minutes) -> None:
    """15 minutes to one day of the mission's convention, in steps of 15 minutes."""
    day = mission.minutes_per_day
    if not isinstance(minutes, int) or minutes <= 0:
        raise BadSession(_l("A session lasts at least 15 minutes."), field="minutes")
    if minutes % STEP:
        raise BadSession(_l("A session's length goes in steps of 15 minutes."), field="minutes")
    if minutes > day:
        raise BadSession(
            _l("A session lasts one day (%(hours)s) at most.", hours=hours_text(day)),
            field="minutes",
        )


def _session_rules(
    mission: Mission,
    held_on: date,
    minutes: int,
    today: date,
    ignore: MissionSession | None = None,
) -> None:
    check_duration(mission, minutes)
    if not mission.starts_on <= held_on <= mission.ends_on:
        raise BadSession(
            _l(
                "The date must be between %(start)s and %(end)s.",
                start=format_day(mission.starts_on),
                end=format_day(mission.ends_on),
            )
        )
    if held_on < today:
        raise BadSession(_l("A session cannot be planned in the past."))
    planned = sum(
        s.minutes for s in mission.sessions if s is not ignore and s.status not in SESSION_DROPPED
    )
    if planned + minutes > mission.approved_minutes:
        raise BadSession(
            _l(
                "Planning %(hours)s more would pass the time approved (%(approved)s, of which "
                "%(left)s left); ask the coordinator to extend the approval.",
                hours=hours_text(minutes),
                approved=hours_text(mission.approved_minutes),
                left=hours_text(max(0, mission.approved_minutes - planned)),
            ),
            field="minutes",
        )


def plan_session(
    actor: User,
    mission: Mission,
    held_on: date,
    minutes: int,
    is_remote: bool,
    place: str | None,
    today: date,
    now: datetime,
) -> MissionSession:
    caps = capacities(actor, mission)
    if not caps & {"sme", "expert", "coordinator"}:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if mission.status not in RESERVING_STATUSES:
        raise InvalidTransition(_l("Sessions are planned once the mission is approved."))
    _session_rules(mission, held_on, minutes, today)
    session = MissionSession(
        mission_id=mission.id,
        held_on=held_on,
        minutes=minutes,
        is_remote=is_remote,
        place=(place or "").strip()[:200] or None,
        status=SessionStatus.PLANNED,
        created_at=now,
    )
    db.session.add(session)
    db.session.flush()
    db.session.refresh(mission)
    record(
        mission,
        actor,
        "session_planned",
        mission.status,
        mission.status,
        now,
        f"{format_day(held_on)} ({hours_text(minutes)})",
    )
    if mission.status == MissionStatus.APPROVED:
        move(mission, "start", actor, now)
    notify(
        parties(mission),
        "session_planned",
        lambda: _(
            "Session of %(date)s planned for mission %(ref)s",
            date=format_day(held_on),
            ref=mission.ref,
        ),
        link(mission),
        now,
    )
    return session


def _own_session(mission: Mission, session_id: int) -> MissionSession:
    session = db.session.get(MissionSession, session_id)
    if session is None or session.mission_id != mission.id:
        raise NotFound(_l("This session does not exist."))
    return session


def _set_session(session: MissionSession, action: str, **values) -> None:
    """Apply a transition of SESSION_TRANSITIONS with a conditional UPDATE (409 if raced)."""
    transition = SESSION_TRANSITIONS[action]
    done = db.session.execute(
        update(MissionSession)
        .where(MissionSession.id == session.id, MissionSession.status.in_(transition.sources))
        .values(status=transition.target, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise InvalidTransition(_l("This session changed meanwhile; reload the page."))
    db.session.refresh(session)


def move_session(
    actor: User,
    mission: Mission,
    session_id: int,
    held_on: date,
    minutes: int,
    today: date,
    now: datetime,
) -> None:
    session = _own_session(mission, session_id)
    if not capacities(actor, mission) & {"sme", "expert", "coordinator"}:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if session.status not in SESSION_TRANSITIONS["move"].sources or session.held_on <= today:
        raise InvalidTransition(_l("Only a session still to come can be moved."))
    _session_rules(mission, held_on, minutes, today, ignore=session)
    old = session.held_on
    _set_session(session, "move", held_on=held_on, minutes=minutes)
    record(
        mission,
        actor,
        "session_moved",
        mission.status,
        mission.status,
        now,
        f"{format_day(old)} → {format_day(held_on)}",
    )
    notify(
        parties(mission),
        "session_moved",
        lambda: _(
            "Session of %(old)s moved to %(new)s (mission %(ref)s)",
            old=format_day(old),
            new=format_day(held_on),
            ref=mission.ref,
        ),
        link(mission),
        now,
    )


def cancel_session(
    actor: User, mission: Mission, session_id: int, today: date, now: datetime
) -> None:
    session = _own_session(mission, session_id)
    if not capacities(actor, mission) & {"sme", "expert", "coordinator"}:
        raise NotFound(_l("This mission does not exist, or you cannot see it."))
    if session.status not in SESSION_TRANSITIONS["move"].sources or session.held_on <= today:
        raise InvalidTransition(_l("Only a session still to come can be cancelled."))
    _set_session(session, "cancel")
    record(
        mission,
        actor,
        "session_cancelled",
        mission.status,
        mission.status,
        now,
        format_day(session.held_on),
    )


def declare_session(
    actor: User, mission: Mission, session_id: int, held: bool, today: date, now: datetime
) -> None:
    """After the date, the volunteer says whether the session took place."""
    session = _own_session(mission, session_id)
    if "expert" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the expert declares a session."))
    if session.held_on > today:
        raise BadSession(_l("This session has not happened yet."))
    _set_session(session, "declare_held" if held else "declare_not_held", declared_at=now)
    status = session.status
    record(
        mission,
        actor,
        "session_declared",
        mission.status,
        mission.status,
        now,
        f"{format_day(session.held_on)} : {SESSION_WORDS[status]}",
    )
    if held:
        managers = sme_managers(mission.need.organisation_id)
        notify(
            managers,
            "session_to_confirm",
            lambda: _(
                "Please confirm the session of %(date)s (mission %(ref)s)",
                date=format_day(session.held_on),
                ref=mission.ref,
            ),
            link(mission),
            now,
        )


def confirm_session(
    actor: User, mission: Mission, session_id: int, agree: bool, reason: str | None, now: datetime
) -> None:
    """The SME manager confirms a delivered session, or disputes it (the coordinator decides)."""
    session = _own_session(mission, session_id)
    if "sme" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the SME manager confirms a session."))
    if agree:
        _set_session(session, "confirm", confirmed_at=now)
    else:
        if not (reason or "").strip():
            raise BadSession(_l("Say what was wrong with this session."))
        _set_session(session, "dispute", dispute_reason=reason.strip())
        notify(
            mission.convention.coordinators if mission.convention else [],
            "session_disputed",
            lambda: _(
                "Session of %(date)s disputed on mission %(ref)s",
                date=format_day(session.held_on),
                ref=mission.ref,
            ),
            link(mission),
            now,
        )
    record(
        mission,
        actor,
        "session_confirmed" if agree else "session_disputed",
        mission.status,
        mission.status,
        now,
        (reason or "").strip() or None,
    )


def resolve_dispute(
    actor: User, mission: Mission, session_id: int, held: bool, reason: str | None, now: datetime
) -> None:
    session = _own_session(mission, session_id)
    if "coordinator" not in capacities(actor, mission):
        raise NotAllowed(_l("Only the coordinator settles a dispute."))
    action = "settle_held" if held else "settle_not_held"
    _set_session(session, action, confirmed_at=now if held else None)
    status = session.status
    record(
        mission,
        actor,
        "dispute_settled",
        mission.status,
        mission.status,
        now,
        (reason or "").strip() or status,
    )

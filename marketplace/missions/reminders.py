"""Reminders about sessions: the day before, and sessions waiting for the SME's confirmation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.services import sme_managers
from marketplace.extensions import db
from marketplace.i18n import format_day
from marketplace.missions.access import link, parties
from marketplace.missions.models import Mission, MissionSession, SessionStatus
from marketplace.notifications.services import notify, once


def remind_sessions(today: date, now: datetime) -> dict:
    """Sessions tomorrow (every party), sessions declared held and not confirmed (the SME),
    each reminder once a day."""
    counts = {"sessions_tomorrow": 0, "to_confirm": 0}
    tomorrow = today + timedelta(days=1)
    with force_locale("fr"):
        for session in db.session.scalars(
            select(MissionSession).where(
                MissionSession.status == SessionStatus.PLANNED, MissionSession.held_on == tomorrow
            )
        ):
            if once(f"tomorrow:{session.id}:{tomorrow}", today):
                mission = db.session.get(Mission, session.mission_id)
                message = _l("Reminder: session tomorrow for mission %(ref)s", ref=mission.ref)
                notify(parties(mission), "reminder_session", message, link(mission), now)
                counts["sessions_tomorrow"] += 1
        for session in db.session.scalars(
            select(MissionSession).where(MissionSession.status == SessionStatus.DELIVERED)
        ):
            if once(f"confirm:{session.id}:{today}", today):
                mission = db.session.get(Mission, session.mission_id)
                message = _l(
                    "Reminder: please confirm the session of %(date)s (mission %(ref)s)",
                    date=format_day(session.held_on),
                    ref=mission.ref,
                )
                notify(
                    sme_managers(mission.need.organisation_id),
                    "reminder_confirm",
                    message,
                    link(mission),
                    now,
                )
                counts["to_confirm"] += 1
    return counts

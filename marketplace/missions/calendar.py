"""Sessions as calendar events (iCalendar, RFC 5545): one session as an .ics download, and
each person's private feed of the sessions to come.

A session is an all-day event on its date (it has a length, not a start time), its length
in the title. Its
UID is stable (`session-<id>@…`), so a calendar that subscribed to the feed updates the
event when the session moves instead of adding a second one; a cancelled session leaves
the feed.
"""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.durations import hours_text
from marketplace.extensions import db
from marketplace.missions.access import visible_missions
from marketplace.missions.models import Mission, MissionSession, SessionStatus

UID_DOMAIN = "jours-de-competences"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Skill-days marketplace//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def _event(session: MissionSession, mission: Mission, link: str) -> Event:
    event = Event()
    event.add("uid", f"session-{session.id}@{UID_DOMAIN}")
    event.add("dtstamp", session.created_at)
    event.add("dtstart", session.held_on)
    event.add("dtend", session.held_on + timedelta(days=1))
    length = hours_text(session.minutes)
    event.add("summary", f"{mission.ref} · {mission.need.title} ({length})")
    where = "à distance" if session.is_remote else (session.place or mission.need.commune or "")
    if where:
        event.add("location", where)
    event.add(
        "description",
        f"{mission.need.organisation.name} · {mission.offer.expert.name} "
        f"({mission.group.name})\n{link}",
    )
    event.add("url", link)
    return event


def session_calendar(session: MissionSession, mission: Mission, link: str) -> bytes:
    """One session as an .ics file."""
    calendar = _calendar(mission.ref)
    calendar.add_component(_event(session, mission, link))
    return calendar.to_ical()


def feed(user: User, today: date, link_for) -> bytes:
    """The sessions to come of every mission this user takes part in (or coordinates)."""
    missions = visible_missions(user).with_only_columns(Mission.id)
    sessions = db.session.scalars(
        select(MissionSession)
        .where(
            MissionSession.mission_id.in_(missions),
            MissionSession.status == SessionStatus.PLANNED,
            MissionSession.held_on >= today,
        )
        .order_by(MissionSession.held_on, MissionSession.id)
        .limit(1000)
    ).all()
    calendar = _calendar(f"Jours de compétences · {user.name}")
    for session in sessions:
        mission = db.session.get(Mission, session.mission_id)
        calendar.add_component(_event(session, mission, link_for(mission)))
    return calendar.to_ical()

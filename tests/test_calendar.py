"""Sessions in people's calendars: one .ics per session, and a private, revocable feed with
stable UIDs."""

from __future__ import annotations

import re
from datetime import timedelta

from icalendar import Calendar

from marketplace.extensions import db
from marketplace.missions.models import MissionSession
from tests.conftest import csrf_from
from tests.ledger_world import mission_with_sessions
from tests.missions_world import TODAY, as_client, build_world
from tests.units import DAY


def _world(app, factory):
    world = build_world(app, factory, quota=100, committed=100, offer_days=60)
    mission_id = mission_with_sessions(
        app,
        world,
        [
            (TODAY + timedelta(days=5), DAY, "planned"),
            (TODAY - timedelta(days=3), DAY, "confirmed"),
        ],
    )
    return world, mission_id


def _events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk("VEVENT")]


def test_a_session_downloads_as_an_ics_event(app, factory):
    world, mission_id = _world(app, factory)
    with app.app_context():
        planned = db.session.query(MissionSession).filter_by(status="planned").one()
    manager = as_client(app, world.people["sme_manager"], factory.password)
    response = manager.get(f"/missions/{mission_id}/sessions/{planned.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    (event,) = _events(response.data)
    assert str(event["uid"]) == f"session-{planned.id}@jours-de-competences"
    assert event.decoded("dtstart") == planned.held_on
    assert str(event["summary"]).endswith(f"({planned.minutes // 60} h)")  # its length, in hours
    stranger = as_client(app, factory.user(role="sme_manager"), factory.password)
    assert stranger.get(f"/missions/{mission_id}/sessions/{planned.id}.ics").status_code == 404


def test_the_private_feed_lists_sessions_to_come_and_can_be_revoked(app, factory):
    world, mission_id = _world(app, factory)
    volunteer = as_client(app, world.people["volunteer"], factory.password)
    token = csrf_from(volunteer, "/account/password")
    page = volunteer.post("/account/calendar", data={"csrf_token": token}).get_data(as_text=True)
    link = re.search(r"<code>(http[^<]+/calendar/[^<]+\.ics)</code>", page).group(1)
    path = link.split("://", 1)[1].split("/", 1)[1]
    anonymous = app.test_client()  # a calendar application: no session, the token is the key
    first = anonymous.get("/" + path)
    assert first.status_code == 200
    events = _events(first.data)
    assert len(events) == 1 and events[0].decoded("dtstart") == TODAY + timedelta(days=5)
    assert _events(anonymous.get("/" + path).data)[0]["uid"] == events[0]["uid"]  # stable
    feed_token = path.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        from marketplace.accounts.models import User

        stored = db.session.get(User, world.people["volunteer"].id).calendar_token_hash
        assert stored and feed_token not in stored  # only its digest is kept
    volunteer.post("/account/calendar", data={"csrf_token": token, "revoke": "1"})
    assert anonymous.get("/" + path).status_code == 404
    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404

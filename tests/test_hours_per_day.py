"""A convention's hours per day: set by its coordinators while nothing is counted against it;
the quota and the commitments keep their days, sessions go up to the new day."""

from __future__ import annotations

from tests.conftest import post_form
from tests.missions_world import as_client, build_world, read_books, submit
from tests.test_missions import agree


def _state(app, world) -> tuple:
    return read_books(
        app,
        world,
        lambda convention, group, offer: (
            convention.minutes_per_day,
            convention.quota_minutes,
            group.committed_minutes,
            (offer.minutes_per_day, offer.minutes),
        ),
    )


def test_a_coordinator_sets_hours_per_day_and_the_days_keep_their_number(app, factory, db):
    world = build_world(app, factory, quota=100, committed=50, offer_days=10)
    coordinator = as_client(app, world.people["coordinator"], factory.password)
    page = f"/conventions/{world.convention_id}"
    assert "une journée compte 7 h" in coordinator.get(page).get_data(as_text=True)
    done = post_form(coordinator, f"{page}/hours", {"hours": "7 h 30"}, token_from=page)
    assert done.status_code == 302
    # 100 days and 50 days at 7 h 30; the group's open offer is counted at the new day too.
    assert _state(app, world) == (450, 100 * 450, 50 * 450, (450, 10 * 450))
    text = coordinator.get(page).get_data(as_text=True)
    assert "une journée compte 7 h 30" in text and "<summary>100</summary>" in text
    # A session may now last up to 7 h 30, not more.
    mission_id, c = agree(app, factory, world)
    assert submit(c["coordinator"], f"/missions/{mission_id}/approve").status_code == 302
    mission_page = c["volunteer"].get(f"/missions/{mission_id}").get_data(as_text=True)
    assert '<option value="450" selected>7 h 30 (une journée)</option>' in mission_page
    assert 'value="465"' not in mission_page


def test_bad_hours_are_refused_next_to_the_field_and_change_nothing(app, factory, db):
    world = build_world(app, factory, quota=100, committed=50, offer_days=10)
    coordinator = as_client(app, world.people["coordinator"], factory.password)
    page = f"/conventions/{world.convention_id}"
    before = _state(app, world)
    for typed, message in (
        ("7 h 10", "par demi-heures"),
        ("13", "par demi-heures"),
        ("0", "Saisissez des heures"),
        ("sept", "Saisissez des heures"),
    ):
        response = post_form(coordinator, f"{page}/hours", {"hours": typed}, token_from=page)
        assert response.status_code == 400, typed
        text = response.get_data(as_text=True)
        assert message in text and 'id="hours-error"' in text, typed
    assert _state(app, world) == before


def test_once_time_is_reserved_a_day_keeps_its_hours(app, factory, db):
    world = build_world(app, factory, quota=100, committed=50, offer_days=10)
    mission_id, c = agree(app, factory, world)
    assert submit(c["coordinator"], f"/missions/{mission_id}/approve").status_code == 302
    before = _state(app, world)
    page = f"/conventions/{world.convention_id}"
    response = post_form(c["coordinator"], f"{page}/hours", {"hours": "8"}, token_from=page)
    assert response.status_code == 409
    assert "déjà réservé" in response.get_data(as_text=True)
    assert _state(app, world) == before


def test_only_the_conventions_coordinators_and_admins_change_it(app, factory, db):
    world = build_world(app, factory)
    other = build_world(app, factory)
    page = f"/conventions/{world.convention_id}"
    stranger = as_client(app, other.people["coordinator"], factory.password)
    assert post_form(stranger, f"{page}/hours", {"hours": "8"}, token_from="/").status_code == 404
    referent = as_client(app, world.people["group_referent"], factory.password)
    assert post_form(referent, f"{page}/hours", {"hours": "8"}, token_from=page).status_code == 403
    assert "hours-per-day" not in referent.get(page).get_data(as_text=True)
    admin = as_client(app, world.people["admin"], factory.password)
    assert post_form(admin, f"{page}/hours", {"hours": "8"}, token_from=page).status_code == 302
    assert _state(app, world)[0] == 480

"""Missions through the app: agreement, approval against the quota, sessions, audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.conventions.models import Convention
from marketplace.extensions import db
from marketplace.matching.models import Proposal
from marketplace.missions.models import Mission, MissionEvent, MissionSession
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification
from tests.missions_world import TODAY, as_client, build_world, read_books, submit
from tests.units import DAY


@pytest.fixture()
def world(app, factory, db):
    return build_world(app, factory)


def clients(app, factory, world):
    return {role: as_client(app, user, factory.password) for role, user in world.people.items()}


def agree(app, factory, world, index=0):
    c = clients(app, factory, world)
    proposal = world.proposal_ids[index]
    assert (
        submit(
            c["sme_manager"],
            f"/proposals/{proposal}/answer",
            {"answer": "accept", "message": "Volontiers"},
            "/proposals",
        ).status_code
        == 302
    )
    response = submit(
        c["volunteer"], f"/proposals/{proposal}/answer", {"answer": "accept"}, "/proposals"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        mission = db.session.scalar(select(Mission).where(Mission.proposal_id == proposal))
        return mission.id, c


def counters(app, world):
    return read_books(
        app,
        world,
        lambda convention, group, offer: (
            convention.minutes_reserved,
            group.minutes_reserved,
            offer.minutes_reserved,
        ),
    )


def status(app, mission_id):
    with app.app_context():
        return db.session.get(Mission, mission_id).status


def test_both_sides_accept_then_a_mission_is_agreed(app, factory, world):
    mission_id, _c = agree(app, factory, world)
    with app.app_context():
        mission = db.session.get(Mission, mission_id)
        assert mission.status == "agreed" and mission.ref.startswith("M-")
        assert mission.convention_id == world.convention_id and mission.days == 2
        assert db.session.get(Need, world.need_ids[0]).status == "matched"
        proposal = db.session.get(Proposal, world.proposal_ids[0])
        assert proposal.status == "agreed" and proposal.sme_message == "Volontiers"
        assert db.session.scalar(select(func.count(Notification.id))) > 0
        events = [(e.action, e.actor.role if e.actor else None, e.reason) for e in mission.events]
        # Both acceptances, in the order they came, the SME's with its message, then the
        # agreement itself.
        assert events == [
            ("accept_sme", "sme_manager", "Volontiers"),
            ("accept_expert", "volunteer", None),
            ("agree", "volunteer", None),
        ]


def test_after_agreement_the_mission_page_shows_both_acceptances_and_the_contacts(
    app, factory, world
):
    mission_id, c = agree(app, factory, world)
    html = c["volunteer"].get(f"/missions/{mission_id}").get_data(as_text=True)
    assert "acceptée par la PME" in html and "« Volontiers »" in html
    assert "acceptée par l'expert" in html
    assert "accord trouvé, à approuver" in html and ">conclue<" not in html
    contacts = html.split('id="contacts-title"')[1].split("</section>")[0]
    sme, expert = world.people["sme_manager"], world.people["volunteer"]
    assert f"mailto:{sme.email}" in contacts and f"mailto:{expert.email}" in contacts
    assert world.people["coordinator"].email in contacts


def test_a_declined_proposal_makes_no_mission(app, factory, world):
    c = clients(app, factory, world)
    submit(
        c["sme_manager"],
        f"/proposals/{world.proposal_ids[0]}/answer",
        {"answer": "decline"},
        "/proposals",
    )
    response = submit(
        c["volunteer"],
        f"/proposals/{world.proposal_ids[0]}/answer",
        {"answer": "accept"},
        "/proposals",
    )
    assert response.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(func.count(Mission.id))) == 0


def test_approval_reserves_and_cancellation_releases_exactly(app, factory, world):
    mission_id, c = agree(app, factory, world)
    assert counters(app, world) == (0, 0, 0)
    assert submit(c["coordinator"], f"/missions/{mission_id}/approve").status_code == 302
    assert status(app, mission_id) == "approved"
    assert counters(app, world) == (2 * DAY, 2 * DAY, 2 * DAY)  # two days of 7 h, in minutes
    with app.app_context():
        ref = db.session.get(Mission, mission_id).ref
        quota = db.session.get(Convention, world.convention_id).quota_days
    page = c["coordinator"].get(f"/missions/{mission_id}").get_data(as_text=True)
    left = f"{quota - 2:g}".replace(".", ",")
    assert (
        f"Mission {ref} approuvée : réservation de 2 jours, il reste {left} jours sur le quota"
        in page
    )
    assert (
        submit(
            c["sme_manager"], f"/missions/{mission_id}/cancel", {"reason": "changement de plan"}
        ).status_code
        == 302
    )
    page = c["sme_manager"].get(f"/missions/{mission_id}").get_data(as_text=True)
    assert f"Mission {ref} annulée : le quota retrouve 2 jours." in page
    assert status(app, mission_id) == "cancelled"
    assert counters(app, world) == (0, 0, 0)
    with app.app_context():
        assert db.session.get(Need, world.need_ids[0]).status == "open"
        actions = [
            (e.action, e.from_status, e.to_status, e.reason)
            for e in db.session.get(Mission, mission_id).events
        ]
    assert actions[-1] == ("cancel", "approved", "cancelled", "changement de plan")


def test_approval_over_the_quota_is_refused_unless_overridden(app, factory, db):
    world = build_world(app, factory, quota=1.0, committed=50.0)
    mission_id, c = agree(app, factory, world)
    response = submit(c["coordinator"], f"/missions/{mission_id}/approve")
    assert response.status_code == 409
    assert "quota" in response.get_data(as_text=True)
    assert status(app, mission_id) == "agreed"
    assert counters(app, world) == (0, 0, 0)
    response = submit(
        c["coordinator"],
        f"/missions/{mission_id}/approve",
        {"override_reason": "Comité du 12/03 : projet prioritaire"},
    )
    assert response.status_code == 302
    with app.app_context():
        convention = db.session.get(Convention, world.convention_id)
        assert (convention.minutes_reserved, convention.minutes_overridden) == (2 * DAY, DAY)
        mission = db.session.get(Mission, mission_id)
        assert "Comité du 12/03" in mission.events[-1].reason
    submit(c["coordinator"], f"/missions/{mission_id}/cancel")
    with app.app_context():
        convention = db.session.get(Convention, world.convention_id)
        assert (convention.minutes_reserved, convention.minutes_overridden) == (0, 0)


def test_group_commitment_and_offer_capacity_are_limits_too(app, factory, db):
    world = build_world(app, factory, quota=100, committed=1)
    mission_id, c = agree(app, factory, world)
    response = submit(c["coordinator"], f"/missions/{mission_id}/approve")
    assert response.status_code == 409 and counters(app, world) == (0, 0, 0)
    small = build_world(app, factory, offer_days=1)
    mission_id, c = agree(app, factory, small)
    response = submit(
        c["coordinator"],
        f"/missions/{mission_id}/approve",
        {"override_reason": "the expert's days cannot be overridden"},
    )
    assert response.status_code == 409
    assert counters(app, small) == (0, 0, 0)


@pytest.mark.parametrize(
    ("role", "action", "expected"),
    [
        ("sme_manager", "approve", 409),
        ("volunteer", "approve", 409),
        ("group_referent", "approve", 409),
        ("coordinator", "approve", 302),
        ("admin", "approve", 302),
        ("sme_manager", "refuse", 409),
        ("coordinator", "refuse", 302),
        ("sme_manager", "deliver", 409),
        ("coordinator", "deliver", 409),
        ("sme_manager", "close", 409),
        ("coordinator", "close", 409),
        ("sme_manager", "cancel", 302),
        ("volunteer", "cancel", 302),
        ("group_referent", "cancel", 302),
        ("coordinator", "cancel", 302),
    ],
)
def test_transitions_from_agreed_per_role(app, factory, world, role, action, expected):
    mission_id, c = agree(app, factory, world)
    response = submit(c[role], f"/missions/{mission_id}/{action}", {"reason": "raison"})
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected == 409:
        assert status(app, mission_id) == "agreed"


def test_other_people_cannot_see_or_act(app, factory, world):
    mission_id, _c = agree(app, factory, world)
    other = build_world(app, factory)
    for role in ("sme_manager", "volunteer", "group_referent", "coordinator"):
        stranger = as_client(app, other.people[role], factory.password)
        assert stranger.get(f"/missions/{mission_id}").status_code == 404
        assert submit(stranger, f"/missions/{mission_id}/cancel").status_code == 404
        assert f"/missions/{mission_id}" not in stranger.get("/missions").get_data(as_text=True)
    assert status(app, mission_id) == "agreed"


def test_sessions_plan_declare_confirm_deliver_and_outcome(app, factory, world):
    mission_id, c = agree(app, factory, world)
    submit(c["coordinator"], f"/missions/{mission_id}/approve")
    day = (TODAY + timedelta(days=3)).isoformat()
    assert (
        submit(
            c["volunteer"], f"/missions/{mission_id}/plan", {"held_on": day, "minutes": "120"}
        ).status_code
        == 302
    )
    assert status(app, mission_id) == "in_progress"
    assert (
        submit(
            c["sme_manager"],
            f"/missions/{mission_id}/plan",
            {"held_on": day, "minutes": str(DAY), "is_remote": "y"},
        ).status_code
        == 302
    )
    # 2 h + 7 h planned of 14 h approved: 5 h left, no room for a half day (3 h 30) and 2 h
    over = submit(
        c["volunteer"], f"/missions/{mission_id}/plan", {"held_on": day, "minutes": "315"}
    )
    assert over.status_code == 400
    text = over.get_data(as_text=True)
    assert "approuv" in text and "il reste 5 h" in text  # the message says why, in French
    assert 'id="minutes-error-new"' in text  # next to the length field
    assert (
        "Demandé : 2 jours · approuvé : 2 jours (14 h) · planifié : 9 h · confirmé : 0 min" in text
    )
    with app.app_context():
        sessions = db.session.scalars(select(MissionSession).order_by(MissionSession.id)).all()
        assert len(sessions) == 2  # nothing written by the refused plan
        first, second = (s.id for s in sessions)
        # The sessions took place: move them to yesterday as the calendar would.
        for session in sessions:
            session.held_on = TODAY - timedelta(days=1)
        db.session.commit()
    early = submit(c["sme_manager"], f"/missions/{mission_id}/sessions/{first}/confirm")
    assert early.status_code == 409  # not declared yet
    assert (
        submit(c["volunteer"], f"/missions/{mission_id}/sessions/{first}/held").status_code == 302
    )
    assert (
        submit(c["volunteer"], f"/missions/{mission_id}/sessions/{second}/not_held").status_code
        == 302
    )
    assert (
        submit(c["sme_manager"], f"/missions/{mission_id}/sessions/{first}/confirm").status_code
        == 302
    )
    assert submit(c["volunteer"], f"/missions/{mission_id}/deliver").status_code == 302
    assert status(app, mission_id) == "delivered"
    # The two hours confirmed stay reserved until the ledger logs them; the 12 h unused
    # (the day not held, and the rest of the approval) went back.
    assert counters(app, world) == (120, 120, 120)
    # The outcome form is not prefilled with 0: typing 1 there used to save 10.
    form = c["sme_manager"].get(f"/missions/{mission_id}").get_data(as_text=True)
    jobs_inputs = re.findall(r'<input name="jobs_(?:created|preserved)"[^>]*>', form)
    assert len(jobs_inputs) == 2 and all('value=""' in i for i in jobs_inputs), jobs_inputs
    response = submit(
        c["sme_manager"],
        f"/missions/{mission_id}/outcome",
        {
            "rating": "5",
            "jobs_created": "2",
            "jobs_preserved": "3",
            "outcome_on": TODAY.isoformat(),
            "comment": "Très utile",
        },
    )
    assert response.status_code == 302
    assert submit(c["sme_manager"], f"/missions/{mission_id}/close").status_code == 302
    with app.app_context():
        mission = db.session.get(Mission, mission_id)
        assert (mission.status, mission.rating, mission.jobs_created) == ("closed", 5, 2)
    page = c["sme_manager"].get(f"/missions/{mission_id}").get_data(as_text=True)
    assert "séance planifiée" in page and "Très utile" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"held_on": "2020-01-01", "minutes": "420"}, "entre"),
        ({"held_on": "not a date", "minutes": "420"}, "AAAA-MM-JJ"),
        ({"held_on": "TOMORROW", "minutes": "0"}, "au moins 15 minutes"),
        ({"held_on": "TOMORROW", "minutes": "-60"}, "au moins 15 minutes"),
        ({"held_on": "TOMORROW", "minutes": "100"}, "pas de 15 minutes"),
        ({"held_on": "TOMORROW", "minutes": "480"}, "une journée (7 h) au plus"),
        ({"held_on": "TOMORROW", "minutes": "deux heures"}, "durée"),
    ],
)
def test_bad_sessions_are_refused_and_write_nothing(app, factory, world, data, message):
    mission_id, c = agree(app, factory, world)
    submit(c["coordinator"], f"/missions/{mission_id}/approve")
    if data["held_on"] == "TOMORROW":
        data = {**data, "held_on": (TODAY + timedelta(days=1)).isoformat()}
    with app.app_context():
        before = db.session.scalar(select(func.count(MissionEvent.id)))
    response = submit(c["volunteer"], f"/missions/{mission_id}/plan", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)  # on the mission page, not a bare 400
    with app.app_context():
        assert db.session.scalar(select(func.count(MissionSession.id))) == 0
        assert db.session.scalar(select(func.count(MissionEvent.id))) == before


def test_a_session_in_the_future_cannot_be_declared(app, factory, world):
    mission_id, c = agree(app, factory, world)
    submit(c["coordinator"], f"/missions/{mission_id}/approve")
    submit(
        c["volunteer"],
        f"/missions/{mission_id}/plan",
        {"held_on": (TODAY + timedelta(days=2)).isoformat(), "minutes": "420"},
    )
    with app.app_context():
        session_id = db.session.scalar(select(MissionSession.id))
    response = submit(c["volunteer"], f"/missions/{mission_id}/sessions/{session_id}/held")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(MissionSession, session_id).status == "planned"


def test_a_dispute_goes_to_the_coordinator(app, factory, world):
    mission_id, c = agree(app, factory, world)
    submit(c["coordinator"], f"/missions/{mission_id}/approve")
    submit(
        c["volunteer"],
        f"/missions/{mission_id}/plan",
        {"held_on": (TODAY + timedelta(days=2)).isoformat(), "minutes": "420"},
    )
    with app.app_context():
        session = db.session.scalar(select(MissionSession))
        session.held_on = TODAY
        db.session.commit()
        session_id = session.id
    submit(c["volunteer"], f"/missions/{mission_id}/sessions/{session_id}/held")
    assert (
        submit(
            c["sme_manager"],
            f"/missions/{mission_id}/sessions/{session_id}/dispute",
            {"reason": ""},
        ).status_code
        == 400
    )
    assert (
        submit(
            c["sme_manager"],
            f"/missions/{mission_id}/sessions/{session_id}/dispute",
            {"reason": "L'expert n'est pas venu"},
        ).status_code
        == 302
    )
    assert (
        submit(
            c["volunteer"], f"/missions/{mission_id}/sessions/{session_id}/settle_held"
        ).status_code
        == 403
    )
    assert (
        submit(
            c["coordinator"], f"/missions/{mission_id}/sessions/{session_id}/settle_not_held"
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(MissionSession, session_id).status == "not_held"


def test_double_submitting_a_form_is_refused(app, factory, world):
    mission_id, c = agree(app, factory, world)
    client = c["coordinator"]
    html = client.get(f"/missions/{mission_id}").get_data(as_text=True)
    from tests.conftest import csrf_from
    from tests.missions_world import KEY_RE

    key = KEY_RE.search(html).group(1)
    token = csrf_from(client, f"/missions/{mission_id}")
    first = client.post(
        f"/missions/{mission_id}/extend", data={"csrf_token": token, "form_key": key, "days": "1"}
    )
    assert first.status_code == 409  # extending an unapproved mission
    submit(client, f"/missions/{mission_id}/approve")
    ok = client.post(
        f"/missions/{mission_id}/extend",
        data={"csrf_token": token, "form_key": "same-key", "days": "1"},
    )
    assert ok.status_code == 302
    again = client.post(
        f"/missions/{mission_id}/extend",
        data={"csrf_token": token, "form_key": "same-key", "days": "1"},
    )
    assert again.status_code == 409
    assert counters(app, world) == (3 * DAY, 3 * DAY, 3 * DAY)


def test_coordinator_pairs_by_hand(app, factory, world):
    c = clients(app, factory, world)
    page = c["coordinator"].get("/missions/new").get_data(as_text=True)
    assert "Contrats 0" in page
    response = submit(
        c["coordinator"],
        "/missions/new",
        {"need_id": str(world.need_ids[0]), "offer_id": str(world.offer_id)},
        "/missions/new",
    )
    assert response.status_code == 302
    with app.app_context():
        mission = db.session.scalar(select(Mission))
        assert mission.proposal_id is None and mission.status == "agreed"
        assert db.session.get(Proposal, world.proposal_ids[0]).status == "expired"


def test_the_cli_refuses_an_illegal_move_and_applies_a_legal_one(app, factory, world, runner):
    mission_id, _c = agree(app, factory, world)
    with app.app_context():
        ref = db.session.get(Mission, mission_id).ref
    result = runner.invoke(
        args=["missions", "act", ref, "close", "--as", world.people["coordinator"].email]
    )
    assert result.exit_code != 0 and "not possible" in result.output
    result = runner.invoke(
        args=["missions", "act", ref, "approve", "--as", world.people["sme_manager"].email]
    )
    assert result.exit_code != 0
    result = runner.invoke(
        args=["missions", "act", ref, "approve", "--as", world.people["coordinator"].email]
    )
    assert result.exit_code == 0 and "approved" in result.output
    assert counters(app, world) == (2 * DAY, 2 * DAY, 2 * DAY)


def test_new_proposals_are_notified(app, factory, runner):
    from marketplace.notifications.models import Notification
    from tests.test_matching_cli import _import_dev

    _import_dev(runner)
    runner.invoke(args=["match", "propose"])
    with app.app_context():
        kinds = db.session.scalars(select(Notification.kind)).all()
    assert "new_proposal" in kinds


def test_jobs_left_empty_on_the_outcome_form_count_as_none(app, factory, world):
    from tests.ledger_world import mission_with_sessions
    from tests.missions_world import as_client, submit

    mission_id = mission_with_sessions(app, world, [(TODAY - timedelta(days=2), DAY, "confirmed")])
    with app.app_context():
        mission = db.session.get(Mission, mission_id)
        mission.status = "delivered"
        db.session.commit()
    manager = as_client(app, world.people["sme_manager"], factory.password)
    response = submit(
        manager,
        f"/missions/{mission_id}/outcome",
        {"rating": "4", "jobs_created": "", "jobs_preserved": "3", "outcome_on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    with app.app_context():
        mission = db.session.get(Mission, mission_id)
        assert (mission.jobs_created, mission.jobs_preserved) == (0, 3)


def test_the_coordinator_sees_what_is_left_before_approving_and_confirms_irreversible_steps(
    app, factory, world
):
    mission_id, c = agree(app, factory, world)
    page = c["coordinator"].get(f"/missions/{mission_id}").get_data(as_text=True)
    with app.app_context():
        convention = db.session.get(Convention, world.convention_id)
        quota = f"{convention.quota_days:g}".replace(".", ",")
    assert "Avant de décider : demande de 2 jours ; il reste" in page
    assert f"jours sur le quota de la convention (sur {quota} jours)" in page
    # Refusing and cancelling are two steps: a question, then the confirming form.
    for action in ("refuse", "cancel"):
        form = re.search(
            rf'<details class="confirm inline">\s*<summary[^>]*>[^<]*</summary>\s*'
            rf'<form method="post" action="[^"]*/{action}"',
            page,
        )
        assert form, action
    assert submit(c["coordinator"], f"/missions/{mission_id}/approve").status_code == 302
    page = c["coordinator"].get(f"/missions/{mission_id}").get_data(as_text=True)
    assert "Avant de décider" not in page  # nothing left to decide


def test_moving_a_session_to_a_bad_length_is_refused_next_to_it(app, factory, world):
    mission_id, c = agree(app, factory, world)
    submit(c["coordinator"], f"/missions/{mission_id}/approve")
    day = (TODAY + timedelta(days=3)).isoformat()
    submit(c["volunteer"], f"/missions/{mission_id}/plan", {"held_on": day, "minutes": "120"})
    with app.app_context():
        session_id = db.session.scalar(select(MissionSession.id))
    url = f"/missions/{mission_id}/sessions/{session_id}/move"
    for minutes, message in (("480", "une journée (7 h) au plus"), ("125", "pas de 15 minutes")):
        response = submit(c["volunteer"], url, {"held_on": day, "minutes": minutes})
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert message in text and f'id="minutes-error-{session_id}"' in text
    moved = submit(c["volunteer"], url, {"held_on": day, "minutes": "45"})
    assert moved.status_code == 302
    with app.app_context():
        assert db.session.get(MissionSession, session_id).minutes == 45


def test_days_read_as_each_language_writes_them(app, factory, db):
    """French: « 1 jour », « 1,5 jour », « 2 jours »; English: « 1 day », « 1.5 days »."""
    from tests.conftest import csrf_from

    world = build_world(app, factory, need_days=1.0)
    mission_id, c = agree(app, factory, world)
    assert submit(c["coordinator"], f"/missions/{mission_id}/approve").status_code == 302
    page = c["sme_manager"].get(f"/missions/{mission_id}").get_data(as_text=True)
    assert "Demandé : 1 jour · approuvé : 1 jour (7 h)" in page
    manager = c["sme_manager"]
    manager.post("/language", data={"lang": "en", "csrf_token": csrf_from(manager, "/")})
    page = manager.get(f"/missions/{mission_id}").get_data(as_text=True)
    assert "Asked: 1 day · approved: 1 day (7 h)" in page
    with app.test_request_context():
        from flask_babel import force_locale

        from marketplace.i18n import format_days_unit

        with force_locale("fr"):
            assert [format_days_unit(v) for v in (0.5, 1.5, 2, 3.29)] == [
                "0,5 jour",
                "1,5 jour",
                "2 jours",
                "3,29 jours",
            ]
        with force_locale("en"):
            assert [format_days_unit(v) for v in (1, 1.5)] == ["1 day", "1.5 days"]


def test_a_day_and_a_half_reads_in_the_singular_in_french(app, factory):
    world = build_world(app, factory, need_days=1.5)
    mission_id, c = agree(app, factory, world)
    assert submit(c["coordinator"], f"/missions/{mission_id}/approve", {}).status_code == 302
    page = c["coordinator"].get(f"/missions/{mission_id}").get_data(as_text=True)
    assert "réservation de 1,5 jour," in page and "1,5 jours" not in page


def test_each_person_is_told_in_their_own_language(app, factory, world):
    from datetime import timedelta as delta

    from marketplace import clock
    from marketplace.accounts.models import User
    from marketplace.mail.models import OutboxMail
    from marketplace.notifications.services import digest_mails

    with app.app_context():
        db.session.get(User, world.people["volunteer"].id).locale = "en"
        db.session.commit()
    mission_id, c = agree(app, factory, world)
    assert submit(c["coordinator"], f"/missions/{mission_id}/approve").status_code == 302
    with app.app_context():
        ref = db.session.get(Mission, mission_id).ref

        def told(person):
            return [
                n.message
                for n in db.session.scalars(
                    select(Notification).where(Notification.user_id == world.people[person].id)
                )
            ]

        assert f"Mission {ref} approved (2 days)" in told("volunteer")
        assert f"Mission {ref} approuvée (2 jours)" in told("sme_manager")
        assert digest_mails(clock.now() + delta(minutes=10)) >= 2
        mails = {m.to_address: m for m in db.session.scalars(select(OutboxMail)).all()}
        english = mails[world.people["volunteer"].email]
        assert english.subject.endswith("new items on the skill-days marketplace")
        assert english.body.startswith("Hello,")
        assert mails[world.people["sme_manager"].email].body.startswith("Bonjour,")

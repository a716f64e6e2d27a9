"""Impact: projects and their follow-up surveys, daily costs, attestations, and the funder's
report on its page (figures, drill-down, territories side by side, exports, bad input)."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from marketplace.accounts.models import Organisation, User
from marketplace.demo.data import ACCOUNTS
from marketplace.extensions import db
from marketplace.impact.models import FollowUp, FollowUpEvent, Project
from marketplace.notifications.models import Notification
from tests.advances_world import build_finance
from tests.conftest import csrf_from, login
from tests.missions_world import as_client

PAID_OUT = date(2024, 2, 10)  # the committee sits on 2024-01-10; paid out a month later


@pytest.fixture()
def supported(app, factory, db):
    """A fund, and one advance of 20,000 € paid out to the world's SME on PAID_OUT."""
    from marketplace.advances.models import Committee
    from marketplace.demo.history import apply_for, decide_and_pay

    world = build_finance(app, factory)
    with app.app_context():
        coordinator = db.session.get(User, world.people["coordinator"].id)
        sme = db.session.get(Organisation, world.sme_id)
        committee = db.session.get(Committee, world.committee_id)
        advance = apply_for(coordinator, sme, 2_000_000, date(2024, 1, 10), 1)
        decide_and_pay(
            coordinator, committee, date(2024, 1, 10), [(advance, False)], date(2024, 1, 9)
        )
        db.session.commit()
    return world


def run_job(runner, day: date) -> dict:
    result = runner.invoke(
        args=["jobs", "run", "impact-follow-up", "--today", day.isoformat(), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def test_a_supported_sme_is_asked_at_its_anniversary_then_reminded_twice_once_each(
    app, runner, supported
):
    first = run_job(runner, date(2025, 2, 9))  # the day before the first anniversary
    assert first["projects_opened"] == 1 and first["surveys_sent"] == 0
    with app.app_context():
        project = db.session.scalar(select(Project))
        assert project.started_on == PAID_OUT
        assert project.planned_created == 2  # the advance's application said so
        assert [f.due_on for f in project.follow_ups] == [
            date(2025, 2, 10),
            date(2026, 2, 10),
            date(2027, 2, 10),
        ]
    counts = [run_job(runner, day) for day in (date(2025, 2, 10), date(2025, 2, 10))]
    assert counts[0]["surveys_sent"] == 1 and counts[1]["surveys_sent"] == 0  # once
    assert run_job(runner, date(2025, 2, 23))["reminders_sent"] == 0  # 13 days: not yet
    assert run_job(runner, date(2025, 2, 24))["reminders_sent"] == 1
    assert run_job(runner, date(2025, 2, 24))["reminders_sent"] == 0
    assert run_job(runner, date(2025, 3, 12))["reminders_sent"] == 1
    assert run_job(runner, date(2025, 6, 1))["reminders_sent"] == 0  # two at most
    with app.app_context():
        manager = supported.people["sme_manager"]
        told = db.session.scalars(
            select(Notification.link).where(
                Notification.user_id == manager.id, Notification.kind == "follow_up"
            )
        ).all()
        assert len(told) == 3 and len(set(told)) == 1  # the survey, then two reminders
        actions = db.session.scalars(select(FollowUpEvent.action).order_by(FollowUpEvent.id))
        assert list(actions) == ["sent", "reminded", "reminded"]
        # the outsider (another SME's manager) was told nothing
        outsider = supported.people["outsider"]
        assert not db.session.scalar(
            select(func.count()).where(Notification.user_id == outsider.id)
        )


def test_an_old_anniversary_is_not_mailed_today_but_stays_on_the_call_list(
    app, runner, factory, supported
):
    run_job(runner, date(2026, 3, 1))  # opened late: N+1 (2025-02-10) is long past
    with app.app_context():
        surveys = db.session.scalars(select(FollowUp).order_by(FollowUp.year)).all()
        assert [f.sent_on for f in surveys] == [None, date(2026, 3, 1), None]  # N+2 is recent
        ids = [f.id for f in surveys]
    coordinator = as_client(app, supported.people["coordinator"], factory.password)
    page = coordinator.get("/follow-ups").get_data(as_text=True)
    assert f"/follow-ups/{ids[0]}" in page and f"/follow-ups/{ids[1]}" in page
    assert f"/follow-ups/{ids[2]}" not in page  # not due before 2027 (the page's today)


def _survey_form(client, follow_up_id: int, **values) -> object:
    path = f"/follow-ups/{follow_up_id}"
    data = {
        "csrf_token": csrf_from(client, path),
        "headcount": "12",
        "jobs_created": "2",
        "jobs_preserved": "8",
        "still_trading": "y",
        **values,
    }
    return client.post(path, data=data, follow_redirects=False)


def _follow_up(app, year: int = 1) -> FollowUp:
    with app.app_context():
        found = db.session.scalar(select(FollowUp).where(FollowUp.year == year))
        db.session.expunge(found)
        return found


def test_a_survey_answered_twice_keeps_the_change_in_its_timeline(app, runner, factory, supported):
    run_job(runner, date(2025, 2, 10))
    survey = _follow_up(app)
    manager = as_client(app, supported.people["sme_manager"], factory.password)
    assert _survey_form(manager, survey.id).status_code == 302
    answered = _follow_up(app)
    assert (answered.headcount, answered.jobs_created, answered.jobs_preserved) == (12, 2, 8)
    assert answered.source == "web"
    assert _survey_form(manager, survey.id, jobs_created="3").status_code == 302
    with app.app_context():
        events = db.session.scalars(
            select(FollowUpEvent).where(FollowUpEvent.follow_up_id == survey.id)
        ).all()
        assert [e.action for e in events] == ["sent", "answered", "changed"]
        assert json.loads(events[-1].details)["changes"] == {"jobs_created": [2, 3]}
    page = manager.get(f"/follow-ups/{survey.id}").get_data(as_text=True)
    assert "2 → 3" in page
    # a coordinator enters an answer given by phone: recorded as such
    coordinator = as_client(app, supported.people["coordinator"], factory.password)
    assert _survey_form(coordinator, survey.id, headcount="13").status_code == 302
    assert _follow_up(app).source == "phone"


def test_bad_survey_answers_are_refused_or_flagged_and_others_cannot_answer(
    app, runner, factory, supported
):
    run_job(runner, date(2025, 2, 10))
    survey = _follow_up(app)
    manager = as_client(app, supported.people["sme_manager"], factory.password)
    refused = _survey_form(manager, survey.id, headcount="-3")
    assert refused.status_code == 400
    assert 'id="headcount-error"' in refused.get_data(as_text=True)
    assert _follow_up(app).answered_at is None  # nothing written
    # more jobs preserved than people employed: kept, with a warning
    kept = _survey_form(manager, survey.id, headcount="5", jobs_preserved="9")
    assert kept.status_code == 302
    assert "Plus d&#39;emplois maintenus que de salariés" in manager.get(kept.location).get_data(
        as_text=True
    )
    assert _follow_up(app).jobs_preserved == 9
    # another SME's manager, a volunteer, a coordinator of another territory: not theirs
    outsider = as_client(app, supported.people["outsider"], factory.password)
    assert outsider.get(f"/follow-ups/{survey.id}").status_code == 404
    assert _survey_form(outsider, survey.id).status_code in (400, 404)
    volunteer = as_client(app, supported.people["volunteer"], factory.password)
    assert volunteer.get(f"/follow-ups/{survey.id}").status_code == 403
    stranger = factory.user("coordinator", territory=factory.territory())
    other = as_client(app, stranger, factory.password)
    assert other.get(f"/follow-ups/{survey.id}").status_code == 404
    # a survey not due yet (N+3, in 2027) cannot be answered
    later = _follow_up(app, 3)
    assert _survey_form(manager, later.id).status_code == 400
    assert _follow_up(app, 3).answered_at is None


def test_daily_costs_are_bounded_and_a_group_sets_only_its_own(app, factory, supported):
    referent = as_client(app, supported.people["group_referent"], factory.password)
    page = referent.get("/daily-costs")
    assert page.status_code == 200

    def post(value, line="group", client=referent, query=""):
        token = csrf_from(client, "/daily-costs" + query)
        return client.post(
            "/daily-costs" + query,
            data={"csrf_token": token, "line": line, f"{line}-cost": value},
        )

    with app.app_context():
        group_id = db.session.get(User, supported.people["group_referent"].id).organisation_id
    for bad in ("0", "12 000", "abc", "-5"):
        response = post(bad)
        assert response.status_code == 400, bad
        assert 'id="group-cost-error"' in response.get_data(as_text=True)
        with app.app_context():
            assert db.session.get(Organisation, group_id).daily_cost_cents is None
    assert post("650").status_code == 302
    volunteer_id = supported.people["volunteer"].id
    assert post("720,50", line=f"e{volunteer_id}").status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, group_id).daily_cost_cents == 65_000
        assert db.session.get(User, volunteer_id).daily_cost_cents == 72_050
    # another group: not on the referent's list
    other = factory.organisation("group")
    assert referent.get(f"/daily-costs?group={other.id}").status_code == 404
    manager = as_client(app, supported.people["sme_manager"], factory.password)
    assert manager.get("/daily-costs").status_code == 403


# ------------------------------------------------------------------ the report on its page


def demo_client(app, email: str):
    account = next(a for a in ACCOUNTS if a.email == email)
    client = app.test_client()
    assert login(client, account.email, account.password).status_code == 302
    return client


COORDINATOR = "coordination@alize-demo.example"
PERIOD = "from=2012-01-01&to=2019-06-30"


def test_the_programme_page_drills_down_compares_and_exports(app, runner, db):
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        territories = dict(
            db.session.execute(
                select(Project.territory_id, func.count()).group_by(Project.territory_id)
            ).all()
        )
        from marketplace.conventions.models import Territory

        ids = {t.name: t.id for t in db.session.scalars(select(Territory))}
    tdl, longwy = ids["Terres de Lorraine"], ids["Bassin de Longwy"]
    assert territories[tdl] and territories[longwy]
    client = demo_client(app, COORDINATOR)
    page = client.get(f"/programme?territory={tdl}&territory={longwy}&{PERIOD}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Terres de Lorraine" in html and "Bassin de Longwy" in html
    assert "980 000,00" in html.replace("\u202f", " ").replace("\xa0", " ")
    assert "10 000 habitants" in html  # figures per 10,000 inhabitants
    # every figure drills down to the projects behind it, and they add up to it
    projects = client.get(f"/programme/projects?figure=jobs_created&territory={tdl}&{PERIOD}")
    text = projects.get_data(as_text=True)
    assert projects.status_code == 200
    foot = text.split("<tfoot>")[1].split("</tfoot>")[0]
    assert ">115<" in foot
    everyone = client.get(f"/programme/projects?figure=projects&territory={tdl}&{PERIOD}")
    assert "45 projets" in everyone.get_data(as_text=True)
    # exports
    csv = client.get(f"/programme?territory={tdl}&{PERIOD}&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    body = csv.get_data().decode("utf-8-sig")
    assert "Projets soutenus;45" in body and "Emplois créés;115" in body
    xlsx = client.get(f"/programme?territory={tdl}&{PERIOD}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = {}
    for row in sheet.iter_rows(values_only=True):  # the first of a label (then per 10,000)
        if row and row[0] and row[0] not in values:
            values[row[0]] = row[1]
    assert values["Projets soutenus"] == 45 and values["Jours de compétences réalisés"] == 129
    pdf = client.get(f"/programme?territory={tdl}&{PERIOD}&format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # a period with no data says so instead of showing zeros
    empty = client.get(f"/programme?territory={tdl}&from=2031-01-01&to=2031-12-31")
    assert empty.status_code == 200
    assert "aucun projet" in empty.get_data(as_text=True)
    # bad input: a 400 naming the parameter
    bad = client.get(f"/programme?territory={tdl}&from=2019-13-01")
    assert bad.status_code == 400 and "from" in bad.get_data(as_text=True)
    assert (
        client.get(f"/programme?territory={tdl}&from=2019-06-30&to=2012-01-01").status_code == 400
    )
    assert client.get("/programme?territory=999999").status_code == 404
    assert client.get("/programme?territory=abc").status_code == 400
    # a group referent reads the aggregates, not the SMEs behind them
    referent = demo_client(app, "referent@saint-gobain-demo.example")
    aggregates = referent.get(f"/programme?territory={tdl}&{PERIOD}")
    assert aggregates.status_code == 200
    assert "/programme/projects" not in aggregates.get_data(as_text=True)
    assert referent.get(f"/programme/projects?territory={tdl}").status_code == 403
    sme = next(a for a in ACCOUNTS if a.role == "sme_manager")
    assert demo_client(app, sme.email).get("/programme").status_code == 403


def test_an_attestation_gives_the_days_and_their_value_to_those_who_see_the_mission(
    app, runner, db
):
    from marketplace.ledger.models import LedgerEntry
    from marketplace.missions.models import Mission

    runner.invoke(args=["demo", "load"])
    with app.app_context():
        mission_id, minutes, group = db.session.execute(
            select(Mission.id, func.sum(LedgerEntry.minutes), Organisation.name)
            .join(LedgerEntry, LedgerEntry.mission_id == Mission.id)
            .join(Organisation, Organisation.id == Mission.group_id)
            .group_by(Mission.id, Organisation.name)
            .order_by(Mission.id)
            .limit(1)
        ).one()
        cost = db.session.scalar(
            select(Organisation.daily_cost_cents).where(Organisation.name == group)
        )
    client = demo_client(app, COORDINATOR)
    page = client.get(f"/missions/{mission_id}/attestation")
    assert page.status_code == 200
    value = minutes * cost // 420
    expected = f"{value // 100:,}".replace(",", "\u202f")
    assert expected in page.get_data(as_text=True)
    pdf = client.get(f"/missions/{mission_id}/attestation.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    sme = next(a for a in ACCOUNTS if a.role == "sme_manager")
    assert demo_client(app, sme.email).get(f"/missions/{mission_id}/attestation").status_code == 404


def test_jobs_count_once_per_project_whatever_its_missions_declared(app, runner, db):
    """Two missions of one SME both declaring 3 jobs created: the SME counts 3, not 6 (until
    a follow-up answer replaces them)."""
    from marketplace.missions.models import Mission
    from marketplace.needs.models import Need
    from marketplace.reports import funder

    runner.invoke(args=["demo", "load"])
    with app.app_context():
        organisation_id, territory_id = db.session.execute(
            select(Need.organisation_id, Organisation.territory_id)
            .join(Mission, Mission.need_id == Need.id)
            .join(Organisation, Organisation.id == Need.organisation_id)
            .where(Mission.status == "closed")
            .group_by(Need.organisation_id, Organisation.territory_id)
            .having(func.count(Mission.id) >= 2)
            .limit(1)
        ).one()
        # forget the surveys of that SME: the missions' outcomes speak for it
        project = db.session.scalar(
            select(Project).where(Project.organisation_id == organisation_id)
        )
        for follow_up in project.follow_ups:
            follow_up.answered_at = None
        for mission in db.session.scalars(
            select(Mission).join(Need).where(Need.organisation_id == organisation_id)
        ):
            mission.jobs_created, mission.jobs_preserved = 3, 1
        db.session.flush()
        column = funder.build(funder.Scope(territory_ids=[territory_id]))[0]
        row = next(r for r in column.rows if r.organisation_id == organisation_id)
        assert (row.jobs_created, row.jobs_preserved, row.jobs_source) == (3, 1, "outcome")
        db.session.rollback()


def test_the_report_refuses_what_it_cannot_read(runner, factory):
    unknown = runner.invoke(args=["report", "programme", "--territory", "Atlantide"])
    assert unknown.exit_code == 2 and "Atlantide" in unknown.output
    nothing = runner.invoke(args=["report", "programme"])
    assert nothing.exit_code == 2 and "--territory" in nothing.output
    factory.territory("Lune")
    backwards = runner.invoke(
        args=[
            "report",
            "programme",
            "--territory",
            "Lune",
            "--from",
            "2019-01-01",
            "--to",
            "2018-01-01",
        ]
    )
    assert backwards.exit_code == 2 and "--to" in backwards.output
    empty = runner.invoke(args=["report", "programme", "--territory", "lune"])
    assert empty.exit_code == 0
    assert json.loads(empty.output)["empty"] is True and json.loads(empty.output)["projects"] == 0

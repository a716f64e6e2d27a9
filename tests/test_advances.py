"""Repayable advances: the application within the fund's bounds, the committee (quorum,
recusal, votes, conditions), the contract, the disbursement that can never overdraw the
fund, an exact schedule, repayments (partial, early, over), arrears, default, write-off;
who sees what; the bank file and the schedule commands."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace.advances.models import (
    Advance,
    AgendaItem,
    Condition,
    Fund,
    FundMovement,
    Instalment,
    Repayment,
)
from marketplace.advances.money import BadSchedule, parse_euros, schedule
from marketplace.extensions import db
from marketplace.notifications.models import Notification
from tests.advances_world import build_finance
from tests.conftest import csrf_from
from tests.missions_world import as_client
from tests.processes import worker

APPLICATION = {
    "amount": "20 000",
    "purpose": "Acheter une scie à panneaux pour l'atelier",
    "term_months": "36",
    "grace_months": "0",
    "frequency": "monthly",
    "headcount": "12",
    "jobs_to_create": "2",
    "jobs_to_preserve": "10",
    "lender": "Banque Populaire",
    "cofinancing": "60 000",
}


def post(client, path, data, page):
    return client.post(path, data={"csrf_token": csrf_from(client, page), **data})


@pytest.fixture()
def finance(app, factory, db):
    return build_finance(app, factory)


def clients(app, factory, world):
    return {k: as_client(app, u, factory.password) for k, u in world.people.items()}


def apply(c, data=None):
    return post(c["sme_manager"], "/advances/new", {**APPLICATION, **(data or {})}, "/advances/new")


def advance_of(app, ref=None) -> Advance:
    with app.app_context():
        query = select(Advance).order_by(Advance.id.desc())
        advance = db.session.scalar(query.where(Advance.ref == ref) if ref else query)
        db.session.expunge_all()
        return advance


# ------------------------------------------------------------------ money and schedules


def test_amounts_are_read_as_people_type_them():
    assert parse_euros("15 000") == 1_500_000
    assert parse_euros("15\u202f000,5") == 1_500_050
    assert parse_euros("30000.00 €") == 3_000_000
    for bad in ("", "abc", "1,234,5", "-5", "1.999"):
        with pytest.raises(ValueError):
            parse_euros(bad)


@given(
    amount=st.integers(min_value=1, max_value=10_000_000),
    term=st.integers(min_value=1, max_value=120),
    grace=st.integers(min_value=0, max_value=119),
    quarterly=st.booleans(),
)
def test_a_schedule_adds_up_to_the_cent(amount, term, grace, quarterly):
    frequency = "quarterly" if quarterly else "monthly"
    try:
        rows = schedule(amount, term, grace, frequency, date(2026, 1, 31))
    except BadSchedule:
        assert grace >= term or (quarterly and (term - grace) % 3)
        return
    assert sum(r.amount_cents for r in rows) == amount
    assert len(rows) == (term - grace) // (3 if quarterly else 1)
    assert all(r.amount_cents == rows[0].amount_cents for r in rows[:-1])  # the last rounds
    assert all(a.due_on < b.due_on for a, b in zip(rows, rows[1:], strict=False))


def test_the_last_instalment_takes_the_rounding_and_dates_keep_the_month_end():
    rows = schedule(2_000_000, 36, 6, "quarterly", date(2026, 1, 31))
    assert len(rows) == 10 and rows[0].due_on == date(2026, 10, 31)
    assert [r.amount_cents for r in rows] == [200_000] * 10
    rows = schedule(1_000_000, 3, 0, "monthly", date(2026, 1, 31))
    assert [r.amount_cents for r in rows] == [333_333, 333_333, 333_334]
    assert [r.due_on for r in rows] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


# ------------------------------------------------------------------ the application


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount": "10 000"}, "amount", "Entre 15"),
        ({"amount": "deux mille"}, "amount", "Un montant en euros"),
        ({"term_months": "0"}, "term_months", ""),
        ({"grace_months": "36"}, "grace_months", "plus court"),
        ({"frequency": "quarterly", "term_months": "37"}, "term_months", "trimestres"),
        ({"cofinancing": ""}, "cofinancing", "prêteur et le montant"),
    ],
)
def test_a_bad_application_is_refused_next_to_its_field_and_writes_nothing(
    app, factory, finance, change, field, message
):
    c = clients(app, factory, finance)
    response = apply(c, change)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">([^<]*)<', html)
    assert error and message in error.group(1), html[:200]
    with app.app_context():
        assert db.session.scalar(select(func.count(Advance.id))) == 0


def test_the_whole_life_of_an_advance(app, factory, finance):
    c = clients(app, factory, finance)
    response = apply(c)
    assert response.status_code == 302
    advance = advance_of(app)
    assert advance.status == "draft" and advance.amount_cents == 2_000_000
    page = f"/advances/{advance.id}"
    assert post(c["sme_manager"], f"{page}/submit", {}, page).status_code == 302

    # The committee: a session, the dossier on its agenda, who attends.
    sessions = f"/committees/{finance.committee_id}"
    response = post(c["coordinator"], sessions, {"held_on": "2026-12-10"}, sessions)
    assert response.status_code == 302
    session_page = response.headers["Location"]
    assert (
        post(
            c["coordinator"],
            session_page,
            {"form": "agenda", "agenda-advance_id": advance.id},
            session_page,
        ).status_code
        == 302
    )
    m = finance.members
    assert (
        post(
            c["coordinator"],
            session_page,
            {
                "form": "attendance",
                "attendance-present": [m["referent"], m["coordinator"], m["sme_director"]],
            },
            session_page,
        ).status_code
        == 302
    )
    with app.app_context():
        item = db.session.scalar(select(AgendaItem))
    decide = {
        "form": "decision",
        "decision-items": item.id,
        "decision-decision": "conditional",
        "decision-conditions": "Apport personnel de 5 000 €\nAccord de la banque",
    }
    # Two voters present once the SME's director is recused: no quorum, nothing written.
    response = post(
        c["coordinator"],
        session_page,
        {**decide, f"vote-{m['referent']}": "for", f"vote-{m['coordinator']}": "for"},
        session_page,
    )
    assert response.status_code == 400 and "Pas de quorum" in response.get_data(as_text=True)
    post(
        c["coordinator"],
        session_page,
        {
            "form": "attendance",
            "attendance-present": [m["referent"], m["coordinator"], m["sme_director"], m["bank"]],
        },
        session_page,
    )
    # A recused member's vote is refused, nothing written.
    response = post(
        c["coordinator"],
        session_page,
        {
            **decide,
            f"vote-{m['sme_director']}": "for",
            f"vote-{m['referent']}": "for",
            f"vote-{m['bank']}": "for",
        },
        session_page,
    )
    assert response.status_code == 400 and "Membre sme_director" in response.get_data(as_text=True)
    assert advance_of(app).status == "on_agenda"
    response = post(
        c["coordinator"],
        session_page,
        {
            **decide,
            f"vote-{m['referent']}": "for",
            f"vote-{m['coordinator']}": "for",
            f"vote-{m['bank']}": "abstain",
        },
        session_page,
    )
    assert response.status_code == 302
    advance = advance_of(app)
    assert advance.status == "approved"
    with app.app_context():
        item = db.session.get(AgendaItem, item.id)
        assert (item.votes_for, item.votes_against, item.abstentions) == (2, 0, 1)
        assert item.recused == "Membre sme_director"
        conditions = db.session.scalars(
            select(Condition).where(Condition.advance_id == advance.id)
        ).all()
        assert [x.text for x in conditions] == [
            "Apport personnel de 5 000 €",
            "Accord de la banque",
        ]
        told = db.session.scalars(
            select(Notification.message).where(
                Notification.user_id == finance.people["sme_manager"].id
            )
        ).all()
        assert any("approuvée avec conditions" in t for t in told)
    pack = c["group_referent"].get(f"{session_page}/pack").get_data(as_text=True)
    assert "Dossier de séance" in pack and "Effet de levier : 3 ×" in pack
    assert "récusé(s) : Membre sme_director" in pack
    assert c["outsider"].get(f"{session_page}/pack").status_code == 404
    minutes = c["coordinator"].get(f"{session_page}/minutes").get_data(as_text=True)
    assert (
        "approuvée avec conditions" in minutes
        and "récusé" in minutes
        and "Accord de la banque" in minutes
    )
    pdf = c["coordinator"].get(f"{session_page}/minutes.pdf")
    if pdf.status_code != 503:  # 503: WeasyPrint cannot load Pango on this machine
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
        assert 'filename="pv-' in pdf.headers["Content-Disposition"]

    # The contract waits for the conditions to be lifted.
    response = post(c["coordinator"], f"{page}/contract", {}, page)
    assert response.status_code == 409 and "conditions" in response.get_data(as_text=True)
    for condition in conditions:
        post(c["coordinator"], f"{page}/conditions/{condition.id}/lift", {}, page)
    assert post(c["coordinator"], f"{page}/contract", {}, page).status_code == 302

    # Two tranches; the schedule starts at the second.
    money = f"{page}/money/disburse"
    assert (
        post(c["coordinator"], money, {"amount": "25 000", "on": "2027-01-05"}, page).status_code
        == 400
    )
    assert (
        post(c["coordinator"], money, {"amount": "5 000", "on": "2027-01-05"}, page).status_code
        == 302
    )
    assert advance_of(app).status == "disbursed"
    assert (
        post(c["coordinator"], money, {"amount": "15 000", "on": "2027-01-15"}, page).status_code
        == 302
    )
    advance = advance_of(app)
    assert advance.status == "repaying" and advance.disbursed_cents == 2_000_000
    with app.app_context():
        rows = db.session.scalars(
            select(Instalment)
            .where(Instalment.advance_id == advance.id)
            .order_by(Instalment.number)
        ).all()
        assert len(rows) == 36 and sum(r.amount_cents for r in rows) == 2_000_000
        assert rows[0].due_on == date(2027, 2, 15)

    # Repayments: partial, then everything and more; the rest is an over-payment to give back.
    repay = f"{page}/money/repay"
    assert (
        post(
            c["coordinator"],
            repay,
            {"amount": "300", "on": "2027-02-15", "reference": "VIR 1"},
            page,
        ).status_code
        == 302
    )
    with app.app_context():
        first = db.session.scalar(
            select(Instalment).where(Instalment.advance_id == advance.id, Instalment.number == 1)
        )
        assert first.paid_cents == 30_000 < first.amount_cents
    assert (
        post(c["coordinator"], repay, {"amount": "19 800", "on": "2027-03-01"}, page).status_code
        == 302
    )
    advance = advance_of(app)
    assert advance.status == "repaid" and advance.repaid_cents == 2_000_000
    assert advance.overpaid_cents == 10_000  # 100 € more than owed: recorded, not lost
    response = post(c["coordinator"], repay, {"amount": "10", "on": "2027-03-02"}, page)
    assert response.status_code == 409  # nothing more to repay on a repaid advance
    with app.app_context():
        fund = db.session.get(Fund, finance.fund_id)
        assert (
            fund.available_cents == 10_000_000
            and fund.disbursed_cents == fund.repaid_cents == 2_000_000
        )
        assert db.session.scalar(select(func.count(Repayment.id))) == 2
        kinds = db.session.scalars(select(FundMovement.kind).order_by(FundMovement.id)).all()
        assert kinds == ["contribution", "disbursement", "disbursement", "repayment", "repayment"]
    timeline = c["sme_manager"].get(page).get_data(as_text=True)
    assert "remboursée intégralement" in timeline and "trop-perçu de 100,00" in timeline


def _running_advance(app, factory, finance, amount="20 000", on="2026-01-10", pay_out=True):
    """An advance taken straight to repayment (committee decision recorded by the service);
    without `pay_out`, approved and contracted, waiting for its money."""
    from marketplace.accounts.models import User
    from marketplace.advances import committee as committees
    from marketplace.advances import services
    from marketplace.advances.models import Committee
    from tests.advances_world import NOW

    c = clients(app, factory, finance)
    assert apply(c, {"amount": amount, "lender": "", "cofinancing": ""}).status_code == 302
    advance = advance_of(app)
    with app.app_context():
        coordinator = db.session.get(User, finance.people["coordinator"].id)
        advance = db.session.get(Advance, advance.id)
        services.act(coordinator, advance, "submit", NOW)
        session = committees.create_session(
            coordinator, db.session.get(Committee, finance.committee_id), date(2025, 12, 1)
        )
        committees.put_on_agenda(coordinator, session, advance, NOW)
        m = finance.members
        committees.set_attendance(
            coordinator, session, {m["referent"], m["coordinator"], m["bank"]}
        )
        committees.decide(
            coordinator,
            session,
            list(session.items),
            "approved",
            {m["referent"]: "for", m["coordinator"]: "for", m["bank"]: "for"},
            [],
            None,
            NOW,
        )
        services.act(coordinator, advance, "contract", NOW)
        if pay_out:
            services.disburse(
                coordinator, advance, advance.amount_cents, date.fromisoformat(on), NOW
            )
        db.session.commit()
        return advance.id, c


def test_arrears_are_flagged_once_per_bucket_then_a_default_is_written_off(
    app, factory, finance, runner
):
    advance_id, c = _running_advance(app, factory, finance)
    first_due = date(2026, 2, 10)

    def run(day):
        return runner.invoke(args=["jobs", "run", "advance-arrears", "--today", day.isoformat()])

    assert run(first_due).exit_code == 0  # due today is not late
    assert advance_of(app).status == "repaying"
    result = run(first_due + timedelta(days=3))
    assert result.exit_code == 0, result.output
    assert advance_of(app).status == "in_arrears"
    with app.app_context():

        def count():
            overdue = Notification.kind == "advance_overdue"
            return db.session.scalar(select(func.count(Notification.id)).where(overdue))

        once = count()
        assert once >= 2  # the SME's manager and the coordinator
    run(first_due + timedelta(days=10))
    with app.app_context():
        assert count() == once  # same bucket (1-30 days): told once
    run(first_due + timedelta(days=40))
    with app.app_context():
        assert count() > once  # the next bucket (31-90 days) is told again
    page = f"/advances/{advance_id}"
    assert (
        post(c["coordinator"], f"{page}/default", {"reason": "liquidation"}, page).status_code
        == 302
    )
    assert (
        post(c["coordinator"], f"{page}/write_off", {"reason": "clôture"}, page).status_code == 302
    )
    advance = advance_of(app)
    assert advance.status == "written_off"
    with app.app_context():
        fund = db.session.get(Fund, finance.fund_id)
        assert fund.written_off_cents == 2_000_000 == fund.outstanding_cents + 2_000_000
        assert fund.available_cents == 10_000_000 - 2_000_000  # it never comes back


def test_who_sees_what(app, factory, finance):
    advance_id, c = _running_advance(app, factory, finance)
    assert c["outsider"].get(f"/advances/{advance_id}").status_code == 404
    assert c["volunteer"].get(f"/advances/{advance_id}").status_code == 404
    assert c["sme_manager"].get(f"/advances/{advance_id}").status_code == 200
    # The group's referent sits on the committee: its dossiers, and the fund's aggregates only.
    assert c["group_referent"].get(f"/advances/{advance_id}").status_code == 200
    fund_page = c["group_referent"].get(f"/funds/{finance.fund_id}").get_data(as_text=True)
    assert "100\u202f000,00" in fund_page and "Mouvements" not in fund_page
    assert "Mouvements" in c["coordinator"].get(f"/funds/{finance.fund_id}").get_data(as_text=True)
    assert c["outsider"].get(f"/committees/{finance.committee_id}").status_code == 404
    page = f"/advances/{advance_id}"
    assert (
        post(
            c["sme_manager"], f"{page}/money/repay", {"amount": "10", "on": "2026-02-01"}, page
        ).status_code
        == 403
    )
    listed = c["outsider"].get("/advances").get_data(as_text=True)
    assert "A-0" not in listed


def test_the_bank_file_is_all_or_nothing_and_names_row_and_column(
    app, factory, finance, runner, tmp_path
):
    advance_id, _c = _running_advance(app, factory, finance)
    ref = advance_of(app).ref
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date;amount;reference\n"
        f"2026-02-10;555,55;VIR {ref}\n2026-03-10;555,55;VIR A-999999\n2026-13-01;1;{ref}\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["advances", "import-repayments", str(bad)])
    assert result.exit_code != 0
    assert "row 3, column reference" in result.output and "row 4, column date" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Repayment.id))) == 0
    good = tmp_path / "good.csv"
    good.write_text(
        f"\ufeffdate;amount;reference\n2026-02-10;555,55;VIR {ref} FEV\n", encoding="utf-8"
    )
    result = runner.invoke(args=["advances", "import-repayments", str(good)])
    assert result.exit_code == 0, result.output
    assert advance_of(app).repaid_cents == 55_555
    shown = runner.invoke(args=["advances", "schedule", ref])
    assert shown.exit_code == 0 and "total 20000.00 EUR" in shown.output
    assert "paid     555.55" in shown.output


@pytest.mark.slow
def test_two_disbursements_at_once_never_overdraw_the_fund(app, factory, db_url, db):
    """Processes race to pay out advances worth more than the fund holds: the conditional
    UPDATE lets exactly what fits through, on SQLite as on PostgreSQL."""
    finance = build_finance(app, factory, endowment_cents=5_000_000)  # 50,000 €: two of three
    ids = []
    for _ in range(3):
        advance_id, _c = _running_advance(app, factory, finance, pay_out=False)
        ids.append(advance_id)
    procs = [
        worker(db_url, "disburse_advance", str(finance.people["coordinator"].id), str(i))
        for i in ids
    ]
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-2000:]
        outcomes.append(out.strip())
    assert sorted(outcomes) == ["paid", "paid", "short"]
    with app.app_context():
        fund = db.session.get(Fund, finance.fund_id)
        assert fund.available_cents == 1_000_000 and fund.disbursed_cents == 4_000_000
        assert (
            db.session.scalar(
                select(func.count(FundMovement.id)).where(FundMovement.kind == "disbursement")
            )
            == 2
        )


def test_the_homes_say_what_waits_in_the_finance_half(app, factory, finance):
    c = clients(app, factory, finance)
    assert apply(c).status_code == 302
    home = c["sme_manager"].get("/").get_data(as_text=True)
    assert "Demandes d&#39;avance à compléter et soumettre" in home
    advance = advance_of(app)
    page = f"/advances/{advance.id}"
    post(c["sme_manager"], f"{page}/submit", {}, page)
    home = c["coordinator"].get("/").get_data(as_text=True)
    assert "Dossiers d&#39;avance en attente d&#39;un comité" in home
    assert "/advances?status=submitted" in home


def test_an_administrator_sets_up_a_fund_and_its_committee_gets_members_and_links(
    app, factory, finance, login_as, client
):
    territory = factory.territory()
    login_as("admin")
    page = "/funds/new"
    bad = post(
        client,
        page,
        {
            "territory_id": territory.id,
            "name": "Fonds test",
            "min_amount": "30 000",
            "max_amount": "15 000",
            "quorum": "3",
        },
        page,
    )
    assert bad.status_code == 400 and "inférieure à la minimale" in bad.get_data(as_text=True)
    created = post(
        client,
        page,
        {
            "territory_id": territory.id,
            "name": "Fonds test",
            "min_amount": "15 000",
            "max_amount": "30 000",
            "quorum": "2",
        },
        page,
    )
    assert created.status_code == 302
    with app.app_context():
        from marketplace.advances.models import Committee

        fund = db.session.scalar(select(Fund).where(Fund.territory_id == territory.id))
        assert fund.available_cents == 0 and fund.max_cents == 3_000_000
        committee = db.session.scalar(
            select(Committee).where(Committee.territory_id == territory.id)
        )
    # The existing committee's secretariat adds a member; a member declares a link.
    c = clients(app, factory, finance)
    page = f"/committees/{finance.committee_id}"
    added = post(
        c["coordinator"],
        f"{page}/members",
        {
            "form": "member",
            "member-name": "Nadia Banque",
            "member-seat": "bank",
            "member-organisation_id": "0",
            "member-user_id": "0",
            "member-joined_on": "2026-01-01",
        },
        page,
    )
    assert added.status_code == 302
    linked = post(
        c["group_referent"],
        f"{page}/members",
        {
            "form": "link",
            "link-member_id": finance.members["referent"],
            "link-organisation_id": finance.sme_id,
            "link-note": "administrateur de la PME",
        },
        page,
    )
    assert linked.status_code == 302
    again = post(
        c["group_referent"],
        f"{page}/members",
        {
            "form": "link",
            "link-member_id": finance.members["referent"],
            "link-organisation_id": finance.sme_id,
        },
        page,
    )
    assert again.status_code == 400 and "déjà déclaré" in again.get_data(as_text=True)
    assert committee is not None and c["outsider"].post(
        f"/committees/{committee.id}/members"
    ).status_code in (400, 404)
    with app.app_context():
        from marketplace.advances import committee as committees
        from marketplace.advances.models import CommitteeMember

        referent = db.session.get(CommitteeMember, finance.members["referent"])
        advance = Advance(organisation_id=finance.sme_id)
        assert committees.is_recused(referent, advance)  # the declared link recuses


def test_an_advance_in_arrears_is_rescheduled_on_a_new_version_keeping_the_old(
    app, factory, finance, runner
):
    advance_id, c = _running_advance(app, factory, finance)
    runner.invoke(args=["jobs", "run", "advance-arrears", "--today", "2026-04-01"])
    assert advance_of(app).status == "in_arrears"
    page = f"/advances/{advance_id}"
    bad = post(
        c["coordinator"],
        f"{page}/reschedule",
        {
            "reschedule-start": "2026-05-01",
            "reschedule-term_months": "24",
            "reschedule-grace_months": "24",
            "reschedule-reason": "difficultés",
        },
        page,
    )
    assert bad.status_code == 400 and "plus court que la durée" in bad.get_data(as_text=True)
    done = post(
        c["coordinator"],
        f"{page}/reschedule",
        {
            "reschedule-start": "2026-05-01",
            "reschedule-term_months": "24",
            "reschedule-grace_months": "3",
            "reschedule-reason": "difficultés passagères",
        },
        page,
    )
    assert done.status_code == 302
    advance = advance_of(app)
    assert advance.status == "repaying" and advance.schedule_version == 2
    with app.app_context():
        versions = dict(
            db.session.execute(
                select(Instalment.version, func.sum(Instalment.amount_cents))
                .where(Instalment.advance_id == advance_id)
                .group_by(Instalment.version)
            ).all()
        )
    assert versions == {1: 2_000_000, 2: advance.outstanding_cents}  # the old one kept whole


def test_the_sme_sees_its_advances_and_next_instalment_at_home(app, factory, finance):
    advance_id, c = _running_advance(app, factory, finance)
    home = c["sme_manager"].get("/").get_data(as_text=True)
    assert "Mes avances remboursables" in home
    assert "prochaine échéance : 555,55\u00a0€ le 10 févr. 2026" in home
    assert "Mes avances remboursables" not in c["outsider"].get("/").get_data(as_text=True)


def test_the_fund_over_time_month_by_month(app, factory, finance):
    from marketplace.advances.services import fund_history

    advance_id, c = _running_advance(app, factory, finance, on="2026-01-10")
    with app.app_context():
        history = fund_history(db.session.get(Fund, finance.fund_id), date(2026, 3, 15))
    assert history[0] == ("2012-03", 10_000_000, 0, 10_000_000)
    assert history[-1] == ("2026-03", 10_000_000, 2_000_000, 8_000_000)
    assert len(history) == (2026 - 2012) * 12 + 1
    page = c["coordinator"].get(f"/funds/{finance.fund_id}").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page and "Le fonds dans le temps" in page


def test_the_edit_form_starts_from_the_amounts_as_typed_cents_included(app, factory, finance):
    c = clients(app, factory, finance)
    assert apply(c, {"amount": "20 000,50", "cofinancing": "60 000,25"}).status_code == 302
    advance = advance_of(app)
    form = c["sme_manager"].get(f"/advances/{advance.id}/edit").get_data(as_text=True)
    assert 'value="20000,50"' in form and 'value="60000,25"' in form
    assert 'value="Banque Populaire"' in form
    page = f"/advances/{advance.id}/edit"
    resent = post(
        c["sme_manager"],
        page,
        {**APPLICATION, "amount": "20000,50", "cofinancing": "60000,25"},
        page,
    )
    assert resent.status_code == 302
    with app.app_context():
        saved = db.session.get(Advance, advance.id)
        assert saved.amount_cents == 2_000_050 and saved.cofinancing_cents == 6_000_025

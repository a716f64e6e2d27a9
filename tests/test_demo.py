"""Demo data: loads through the CLI, twice changes nothing, accounts work."""

from __future__ import annotations

from sqlalchemy import text

from marketplace.demo import ACCOUNTS
from marketplace.extensions import db
from tests.conftest import login


def snapshot(app) -> dict:
    with app.app_context():
        return {
            table.name: sorted(
                tuple(str(v) for v in row)
                for row in db.session.execute(text(f"SELECT * FROM {table.name}"))  # noqa: S608
            )
            for table in db.metadata.sorted_tables
        }


def test_demo_load_twice_changes_nothing(runner, app):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "7 users created" in first.output
    after_first = snapshot(app)
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert "0 users created" in second.output
    assert snapshot(app) == after_first


def test_demo_if_empty_skips_a_used_database(runner, factory):
    factory.user()
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "not loaded" in result.output


def test_demo_accounts_log_in_with_their_printed_passwords(runner, app):
    runner.invoke(args=["demo", "load"])
    printed = runner.invoke(args=["demo", "accounts"]).output
    for account in ACCOUNTS:
        assert account.email in printed and account.password in printed
        client = app.test_client()
        response = login(client, account.email, account.password)
        assert response.status_code == 302, account.email
        assert client.get("/").status_code == 200


def test_demo_has_the_expected_programme(runner, app):
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        territories = set(db.session.scalars(text("SELECT name FROM territories")))
        assert {"Terres de Lorraine", "Bassin de Longwy"} <= territories
        quota, per_day, start, end = db.session.execute(
            text(
                "SELECT quota_minutes, minutes_per_day, starts_on, ends_on FROM conventions "
                "WHERE status = 'active'"
            )
        ).one()
        partners = dict(
            db.session.execute(
                text(
                    "SELECT o.name, g.committed_minutes FROM convention_groups g "
                    "JOIN organisations o ON o.id = g.organisation_id "
                    "JOIN conventions c ON c.id = g.convention_id WHERE c.status = 'active'"
                )
            ).all()
        )
    assert (quota, per_day) == (150 * 420, 420)  # 150 days of 7 h
    assert partners == {"Saint-Gobain PAM": 90 * 420, "Michelin": 60 * 420}
    assert str(start)[:4] == "2025" and str(end)[:4] == "2027"


def test_demo_missions_feed_the_ledger_once(runner, app):
    import json

    runner.invoke(args=["demo", "load"])
    first = json.loads(
        runner.invoke(args=["jobs", "run", "log-delivered-days", "--format", "json"]).stdout
    )
    # a day, a two-hour helping hand (declared, undisputed), a day
    assert first["sessions_logged"] == 3 and first["minutes_logged"] == 420 + 120 + 420
    second = json.loads(
        runner.invoke(args=["jobs", "run", "log-delivered-days", "--format", "json"]).stdout
    )
    assert second["sessions_logged"] == 0


def test_coordinators_see_the_last_run_of_each_job(runner, app):
    from marketplace.demo import ACCOUNTS
    from tests.conftest import login

    runner.invoke(args=["demo", "load"])
    runner.invoke(args=["jobs", "run", "log-delivered-days"])
    account = next(a for a in ACCOUNTS if a.role == "coordinator")
    client = app.test_client()
    login(client, account.email, account.password)
    page = client.get("/").get_data(as_text=True)
    assert "3 séances, 16 h" in page and "jamais exécutée" in page


def test_demo_market_has_proposals_for_each_side_and_none_irrelevant(runner, app):
    runner.invoke(args=["demo", "load"])
    with app.app_context():
        pairs = set(
            db.session.execute(
                text(
                    "SELECT n.ref, o.ref FROM proposals p JOIN needs n ON n.id = p.need_id "
                    "JOIN offers o ON o.id = p.offer_id"
                )
            ).all()
        )
    # HR need ↔ HR offer, energy ↔ energy; the export need has no fitting offer: nothing.
    assert pairs == {("N-DEMO-3", "O-DEMO-3"), ("N-DEMO-4", "O-DEMO-4")}
    by_email = {a.email: a for a in ACCOUNTS}
    for email, text_seen in (
        ("direction@menuiserie-colin-demo.example", "Droit social"),
        ("expert@saint-gobain-demo.example", "Revoir nos contrats de travail"),
        ("coordination@alize-demo.example", "Réduire la facture énergétique"),
    ):
        client = app.test_client()
        login(client, email, by_email[email].password)
        assert text_seen in client.get("/proposals").get_data(as_text=True), email


def test_demo_finance_tells_the_terres_de_lorraine_story(runner, app):
    """441,000 € endowed, mostly by Michelin; advances repaid, running, one written off; a
    dossier waiting for the next committee; Saint-Gobain on the committee since 2017; the
    Longwy basin with its own fund. The fund's balance holds by construction."""
    from marketplace.advances.models import Advance, CommitteeMember, Fund

    runner.invoke(args=["demo", "load"])
    with app.app_context():
        funds = {f.name: f for f in db.session.query(Fund)}
        lorraine = funds["Fonds Alizé Terres de Lorraine"]
        assert lorraine.contributed_cents == 44_100_000
        assert lorraine.available_cents == (
            lorraine.contributed_cents + lorraine.repaid_cents - lorraine.disbursed_cents
        )
        statuses = sorted(
            a.status for a in db.session.query(Advance).filter_by(fund_id=lorraine.id)
        )
        assert set(statuses) == {"repaid", "repaying", "submitted", "written_off"}
        assert statuses.count("written_off") == 1  # every advance repaid but one
        assert lorraine.written_off_cents > 0
        assert "Fonds Alizé Bassin de Longwy" in funds
        saint_gobain = db.session.query(CommitteeMember).filter_by(name="Rémi Lefèvre").one()
        assert saint_gobain.joined_on.year == 2017


def test_the_programme_report_gives_the_published_terres_de_lorraine_figures(runner, app):
    """`flask report programme` on the demo gives the seed's figures, computed from the
    demo's rows; an independent tally of those rows agrees; Longwy's differ; the fund never
    lent money it did not have, month by month; a convention with its renewals is one
    period."""
    import json
    from datetime import date

    from marketplace.advances.models import Fund
    from marketplace.advances.services import fund_history

    runner.invoke(args=["demo", "load"])

    def report(*args):
        result = runner.invoke(args=["report", "programme", *args, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.output)

    period = ["--from", "2012-01-01", "--to", "2019-06-30"]
    tdl = report("--territory", "Terres de Lorraine", *period)
    assert {
        k: tdl[k]
        for k in (
            "projects",
            "advances_eur",
            "skill_days",
            "jobs_created",
            "jobs_preserved",
            "fund_initial_eur",
            "advances_repaid",
            "advances_defaulted",
        )
    } == {
        "projects": 45,
        "advances_eur": 980_000,
        "skill_days": 129,
        "jobs_created": 115,
        "jobs_preserved": 75,
        "fund_initial_eur": 441_000,
        "advances_repaid": 39,
        "advances_defaulted": 1,
    }
    assert 6 <= tdl["leverage"] <= 11  # French networks' bank leverage on honour loans
    assert tdl["value_of_days_eur"] > 0 and tdl["unvalued_days"] == 0
    with app.app_context():
        territory = db.session.scalar(
            text("SELECT id FROM territories WHERE name = 'Terres de Lorraine'")
        )
        window = {"t": territory, "a": date(2012, 1, 1), "b": date(2019, 6, 30)}
        paid = db.session.execute(
            text(
                "SELECT a.organisation_id, m.amount_cents, a.status FROM fund_movements m "
                "JOIN advances a ON a.id = m.advance_id JOIN funds f ON f.id = m.fund_id "
                "WHERE f.territory_id = :t AND m.kind = 'disbursement' "
                "AND m.moved_on BETWEEN :a AND :b"
            ),
            window,
        ).all()
        days = db.session.execute(
            text(
                "SELECT n.organisation_id, e.minutes, c.minutes_per_day FROM ledger_entries e "
                "JOIN missions m ON m.id = e.mission_id JOIN needs n ON n.id = m.need_id "
                "JOIN conventions c ON c.id = e.convention_id "
                "WHERE c.territory_id = :t AND e.entry_on BETWEEN :a AND :b"
            ),
            window,
        ).all()
        smes = {o for o, _c, _s in paid} | {o for o, _m, _p in days}
        latest = {}
        for organisation, _year, created, preserved in db.session.execute(
            text(
                "SELECT p.organisation_id, f.year, f.jobs_created, f.jobs_preserved "
                "FROM follow_ups f JOIN projects p ON p.id = f.project_id "
                "WHERE p.territory_id = :t AND f.answered_at IS NOT NULL ORDER BY f.year"
            ),
            {"t": territory},
        ):
            latest[organisation] = (created, preserved)
        assert len(smes) == tdl["projects"]
        assert sum(c for _o, c, _s in paid) == tdl["advances_eur"] * 100
        assert sum(m / p for _o, m, p in days) == tdl["skill_days"]
        assert sum(latest[o][0] for o in smes) == tdl["jobs_created"]
        assert sum(latest[o][1] for o in smes) == tdl["jobs_preserved"]
        assert sum(1 for *_x, s in paid if s in ("defaulted", "written_off")) == 1
        for fund in db.session.query(Fund):
            for month, _contributed, _outstanding, available in fund_history(fund, date.today()):
                assert available >= 0, (fund.name, month)
        first = db.session.scalar(
            text("SELECT id FROM conventions WHERE name = 'Alizé Terres de Lorraine 2012-2014'")
        )
    longwy = report("--territory", "Bassin de Longwy", *period)
    assert longwy["projects"] != tdl["projects"] and 20 <= longwy["projects"] <= 60
    assert longwy["advances_defaulted"] == 2 and longwy["jobs_preserved"] > longwy["jobs_created"]
    alone = report("--convention", str(first))
    renewed = report("--convention", str(first), "--with-renewals")
    assert (alone["from"], alone["to"]) == ("2012-03-01", "2014-12-31")
    assert renewed["from"] == "2012-03-01" and renewed["to"] == "2027-12-31"
    assert len(renewed["conventions"]) == 5  # 2012, 2015, 2018, 2021, and today's
    assert renewed["skill_days"] > alone["skill_days"] > 0
    csv = runner.invoke(
        args=[
            "report",
            "programme",
            "--territory",
            "Terres de Lorraine",
            *period,
            "--format",
            "csv",
        ]
    )
    assert "projects,45" in csv.output and "jobs_created,115" in csv.output

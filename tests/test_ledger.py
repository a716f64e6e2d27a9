"""The scheduler's jobs: the ledger exactly once, catch-up, concurrency, the other jobs."""

from __future__ import annotations

import json
import signal
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.jobs.models import JobRun
from marketplace.ledger.models import LedgerEntry, LedgerMonth
from marketplace.ledger.services import ledger_total
from marketplace.missions.models import Mission
from marketplace.needs.models import Need
from marketplace.notifications.models import Notification
from tests.ledger_world import many_sessions, mission_with_sessions
from tests.missions_world import build_world, read_books
from tests.processes import flask, wait_until
from tests.units import DAY, HALF

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 26)


def run(runner, name: str, today: date = TODAY) -> dict:
    result = runner.invoke(
        args=["jobs", "run", name, "--today", today.isoformat(), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ledger(app) -> list[tuple]:
    columns = (
        LedgerEntry.session_id,
        LedgerEntry.entry_on,
        LedgerEntry.minutes,
        LedgerEntry.convention_id,
        LedgerEntry.group_id,
        LedgerEntry.mission_id,
    )
    with app.app_context():
        rows = [tuple(r) for r in db.session.execute(select(*columns))]
    # Corrections have no session: they sort last.
    return sorted(rows, key=lambda r: (r[0] is None, r[0] or 0, r[1]))


def books(app, world) -> tuple:
    """(reserved, delivered) of the convention, the group and the offer; the ledger's sum."""
    return read_books(
        app,
        world,
        lambda convention, group, offer: (
            (convention.minutes_reserved, convention.minutes_delivered),
            (group.minutes_reserved, group.minutes_delivered),
            (offer.minutes_reserved, offer.minutes_delivered),
            ledger_total(world.convention_id),
        ),
    )


def months_agree(app) -> bool:
    """The monthly sums the reports read equal the entries, summed here in Python."""
    with app.app_context():
        tally: dict[tuple[int, date], int] = {}
        for entry in db.session.scalars(select(LedgerEntry)):
            key = (entry.mission_id, entry.entry_on.replace(day=1))
            tally[key] = tally.get(key, 0) + entry.minutes
        months = {
            (m.mission_id, m.month): m.minutes for m in db.session.scalars(select(LedgerMonth))
        }
    assert tally, "no entry to compare"
    return months == tally


@pytest.fixture()
def world(app, factory, db):
    return build_world(app, factory, quota=1000, committed=1000, offer_days=60, needs=3)


def test_the_rule_and_the_counters(app, runner, world):
    d = timedelta
    mission_id = mission_with_sessions(
        app,
        world,
        [
            (TODAY - d(days=2), DAY, "confirmed"),  # logged
            (TODAY - d(days=10), 120, "delivered"),  # declared 10 days ago, no dispute: logged
            (TODAY - d(days=2), DAY, "delivered"),  # declared 2 days ago: not yet
            (TODAY - d(days=3), DAY, "planned"),  # never declared: not logged
            (TODAY - d(days=3), DAY, "not_held"),
            (TODAY - d(days=4), DAY, "cancelled"),
            (TODAY - d(days=4), DAY, "disputed"),
        ],
    )
    # Approval reserved the days the sessions add up to (6 days 2 h → 6.5 days, 2,730 min).
    reserved = 13 * HALF
    assert books(app, world) == ((reserved, 0), (reserved, 0), (reserved, 0), 0)
    counts = run(runner, "log-delivered-days")
    assert counts["job"] == "log-delivered-days"
    assert (counts["sessions_logged"], counts["minutes_logged"]) == (2, DAY + 120)
    left = reserved - DAY - 120
    assert books(app, world) == ((left, 540), (left, 540), (left, 540), 540)
    with app.app_context():
        assert db.session.get(Mission, mission_id).minutes_logged == 540
    assert months_agree(app)
    again = run(runner, "log-delivered-days")
    assert (again["sessions_logged"], again["minutes_logged"]) == (0, 0)
    assert books(app, world) == ((left, 540), (left, 540), (left, 540), 540)
    later = run(runner, "log-delivered-days", TODAY + timedelta(days=6))
    assert later["sessions_logged"] == 1  # the recent declaration, once the week has passed


def test_three_days_of_downtime_are_caught_up_exactly(app, runner, world):
    days = [TODAY - timedelta(days=n) for n in (3, 2, 1)]
    mission_with_sessions(app, world, [(day, DAY, "confirmed") for day in days])
    counts = run(runner, "log-delivered-days")
    assert counts["sessions_logged"] == 3
    assert [row[1] for row in ledger(app)] == days
    with app.app_context():
        runs = db.session.scalars(select(JobRun).where(JobRun.name == "log-delivered-days"))
        (only,) = runs.all()
        assert only.status == "succeeded" and only.counts["minutes_logged"] == 3 * DAY


def _spawn_job(db_url: str, today: date, extra_env: dict | None = None):
    args = ("jobs", "run", "log-delivered-days", "--today", today.isoformat(), "--format", "json")
    return flask(db_url, *args, env=extra_env)


@pytest.mark.slow
def test_ten_runs_at_once_log_each_session_once(app, world, db_url):
    many_sessions(app, world, 600, TODAY - timedelta(days=1))
    procs = [_spawn_job(db_url, TODAY) for _ in range(10)]
    outputs = [proc.communicate(timeout=300) for proc in procs]
    errors = [out + err for proc, (out, err) in zip(procs, outputs, strict=True) if proc.returncode]
    assert errors == []
    assert not any("database is locked" in err for _out, err in outputs)
    logged = sum(json.loads(out)["sessions_logged"] for out, _err in outputs)
    assert logged == 600
    rows = ledger(app)
    assert len(rows) == 600 == len({r[0] for r in rows})
    convention, group, _offer, total = books(app, world)
    assert convention == (0, 600 * HALF) == group and total == 600 * HALF
    assert months_agree(app)  # ten runs at once added each session's minutes once


@pytest.mark.slow
def test_a_run_killed_midway_then_run_again_gives_the_same_ledger(app, world, db_url):
    many_sessions(app, world, 1200, TODAY - timedelta(days=1))
    beat = {"JOB_HEARTBEAT_SECONDS": "0.05"}
    proc = _spawn_job(db_url, TODAY, {"LEDGER_BATCH_SIZE": "1", **beat})

    def written() -> int:
        with app.app_context():
            return db.session.scalar(select(func.count(LedgerEntry.id)))

    wait_until(written, seconds=60, every=0.005)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    partial = written()
    assert 0 < partial < 1200  # killed in the middle, whole batches kept
    with app.app_context():  # the dead run shows as running: its heartbeat has stopped
        (dead,) = db.session.scalars(select(JobRun)).all()
        assert dead.status == "running" and dead.finished_at is None
    again = _spawn_job(db_url, TODAY, beat)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert json.loads(out)["sessions_logged"] == 1200 - partial
    with app.app_context():  # the next run marked it interrupted, and succeeded itself
        statuses = db.session.scalars(select(JobRun.status).order_by(JobRun.id)).all()
        assert statuses == ["interrupted", "succeeded"]
    rows = ledger(app)
    assert len(rows) == 1200 == len({r[0] for r in rows})
    assert books(app, world)[0] == (0, 1200 * HALF)  # every reserved minute moved exactly once


def test_corrections_are_new_entries(app, world, runner, factory):
    from datetime import UTC, datetime

    from marketplace.accounts.models import User
    from marketplace.ledger.services import LedgerRefused, add_correction

    mission_id = mission_with_sessions(app, world, [(TODAY - timedelta(days=1), DAY, "confirmed")])
    run(runner, "log-delivered-days")
    with app.app_context():
        coordinator = db.session.get(User, world.people["coordinator"].id)
        mission = db.session.get(Mission, mission_id)
        add_correction(
            coordinator,
            mission,
            -90,
            "Une heure et demie comptée en trop",
            TODAY,
            datetime.now(UTC),
        )
        db.session.commit()
        with pytest.raises(LedgerRefused):  # more than the quota
            add_correction(coordinator, mission, 1000 * DAY, "trop", TODAY, datetime.now(UTC))
        db.session.rollback()
        with pytest.raises(LedgerRefused):
            add_correction(
                coordinator, mission, 10, "pas un quart d'heure", TODAY, datetime.now(UTC)
            )
        db.session.rollback()
        with pytest.raises(LedgerRefused):
            add_correction(coordinator, mission, -DAY, "plus que livré", TODAY, datetime.now(UTC))
        db.session.rollback()
    assert books(app, world)[0][1] == DAY - 90 == books(app, world)[3]
    assert months_agree(app)  # the correction is in its month's sum, the refused ones not
    assert len(ledger(app)) == 2


def test_expire_job(app, runner, world):
    with app.app_context():
        need = db.session.get(Need, world.need_ids[1])
        need.ends_on = TODAY - timedelta(days=1)
        db.session.commit()
    counts = run(runner, "expire")
    assert counts["needs"] == 1 and counts["proposals"] >= 1
    assert run(runner, "expire")["needs"] == 0
    with app.app_context():
        assert db.session.get(Need, world.need_ids[1]).status == "expired"


def test_remind_job_reminds_once(app, runner, world):
    mission_with_sessions(
        app,
        world,
        [
            (TODAY + timedelta(days=1), DAY, "planned"),
            (TODAY - timedelta(days=1), DAY, "delivered"),
        ],
    )
    from datetime import UTC, datetime

    from marketplace.matching.models import Proposal

    with app.app_context():
        waiting = db.session.get(Proposal, world.proposal_ids[1])
        waiting.created_at = datetime(2026, 11, 15, tzinfo=UTC)
        db.session.commit()
    first = run(runner, "remind")
    assert (first["sessions_tomorrow"], first["to_confirm"]) == (1, 1)
    assert first["waiting_proposals"] == 1  # the one older than 5 days
    second = run(runner, "remind")
    assert (second["sessions_tomorrow"], second["to_confirm"], second["waiting_proposals"]) == (
        0,
        0,
        0,
    )
    with app.app_context():
        kinds = set(db.session.scalars(select(Notification.kind)))
    assert {"reminder_session", "reminder_confirm"} <= kinds


def test_quota_alerts_once_per_threshold(app, runner, factory, db):
    world = build_world(app, factory, quota=10, committed=1000, offer_days=60)
    mission_with_sessions(app, world, [(TODAY - timedelta(days=1), DAY, "confirmed")] * 8)
    assert run(runner, "quota-alerts")["alerts"] == 1  # 80 % of the convention
    assert run(runner, "quota-alerts")["alerts"] == 0


def test_refresh_proposals_job(app, runner):
    from tests.test_matching_cli import _import_dev

    _import_dev(runner)
    counts = run(runner, "refresh-proposals")
    assert counts["needs"] == 38 + 3  # every open need: the labelled set's and the demo's
    assert counts["proposals"] >= 25  # at least one for each of its 25 needs with a fit


def test_a_failed_run_is_recorded_and_the_next_run_catches_up(app, runner, world, monkeypatch):
    from marketplace.jobs import registry

    mission_with_sessions(app, world, [(TODAY - timedelta(days=1), DAY, "confirmed")])
    original = registry.JOBS_BY_ID["log-delivered-days"]

    def broken(today, now):
        raise RuntimeError("database went away")

    monkeypatch.setitem(
        registry.JOBS_BY_ID,
        "log-delivered-days",
        registry.JobDefinition(original.id, original.description, broken, original.cron),
    )
    result = runner.invoke(args=["jobs", "run", "log-delivered-days", "--format", "json"])
    assert result.exit_code != 0
    assert json.loads(result.stdout)["status"] == "failed"
    monkeypatch.setitem(registry.JOBS_BY_ID, "log-delivered-days", original)
    assert run(runner, "log-delivered-days")["sessions_logged"] == 1
    with app.app_context():
        statuses = db.session.scalars(
            select(JobRun.status).where(JobRun.name == "log-delivered-days").order_by(JobRun.id)
        ).all()
    assert statuses == ["failed", "succeeded"]


def test_a_coordinator_corrects_the_ledger_on_the_mission_page(app, runner, world, factory):
    from tests.conftest import post_form
    from tests.missions_world import as_client

    mission_id = mission_with_sessions(app, world, [(TODAY - timedelta(days=1), DAY, "confirmed")])
    run(runner, "log-delivered-days")
    coordinator = as_client(app, world.people["coordinator"], factory.password)
    page = f"/missions/{mission_id}/ledger"
    assert "Ajouter une correction" in coordinator.get(page).get_data(as_text=True)
    assert f'href="{page}"' in coordinator.get(f"/missions/{mission_id}").get_data(as_text=True)
    day = TODAY.isoformat()
    bad = post_form(coordinator, page, {"duration": "0 h 10", "reason": "x", "entry_on": day})
    assert bad.status_code == 400 and "par pas de 15 minutes" in bad.get_data(as_text=True)
    unreadable = post_form(coordinator, page, {"duration": "deux", "reason": "x", "entry_on": day})
    assert unreadable.status_code == 400 and "2 h 30" in unreadable.get_data(as_text=True)
    zero = post_form(coordinator, page, {"duration": "0", "reason": "x", "entry_on": day})
    assert zero.status_code == 400 and "zéro" in zero.get_data(as_text=True)
    over = post_form(coordinator, page, {"duration": "5000", "reason": "x", "entry_on": day})
    assert over.status_code == 400  # beyond 720 hours: refused by the form, nothing written
    no_reason = post_form(coordinator, page, {"duration": "-2", "reason": "", "entry_on": day})
    assert no_reason.status_code == 400
    assert len(ledger(app)) == 1
    done = post_form(
        coordinator,
        page,
        {"duration": "-2 h 30", "reason": "Deux heures et demie en trop", "entry_on": day},
    )
    assert done.status_code == 302
    assert len(ledger(app)) == 2 and books(app, world)[3] == DAY - 150
    text = coordinator.get(page).get_data(as_text=True)
    assert "Deux heures et demie en trop" in text and "-2 h 30" in text
    # The SME manager and the volunteer of the mission may not see it at all.
    for role in ("sme_manager", "volunteer"):
        other = as_client(app, world.people[role], factory.password)
        assert other.get(page).status_code in (403, 404)


def test_corrections_from_the_command_line(app, runner, world):
    mission_id = mission_with_sessions(app, world, [(TODAY - timedelta(days=1), DAY, "confirmed")])
    run(runner, "log-delivered-days")
    with app.app_context():
        ref = db.session.get(Mission, mission_id).ref
    coordinator = world.people["coordinator"].email
    result = runner.invoke(
        args=[
            "ledger",
            "correct",
            ref,
            "--duration",
            "-1h30",
            "--reason",
            "en trop",
            "--as",
            coordinator,
        ]
    )
    assert result.exit_code == 0, result.output
    assert "correction of -90 min" in result.output
    refused = runner.invoke(
        args=["ledger", "correct", ref, "--days", "0.3", "--reason", "x", "--as", coordinator]
    )
    assert refused.exit_code != 0 and "half days" in refused.output
    unreadable = runner.invoke(
        args=["ledger", "correct", ref, "--duration", "1h75", "--reason", "x", "--as", coordinator]
    )
    assert unreadable.exit_code != 0 and "--duration" in unreadable.output
    half = runner.invoke(
        args=["ledger", "correct", ref, "--days", "0.5", "--reason", "x", "--as", coordinator]
    )
    assert half.exit_code == 0 and "+210 min" in half.output
    stranger = runner.invoke(
        args=[
            "ledger",
            "correct",
            ref,
            "--days",
            "1",
            "--reason",
            "x",
            "--as",
            world.people["volunteer"].email,
        ]
    )
    assert stranger.exit_code != 0 and "coordinator" in stranger.output
    shown = runner.invoke(args=["ledger", "show", ref])
    assert f"total {DAY - 90 + HALF} min" in shown.output
    assert books(app, world)[3] == DAY - 90 + HALF

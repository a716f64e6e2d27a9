"""`flask --app wsgi ledger ...`: a mission's entries, and corrections as a coordinator."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.models import User
from marketplace.durations import days_to_minutes, hours_text, minutes_to_days, parse_duration
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import add_correction
from marketplace.missions.models import Mission

ledger_cli = AppGroup("ledger", help="The ledger of days delivered: entries and corrections.")


def _mission(ref: str) -> Mission:
    mission = db.session.scalar(select(Mission).where(Mission.ref == ref))
    if mission is None:
        raise click.ClickException(f"unknown mission {ref}")
    return mission


@ledger_cli.command("show")
@click.argument("ref")
def show(ref: str) -> None:
    """The ledger entries of one mission, and their total."""
    mission = _mission(ref)
    entries = db.session.scalars(
        select(LedgerEntry).where(LedgerEntry.mission_id == mission.id).order_by(LedgerEntry.id)
    ).all()
    for e in entries:
        click.echo(
            f"{e.entry_on.isoformat()}  {e.minutes:+6d} min  {e.source:<10} {e.reason or ''}"
        )
    total = sum(e.minutes for e in entries)
    days = minutes_to_days(total, mission.minutes_per_day)
    click.echo(f"total {total} min = {hours_text(total)} = {days:.2f} days")


@ledger_cli.command("correct")
@click.argument("ref")
@click.option("--duration", help="Hours and minutes (2:30, -1h15, 45min), negative to take back.")
@click.option("--days", type=float, help="Or half days, at the convention's hours per day.")
@click.option("--reason", required=True, help="Why the ledger is corrected (kept with the entry).")
@click.option("--as", "email", required=True, help="E-mail of the coordinator who corrects.")
@click.option("--on", "entry_on", type=click.DateTime(["%Y-%m-%d"]), help="Day it counts on.")
def correct(ref: str, duration, days, reason: str, email: str, entry_on) -> None:
    """Add a correction (positive or negative time) to a mission's ledger."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"unknown user {email}")
    mission = _mission(ref)
    if (duration is None) == (days is None):
        raise click.UsageError("give either --duration or --days")
    if duration is not None:
        minutes = parse_duration(duration)
        if minutes is None:
            raise click.BadParameter(f"cannot read {duration!r} as hours", param_hint="--duration")
    else:
        try:
            minutes = days_to_minutes(days, mission.minutes_per_day)
        except ValueError:
            raise click.BadParameter("half days only (0.5, 1, 1.5…)", param_hint="--days") from None
    day: date = entry_on.date() if entry_on else clock.today()
    with force_locale("en"):  # the command line speaks English, like the other commands
        try:
            entry = add_correction(user, mission, minutes, reason, day, clock.now())
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(f"{ref}: {error.message}") from error
    click.echo(
        f"{ref}: correction of {entry.minutes:+d} min ({hours_text(entry.minutes)}) "
        f"recorded on {day.isoformat()}"
    )

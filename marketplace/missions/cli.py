"""`flask --app wsgi missions ...`: the same state machine from the command line."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.missions import decisions
from marketplace.missions.models import Mission

missions_cli = AppGroup("missions", help="Missions: list and act as a given user.")


@missions_cli.command("list")
def list_missions() -> None:
    """Every mission with its status and days."""
    for mission in db.session.scalars(select(Mission).order_by(Mission.ref)):
        click.echo(
            f"{mission.ref:<10} {mission.status:<12} {mission.days:>5g} d approved "
            f"{mission.approved_minutes} min  {mission.need.title}"
        )


@missions_cli.command("act")
@click.argument("ref")
@click.argument("action", type=click.Choice(["approve", "refuse", "cancel", "deliver", "close"]))
@click.option("--as", "email", required=True, help="E-mail of the user who acts.")
@click.option("--reason", help="Reason (refusal, cancellation) or override reason (approval).")
def act(ref: str, action: str, email: str, reason: str | None) -> None:
    """Move a mission as this user would on the web; an illegal move is an error."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    mission = db.session.scalar(select(Mission).where(Mission.ref == ref))
    if user is None or mission is None:
        raise click.ClickException("unknown user or mission")
    now = clock.now()
    with force_locale("en"):  # the command line speaks English, like the imports
        _act(user, mission, action, reason, ref, now)
    click.echo(f"{ref}: {mission.status}")


def _act(
    user: User, mission: Mission, action: str, reason: str | None, ref: str, now: datetime
) -> None:
    try:
        if action == "approve":
            decisions.approve(user, mission, now, reason)
        elif action == "refuse":
            decisions.refuse(user, mission, reason or "", now)
        elif action == "cancel":
            decisions.cancel(user, mission, reason, now)
        elif action == "deliver":
            decisions.mark_delivered(user, mission, now)
        else:
            decisions.close(user, mission, now)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(f"{ref} {action}: {error.message}") from error

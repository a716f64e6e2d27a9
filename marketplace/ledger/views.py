"""A mission's ledger, and the coordinator's corrections (new entries, never edits)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from marketplace import clock
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import Role
from marketplace.durations import hours_text
from marketplace.extensions import db
from marketplace.forms import commit_or_show
from marketplace.ledger.forms import CorrectionForm
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import add_correction, can_correct
from marketplace.missions.access import get_visible_mission

bp = Blueprint("ledger", __name__)


def _entries(mission_id: int) -> list[LedgerEntry]:
    return list(
        db.session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.mission_id == mission_id)
            .order_by(LedgerEntry.entry_on, LedgerEntry.id)
        )
    )


@bp.route("/missions/<int:mission_id>/ledger", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def mission_ledger(mission_id: int):
    """The ledger entries of one mission; its coordinators add corrections here."""
    mission = get_visible_mission(current_user, mission_id)
    if not can_correct(current_user, mission):
        abort(404)
    form = CorrectionForm()
    if form.is_submitted() and not form.entry_on.data and not form.entry_on.raw_data:
        form.entry_on.data = clock.today()
    status = 200
    if form.validate_on_submit():
        entry, refused = commit_or_show(
            form.duration,
            lambda: add_correction(
                current_user,
                mission,
                form.duration.minutes,
                form.reason.data,
                form.entry_on.data,
                clock.now(),
            ),
        )
        status = refused or status
        if refused is None:
            flash(
                _(
                    "Correction of %(hours)s recorded in the ledger of %(ref)s.",
                    hours=("+" if entry.minutes > 0 else "") + hours_text(entry.minutes),
                    ref=mission.ref,
                ),
                "success",
            )
            return redirect(url_for("ledger.mission_ledger", mission_id=mission.id))
    elif form.is_submitted():
        status = 400
    if not form.is_submitted():
        form.entry_on.data = clock.today()
    entries = _entries(mission.id)
    return render_template(
        "ledger/mission.html",
        mission=mission,
        entries=entries,
        total=sum(e.minutes for e in entries),
        form=form,
    ), status

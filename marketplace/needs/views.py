"""Needs pages: list, detail, create, edit, lifecycle, CSV export."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from marketplace import clock
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import Role
from marketplace.extensions import db
from marketplace.imports.export import needs_csv, needs_people_rows
from marketplace.listings.forms import ListingForm
from marketplace.listings.models import ListingStatus
from marketplace.listings.pages import export_response, list_page, place_fields
from marketplace.listings.services import (
    ACTION_LABELS,
    TRANSITIONS,
    allowed_actions,
    ensure_editable,
)
from marketplace.listings.skills import skill_suggestions
from marketplace.listings.visibility import get_visible_need, visible_needs
from marketplace.matching.incremental import is_queued
from marketplace.matching.models import Proposal
from marketplace.matching.services import closest_below_line, proposals_for
from marketplace.needs.models import NEED_STATUSES, Need
from marketplace.needs.services import (
    act_on_need,
    can_edit_need,
    save_need,
)
from marketplace.params import choice_arg

bp = Blueprint("needs", __name__, url_prefix="/needs")
READERS = (Role.SME_MANAGER, Role.VOLUNTEER, Role.COORDINATOR, Role.ADMIN)
LOAD = (joinedload(Need.organisation),)


@bp.route("")
@role_required(*READERS)
def list_needs():
    """The needs the user may see, filtered, sorted and paginated."""
    form, records, pagination = list_page(Need, NEED_STATUSES, visible_needs(current_user), LOAD)
    page = render_template(
        "needs/list.html",
        form=form,
        needs=records,
        pagination=pagination,
        can_create=current_user.role == Role.SME_MANAGER,
    )
    return page, (400 if form.errors else 200)  # a bad filter is named next to its field


@bp.route("/export.csv")
@role_required(*READERS)
def export_needs():
    """The filtered list as CSV: import format v1, or a table for people (`?format=people`)."""
    return export_response(
        Need,
        NEED_STATUSES,
        visible_needs(current_user),
        LOAD,
        needs_csv,
        needs_people_rows,
        "needs",
    )


@bp.route("/<int:need_id>")
@role_required(*READERS)
def show_need(need_id: int):
    """One need, with the actions the user may take."""
    need = get_visible_need(current_user, need_id)
    editable = can_edit_need(current_user, need)
    actions = allowed_actions(need.status, NEED_STATUSES) if editable else []
    # Coordinators may look below the matcher's line, on demand (it scores every offer).
    staff = current_user.role in (Role.COORDINATOR, Role.ADMIN)
    show_closest = staff and choice_arg("closest", ("1",)) == "1"
    return render_template(
        "needs/detail.html",
        proposals=proposals_for(current_user, Proposal.need_id == need.id),
        can_see_closest=staff and need.status == ListingStatus.OPEN,
        closest=closest_below_line(need) if show_closest else None,
        need=need,
        editable=editable,
        actions=actions,
        action_labels=ACTION_LABELS,
    )


def _form_page(need: Need | None):
    form = ListingForm(obj=need, today=clock.today())
    if request.method == "GET" and need is not None:
        form.days.data = f"{need.days:g}"
    if request.method == "GET" and need is None and current_user.organisation is not None:
        # Most needs are at the SME's own address: start from it.
        form.postcode.data = current_user.organisation.postcode
        form.commune.data = current_user.organisation.commune
    if form.validate_on_submit():
        fields = place_fields(form)
        if fields is not None:
            now = clock.now()
            need = save_need(current_user, need, fields, now)
            publish = request.form.get("publish") == "1" and need.status == ListingStatus.DRAFT
            if publish:
                act_on_need(current_user, need, "publish", now)  # the matcher runs here
            db.session.commit()
            if publish and is_queued(need):
                flash(
                    _(
                        "Need %(ref)s published: the matcher looks for experts.",
                        ref=need.ref,
                    ),
                    "success",
                )
            elif publish:
                found = db.session.scalar(
                    select(func.count(Proposal.id)).where(Proposal.need_id == need.id)
                )
                flash(
                    _(
                        "Need %(ref)s published: %(count)s proposal(s) found.",
                        ref=need.ref,
                        count=found,
                    ),
                    "success",
                )
            else:
                flash(_("Need %(ref)s saved.", ref=need.ref), "success")
            return redirect(url_for("needs.show_need", need_id=need.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "needs/form.html", form=form, need=need, suggestions=skill_suggestions()
    ), status


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.SME_MANAGER)
def new_need():
    """Post a new need for one's SME (saved as a draft)."""
    return _form_page(None)


@bp.route("/<int:need_id>/edit", methods=["GET", "POST"])
@role_required(Role.SME_MANAGER)
def edit_need(need_id: int):
    """Edit a draft or open need of one's SME."""
    need = get_visible_need(current_user, need_id)
    if not can_edit_need(current_user, need):
        abort(403)
    ensure_editable(need)
    return _form_page(need)


@bp.route("/<int:need_id>/<action>", methods=["POST"])
@role_required(Role.SME_MANAGER)
def act_need(need_id: int, action: str):
    """Publish, close, cancel or reopen a need."""
    if action not in TRANSITIONS:
        abort(404)
    need = get_visible_need(current_user, need_id)
    act_on_need(current_user, need, action, clock.now())
    db.session.commit()
    messages = {
        "publish": _("Need %(ref)s published: the matcher looks for experts.", ref=need.ref),
        "close": _("Need %(ref)s closed.", ref=need.ref),
        "cancel": _("Need %(ref)s cancelled.", ref=need.ref),
        "reopen": _("Need %(ref)s open again.", ref=need.ref),
    }
    flash(messages[action], "success")
    return redirect(url_for("needs.show_need", need_id=need.id))

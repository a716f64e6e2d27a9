"""Offers pages: list, detail, create, edit, lifecycle, CSV export."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from marketplace import clock
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import ALL_ROLES, Role
from marketplace.errors import NotAllowed
from marketplace.extensions import db
from marketplace.forms import select_choices
from marketplace.imports.export import offers_csv, offers_people_rows
from marketplace.listings.pages import export_response, list_page, place_fields
from marketplace.listings.services import (
    ACTION_LABELS,
    TRANSITIONS,
    allowed_actions,
    ensure_editable,
)
from marketplace.listings.skills import skill_suggestions
from marketplace.listings.visibility import get_visible_offer, visible_offers
from marketplace.matching.models import Proposal
from marketplace.matching.services import proposals_for
from marketplace.offers.forms import OfferForm
from marketplace.offers.models import OFFER_STATUSES, Offer
from marketplace.offers.services import (
    act_on_offer,
    can_edit_offer,
    experts_for,
    save_offer,
)

bp = Blueprint("offers", __name__, url_prefix="/offers")
READERS = ALL_ROLES
AUTHORS = (Role.VOLUNTEER, Role.GROUP_REFERENT)
LOAD = (joinedload(Offer.organisation), joinedload(Offer.expert))


@bp.route("")
@role_required(*READERS)
def list_offers():
    """The offers the user may see, filtered, sorted and paginated."""
    form, records, pagination = list_page(Offer, OFFER_STATUSES, visible_offers(current_user), LOAD)
    page = render_template(
        "offers/list.html",
        form=form,
        offers=records,
        pagination=pagination,
        can_create=current_user.role in AUTHORS,
    )
    return page, (400 if form.errors else 200)  # a bad filter is named next to its field


@bp.route("/export.csv")
@role_required(*READERS)
def export_offers():
    """The filtered list as CSV: import format v1, or a table for people (`?format=people`)."""
    return export_response(
        Offer,
        OFFER_STATUSES,
        visible_offers(current_user),
        LOAD,
        offers_csv,
        offers_people_rows,
        "offers",
    )


@bp.route("/<int:offer_id>")
@role_required(*READERS)
def show_offer(offer_id: int):
    """One offer, its remaining capacity and the actions the user may take."""
    offer = get_visible_offer(current_user, offer_id)
    editable = can_edit_offer(current_user, offer)
    actions = allowed_actions(offer.status, OFFER_STATUSES) if editable else []
    return render_template(
        "offers/detail.html",
        proposals=proposals_for(current_user, Proposal.offer_id == offer.id),
        offer=offer,
        editable=editable,
        actions=actions,
        action_labels=ACTION_LABELS,
    )


def _form_page(offer: Offer | None):
    form = OfferForm(obj=offer, today=clock.today())
    form.expert_id.choices = select_choices((e.id, e.name) for e in experts_for(current_user))
    if request.method == "GET":
        if offer is not None:
            form.days.data = f"{offer.days:g}"
        else:
            form.expert_id.data = current_user.id
    if form.validate_on_submit():
        fields = place_fields(form)
        if fields is not None:
            fields["max_km"] = form.max_km.data
            try:
                offer = save_offer(current_user, offer, form.expert_id.data, fields, clock.now())
            except NotAllowed as error:
                db.session.rollback()
                form.days.errors.append(error.message)
            else:
                db.session.commit()
                flash(_("Offer %(ref)s saved.", ref=offer.ref), "success")
                return redirect(url_for("offers.show_offer", offer_id=offer.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "offers/form.html", form=form, offer=offer, suggestions=skill_suggestions()
    ), status


@bp.route("/new", methods=["GET", "POST"])
@role_required(*AUTHORS)
def new_offer():
    """Offer expert days (saved as a draft)."""
    return _form_page(None)


@bp.route("/<int:offer_id>/edit", methods=["GET", "POST"])
@role_required(*AUTHORS)
def edit_offer(offer_id: int):
    """Edit a draft or open offer."""
    offer = get_visible_offer(current_user, offer_id)
    if not can_edit_offer(current_user, offer):
        abort(403)
    ensure_editable(offer)
    return _form_page(offer)


@bp.route("/<int:offer_id>/<action>", methods=["POST"])
@role_required(*AUTHORS)
def act_offer(offer_id: int, action: str):
    """Publish, close, cancel or reopen an offer."""
    if action not in TRANSITIONS:
        abort(404)
    offer = get_visible_offer(current_user, offer_id)
    act_on_offer(current_user, offer, action, clock.now())
    db.session.commit()
    messages = {
        "publish": _("Offer %(ref)s published: the matcher looks for needs.", ref=offer.ref),
        "close": _("Offer %(ref)s closed.", ref=offer.ref),
        "cancel": _("Offer %(ref)s cancelled.", ref=offer.ref),
        "reopen": _("Offer %(ref)s open again.", ref=offer.ref),
    }
    flash(messages[action], "success")
    return redirect(url_for("offers.show_offer", offer_id=offer.id))

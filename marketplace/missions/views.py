"""Mission pages: the list per role, one mission with its sessions, timeline and actions."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace import clock
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import ALL_ROLES, Role
from marketplace.accounts.services import user_by_calendar_token
from marketplace.conventions.models import ConventionGroup
from marketplace.conventions.services import conventions_for
from marketplace.durations import duration_choices, hours_text, minutes_to_days
from marketplace.errors import DomainError, NotFound
from marketplace.extensions import db
from marketplace.i18n import format_days_unit
from marketplace.listings.models import ListingStatus
from marketplace.listings.visibility import visible_needs, visible_offers
from marketplace.matching.models import Proposal
from marketplace.missions import access, agreement, calendar, decisions, outcome, sessions
from marketplace.missions.errors import BadSession
from marketplace.missions.models import MISSION_STATUSES, Mission, MissionSession
from marketplace.missions.states import TRANSITIONS, allowed
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.paging import keyset_page
from marketplace.params import choice_arg, int_arg
from marketplace.quota import services as quota
from marketplace.urls import external_url

bp = Blueprint("missions", __name__, url_prefix="/missions")
ANYONE = ALL_ROLES


def _text(name: str, required: bool = False, limit: int = 2000) -> str | None:
    value = (request.form.get(name) or "").strip()
    if len(value) > limit:
        raise BadSession(_("Text too long (at most %(max)s characters).", max=limit))
    if required and not value:
        raise BadSession(_("This field is required: %(field)s.", field=name))
    return value or None


def _date(name: str) -> date:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        raise BadSession(_("Give a date (YYYY-MM-DD).")) from None


def _number(name: str, kind=float, low=None, high=None, empty=None):
    raw = (request.form.get(name) or "").strip().replace(",", ".")
    if not raw and empty is not None:
        return empty
    try:
        value = kind(raw)
    except ValueError:
        raise BadSession(_("%(field)s: a number is expected.", field=name)) from None
    if (low is not None and value < low) or (high is not None and value > high):
        raise BadSession(
            _("%(field)s: between %(low)s and %(high)s.", field=name, low=low, high=high)
        )
    return value


def _minutes() -> int:
    """A session's length, posted in minutes by the form's list (15-minute steps)."""
    raw = (request.form.get("minutes") or "").strip()
    try:
        return int(raw)
    except ValueError:
        raise BadSession(_("Choose the session's length."), field="minutes") from None


def _claim() -> None:
    access.claim_form(request.form.get("form_key"), current_user, clock.now())


@bp.app_context_processor
def _form_key():
    # A fresh one-time key for each form rendered (double submits are refused).
    return {"new_form_key": lambda: secrets.token_urlsafe(24)}


@bp.route("")
@role_required(*ANYONE)
def list_missions():
    """The missions the user takes part in (all of their conventions for coordinators)."""
    query = access.visible_missions(current_user).options(
        joinedload(Mission.need).joinedload(Need.organisation),
        joinedload(Mission.offer).joinedload(Offer.expert),
    )
    chosen = {
        "status": choice_arg("status", MISSION_STATUSES),
        "convention": int_arg("convention"),
    }
    if chosen["status"]:
        query = query.where(Mission.status == chosen["status"])
    if chosen["convention"]:
        query = query.where(Mission.convention_id == chosen["convention"])
    page = keyset_page(query, (Mission.created_at, Mission.id), (datetime, int), descending=True)
    return render_template(
        "missions/list.html",
        missions=page.rows,
        page=page,
        chosen=chosen,
        statuses=MISSION_STATUSES,
        conventions=conventions_for(current_user)
        if current_user.role in (Role.COORDINATOR, Role.ADMIN)
        else [],
        can_pair=current_user.role in (Role.COORDINATOR, Role.ADMIN),
    )


@bp.route("/<int:mission_id>")
@role_required(*ANYONE)
def show_mission(mission_id: int, refusal: dict | None = None):
    """One mission: sessions, timeline, and the actions open to the user."""
    mission = access.get_visible_mission(current_user, mission_id)
    caps = access.capacities(current_user, mission)
    actions = [a for a in TRANSITIONS if a != "start" and allowed(a, mission.status, caps)]
    return render_template(
        "missions/detail.html",
        mission=mission,
        caps=caps,
        actions=actions,
        today=clock.today(),
        room=_room(mission) if "approve" in actions else None,
        contacts=_contacts(mission),
        refusal=refusal,
        durations=duration_choices(mission.minutes_per_day),
    )


def _contacts(mission: Mission) -> list[tuple[str, list]]:
    """Who to write to once both sides agreed: the SME's managers, the expert, the
    programme's coordinators (the people every mission notification goes to)."""
    managers, expert, coordinators = access.sides(mission)
    return [
        (_("The SME (%(name)s)", name=mission.need.organisation.name), managers),
        (_("The expert (%(group)s)", group=mission.group.name), [expert]),
        (_("The programme's coordination"), coordinators),
    ]


def _refused(mission: Mission, error: DomainError, action: str, session_id: int | None = None):
    """A refused action writes nothing; the mission page comes back with the reason next to
    the form (next to the field it is about, when there is one) and what was typed."""
    db.session.rollback()
    mission = access.get_visible_mission(current_user, mission.id)
    refusal = {
        "action": action,
        "session": session_id,
        "field": error.field,
        "message": str(error.message),
        "form": request.form,
    }
    return show_mission(mission.id, refusal), error.status_code


def _room(mission: Mission) -> dict | None:
    """What is left to approve against, shown before the coordinator decides."""
    convention = mission.convention
    if convention is None:
        return None
    partner = db.session.scalar(
        select(ConventionGroup).where(
            ConventionGroup.convention_id == convention.id,
            ConventionGroup.organisation_id == mission.group_id,
        )
    )
    return {
        "quota": convention.quota_days,
        "quota_left": quota.days_left(convention),
        "group": partner.organisation.name if partner else None,
        "group_left": quota.days_left(partner) if partner else None,
        "expert_left": quota.days_left(mission.offer),
    }


ACTIONS = {
    "approve": lambda m: decisions.approve(current_user, m, clock.now(), _text("override_reason")),
    "refuse": lambda m: decisions.refuse(
        current_user, m, _text("reason", required=True), clock.now()
    ),
    "cancel": lambda m: decisions.cancel(current_user, m, _text("reason"), clock.now()),
    "deliver": lambda m: decisions.mark_delivered(current_user, m, clock.now()),
    "close": lambda m: decisions.close(current_user, m, clock.now()),
    "extend": lambda m: decisions.extend(
        current_user, m, _number("days", float, 0.5, 60), _text("reason"), clock.now()
    ),
    "plan": lambda m: sessions.plan_session(
        current_user,
        m,
        _date("held_on"),
        _minutes(),
        request.form.get("is_remote") == "y",
        _text("place", limit=200),
        clock.today(),
        clock.now(),
    ),
    "outcome": lambda m: outcome.record_outcome(
        current_user,
        m,
        _number("rating", int, 1, 5),
        _text("comment"),
        _number("jobs_created", int, 0, 10000, empty=0),  # left empty: none
        _number("jobs_preserved", int, 0, 10000, empty=0),
        _date("outcome_on"),
        clock.now(),
    ),
    "note": lambda m: outcome.leave_note(
        current_user, m, _text("note", required=True, limit=4000), clock.now()
    ),
}
SESSION_ACTIONS = {
    "move": lambda m, s: sessions.move_session(
        current_user,
        m,
        s,
        _date("held_on"),
        _minutes(),
        clock.today(),
        clock.now(),
    ),
    "cancel": lambda m, s: sessions.cancel_session(current_user, m, s, clock.today(), clock.now()),
    "held": lambda m, s: sessions.declare_session(
        current_user, m, s, True, clock.today(), clock.now()
    ),
    "not_held": lambda m, s: sessions.declare_session(
        current_user, m, s, False, clock.today(), clock.now()
    ),
    "confirm": lambda m, s: sessions.confirm_session(current_user, m, s, True, None, clock.now()),
    "dispute": lambda m, s: sessions.confirm_session(
        current_user, m, s, False, _text("reason", required=True), clock.now()
    ),
    "settle_held": lambda m, s: sessions.resolve_dispute(
        current_user, m, s, True, _text("reason"), clock.now()
    ),
    "settle_not_held": lambda m, s: sessions.resolve_dispute(
        current_user, m, s, False, _text("reason"), clock.now()
    ),
}


def _quota_left(mission: Mission) -> str:
    convention = mission.convention
    db.session.refresh(convention)
    return format_days_unit(quota.days_left(convention))


def _done_message(action: str, mission: Mission, approved_before: int) -> str:
    """What an action did, with its figures (days in the page's language, hours behind)."""
    ref, back = mission.ref, approved_before - mission.approved_minutes
    per_day = mission.minutes_per_day

    def days(minutes: int) -> str:
        return format_days_unit(minutes_to_days(minutes, per_day))

    given_back = days(back)
    messages = {
        "approve": lambda: _(
            "Mission %(ref)s approved: %(days)s reserved, %(left)s left on the quota.",
            ref=ref,
            days=days(mission.approved_minutes),
            left=_quota_left(mission),
        ),
        "refuse": lambda: _("Mission %(ref)s refused; the need is open again.", ref=ref),
        "cancel": lambda: _(
            "Mission %(ref)s cancelled: %(days)s given back to the quota.",
            ref=ref,
            days=given_back,
        ),
        "deliver": lambda: _(
            "Mission %(ref)s delivered: %(confirmed)s confirmed, %(back)s (%(hours)s) given back.",
            ref=ref,
            confirmed=hours_text(mission.confirmed_minutes),
            back=given_back,
            hours=hours_text(back),
        ),
        "close": lambda: _("Mission %(ref)s closed.", ref=ref),
        "extend": lambda: _(
            "Approval of %(ref)s extended by %(days)s.",
            ref=ref,
            days=days(mission.approved_minutes - approved_before),
        ),
        "plan": lambda: _("Session planned for mission %(ref)s.", ref=ref),
        "outcome": lambda: _("The outcome of mission %(ref)s is recorded.", ref=ref),
        "note": lambda: _("Your note is recorded."),
    }
    return messages[action]()


SESSION_MESSAGES = {
    "move": lambda: _("Session moved."),
    "cancel": lambda: _("Session cancelled."),
    "held": lambda: _("Session declared held: the SME manager is asked to confirm it."),
    "not_held": lambda: _("Session declared not held."),
    "confirm": lambda: _("Session confirmed: its time will be logged in the ledger."),
    "dispute": lambda: _("Session disputed: the coordinator will settle it."),
    "settle_held": lambda: _("Dispute settled: the session counts as held."),
    "settle_not_held": lambda: _("Dispute settled: the session does not count."),
}


@bp.route("/<int:mission_id>/<action>", methods=["POST"])
@role_required(*ANYONE)
def act(mission_id: int, action: str):
    """Any change to a mission: the service checks who may do what from which state."""
    handler = ACTIONS.get(action)
    if handler is None:
        abort(404)
    mission = access.get_visible_mission(current_user, mission_id)
    approved_before = mission.approved_minutes
    try:
        _claim()
        handler(mission)
    except DomainError as error:
        return _refused(mission, error, action)
    db.session.commit()
    flash(_done_message(action, mission, approved_before), "success")
    return redirect(url_for("missions.show_mission", mission_id=mission.id))


@bp.route("/<int:mission_id>/sessions/<int:session_id>/<action>", methods=["POST"])
@role_required(*ANYONE)
def act_session(mission_id: int, session_id: int, action: str):
    """Move, cancel, declare, confirm or dispute one session."""
    handler = SESSION_ACTIONS.get(action)
    if handler is None:
        abort(404)
    mission = access.get_visible_mission(current_user, mission_id)
    try:
        _claim()
        handler(mission, session_id)
    except DomainError as error:
        return _refused(mission, error, action, session_id)
    db.session.commit()
    flash(SESSION_MESSAGES[action](), "success")
    return redirect(url_for("missions.show_mission", mission_id=mission.id))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def pair():
    """A coordinator pairs an open need with an open offer by hand."""
    needs = db.session.scalars(
        visible_needs(current_user).where(Need.status == ListingStatus.OPEN).order_by(Need.ref)
    ).all()
    offers = db.session.scalars(
        visible_offers(current_user).where(Offer.status == ListingStatus.OPEN).order_by(Offer.ref)
    ).all()
    if request.method == "POST":
        _claim()
        need = next((n for n in needs if str(n.id) == request.form.get("need_id")), None)
        offer = next((o for o in offers if str(o.id) == request.form.get("offer_id")), None)
        if need is None or offer is None:
            raise BadSession(_("Choose an open need and an open offer."))
        mission = agreement.pair_by_hand(current_user, need, offer, clock.now())
        db.session.commit()
        return redirect(url_for("missions.show_mission", mission_id=mission.id))
    return render_template("missions/pair.html", needs=needs, offers=offers)


answer_bp = Blueprint("answers", __name__)


@answer_bp.route("/proposals/<int:proposal_id>/answer", methods=["POST"])
@role_required(Role.SME_MANAGER, Role.VOLUNTEER, Role.GROUP_REFERENT)
def answer(proposal_id: int):
    """Accept or decline a proposal, with an optional message."""
    proposal = db.session.scalar(select(Proposal).where(Proposal.id == proposal_id))
    if proposal is None:
        raise NotFound(_("This proposal does not exist, or you cannot see it."))
    _claim()
    choice = request.form.get("answer")
    if choice not in ("accept", "decline"):
        raise BadSession(_("Accept or decline."))
    mission = agreement.answer_proposal(
        current_user, proposal, choice == "accept", _text("message"), clock.now()
    )
    db.session.commit()
    if mission is not None:
        flash(
            _(
                "Both sides agreed: mission %(ref)s is created and waits for the "
                "coordinator's approval.",
                ref=mission.ref,
            ),
            "success",
        )
        return redirect(url_for("missions.show_mission", mission_id=mission.id))
    flash(_("Your answer is recorded."), "success")
    return redirect(url_for("matching.list_proposals"))


@bp.route("/<int:mission_id>/sessions/<int:session_id>.ics")
@role_required(*ANYONE)
def session_ics(mission_id: int, session_id: int):
    """One session as a calendar file (.ics)."""
    mission = access.get_visible_mission(current_user, mission_id)
    session = db.session.get(MissionSession, session_id)
    if session is None or session.mission_id != mission.id:
        abort(404)
    link = external_url("missions.show_mission", mission_id=mission.id)
    return Response(
        calendar.session_calendar(session, mission, link),
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="{mission.ref}-{session.id}.ics"'},
    )


calendar_bp = Blueprint("calendar", __name__)


@calendar_bp.route("/calendar/<token>.ics")
def feed(token: str):
    """A person's private feed of their sessions to come (the token is the key; no session)."""
    user = user_by_calendar_token(token)
    if user is None:
        abort(404)
    body = calendar.feed(
        user,
        clock.today(),
        lambda mission: external_url("missions.show_mission", mission_id=mission.id),
    )
    return Response(body, mimetype="text/calendar")

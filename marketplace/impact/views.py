"""Impact pages: the follow-up surveys (answered by the SME, or entered by a coordinator
after a phone call), the declared daily costs of expert days, and each mission's
attestation of the days a group lent (for its corporate-sponsorship file)."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from marketplace import clock
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import ALL_ROLES, OrgKind, Role
from marketplace.advances.money import euros_text
from marketplace.advances.services import officer_territories
from marketplace.extensions import db
from marketplace.forms import commit_or_show
from marketplace.i18n import format_euros
from marketplace.impact import services
from marketplace.impact.forms import DailyCostForm, SurveyForm
from marketplace.impact.models import FollowUp, FollowUpEvent, Project
from marketplace.missions import access as missions_access
from marketplace.paging import keyset_page
from marketplace.params import int_arg
from marketplace.printing import pdf_download

bp = Blueprint("impact", __name__)
FOLLOWING = (Role.ADMIN, Role.COORDINATOR, Role.SME_MANAGER)


# ------------------------------------------------------------------ follow-up surveys


@bp.route("/follow-ups")
@role_required(*FOLLOWING)
def list_follow_ups():
    """Coordinators: response rates and the surveys to chase (a call list). SME managers:
    their company's surveys."""
    today = clock.today()
    if current_user.role == Role.SME_MANAGER:
        surveys = db.session.scalars(
            select(FollowUp)
            .join(Project, Project.id == FollowUp.project_id)
            .where(Project.organisation_id == current_user.organisation_id)
            .order_by(FollowUp.due_on.desc())
        ).all()
        return render_template("impact/follow_ups_sme.html", surveys=surveys, today=today)
    territories = officer_territories(current_user)
    query = services.follow_ups_to_chase(territories, today).options(
        joinedload(FollowUp.project).joinedload(Project.organisation)
    )
    page = keyset_page(query, (FollowUp.due_on, FollowUp.id), (date, int))
    return render_template(
        "impact/follow_ups.html",
        rates=services.response_rates(territories, today),
        surveys=page.rows,
        page=page,
        today=today,
    )


@bp.route("/follow-ups/<int:follow_up_id>", methods=["GET", "POST"])
@role_required(*FOLLOWING)
def show_follow_up(follow_up_id: int):
    """The survey: its questions, the answer given, and its timeline."""
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None or not services.can_enter(current_user, follow_up.project):
        abort(404)
    form = SurveyForm(obj=follow_up if follow_up.answered_at else None)
    status = 200
    by_phone = current_user.role != Role.SME_MANAGER
    if form.validate_on_submit():
        answer = services.Answer(
            headcount=form.headcount.data,
            jobs_created=form.jobs_created.data,
            jobs_preserved=form.jobs_preserved.data,
            still_trading=form.still_trading.data,
            comment=(form.comment.data or "").strip() or None,
        )
        warnings, refused = commit_or_show(
            form.headcount,
            lambda: services.answer_survey(
                current_user, follow_up, answer, clock.now(), "phone" if by_phone else "web"
            ),
            form,
        )
        if refused is None:
            flash(_("Thank you: the answer is recorded."), "success")
            for _field, message in warnings or []:
                flash(message, "warning")
            return redirect(url_for("impact.show_follow_up", follow_up_id=follow_up.id))
        status = refused
    elif form.is_submitted():
        status = 400
    events = db.session.scalars(
        select(FollowUpEvent)
        .where(FollowUpEvent.follow_up_id == follow_up.id)
        .order_by(FollowUpEvent.at, FollowUpEvent.id)
    ).all()
    return render_template(
        "impact/follow_up.html",
        follow_up=follow_up,
        project=follow_up.project,
        form=form,
        events=[(e, json.loads(e.details) if e.details else {}) for e in events],
        by_phone=by_phone,
        due=follow_up.due_on <= clock.today() + services.ANSWER_AHEAD,
    ), status


# ------------------------------------------------------------------ daily costs


def _cost_groups() -> list[Organisation]:
    query = select(Organisation).where(Organisation.kind == OrgKind.GROUP)
    if current_user.role == Role.GROUP_REFERENT:
        query = query.where(Organisation.id == current_user.organisation_id)
    return list(db.session.scalars(query.order_by(Organisation.name)))


@bp.route("/daily-costs", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.COORDINATOR, Role.GROUP_REFERENT)
def daily_costs():
    """What an expert day costs each group (its default) and, where it says so, one expert:
    the report values the days delivered with it. One form per line; a refused amount is
    shown under its line and nothing changes."""
    groups = _cost_groups()
    chosen = int_arg("group") or (groups[0].id if groups else None)
    group = next((g for g in groups if g.id == chosen), None)
    if group is None:
        abort(404)
    experts = list(
        db.session.scalars(
            select(User)
            .where(User.organisation_id == group.id, User.role == Role.VOLUNTEER)
            .order_by(User.name)
        )
    )
    lines = {"group": group, **{f"e{e.id}": e for e in experts}}
    posted = request.form.get("line") if request.method == "POST" else None
    if posted is not None and posted not in lines:
        abort(404)
    forms = {
        key: DailyCostForm(prefix=key)
        if key == posted
        else DailyCostForm(prefix=key, formdata=None, data=_cost(who))
        for key, who in lines.items()
    }
    status = 200
    if posted is not None:
        form, target = forms[posted], lines[posted]
        if form.validate_on_submit():
            _done, refused = commit_or_show(
                form.cost, lambda: services.set_daily_cost(current_user, target, form.cost.cents)
            )
            if refused is None:
                flash(
                    _(
                        "Daily cost of %(who)s: %(cost)s.",
                        who=target.name,
                        cost=format_euros(target.daily_cost_cents)
                        if target.daily_cost_cents
                        else _("not declared"),
                    ),
                    "success",
                )
                return redirect(url_for("impact.daily_costs", group=group.id))
            status = refused
        else:
            status = 400
    return render_template(
        "impact/daily_costs.html",
        groups=groups,
        group=group,
        experts=experts,
        forms=forms,
    ), status


def _cost(who) -> dict:
    return {"cost": euros_text(who.daily_cost_cents) if who.daily_cost_cents else ""}


# ------------------------------------------------------------------ attestations


def _attestation(mission_id: int) -> str:
    mission = missions_access.get_visible_mission(current_user, mission_id)
    minutes, value = services.mission_value_cents(mission)
    per_day = mission.minutes_per_day
    sessions = [s for s in mission.sessions if s.is_logged]
    return render_template(
        "impact/attestation.html",
        mission=mission,
        sessions=sessions,
        minutes=minutes,
        days=minutes / per_day if per_day else 0,
        value=value,
        issued=clock.today(),
    )


@bp.route("/missions/<int:mission_id>/attestation")
@role_required(*ALL_ROLES)
def attestation(mission_id: int):
    """The days a group lent on this mission, dated and valued: printable."""
    return _attestation(mission_id)


@bp.route("/missions/<int:mission_id>/attestation.pdf")
@role_required(*ALL_ROLES)
def attestation_pdf(mission_id: int):
    mission = missions_access.get_visible_mission(current_user, mission_id)
    return pdf_download(_attestation(mission_id), f"attestation-{mission.ref}")

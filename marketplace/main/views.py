"""Home pages: one per role."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select, text

from marketplace import clock
from marketplace.accounts.models import Organisation, User
from marketplace.accounts.roles import Role
from marketplace.advances.services import next_instalments
from marketplace.conventions.models import Convention, ConventionGroup, ConventionStatus
from marketplace.conventions.services import conventions_for
from marketplace.extensions import db
from marketplace.jobs.services import last_runs
from marketplace.main.queues import work_queue

bp = Blueprint("main", __name__)


@bp.route("/healthz")
def healthz():
    """Liveness for load balancers and benches: the database answers `SELECT 1`. No session."""
    db.session.execute(text("SELECT 1"))
    response = make_response("ok\n")
    response.mimetype = "text/plain"
    return response


@bp.route("/")
def home():
    """The home of the logged-in user's role."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    user = current_user
    context: dict = {
        "user": user,
        "organisation": user.organisation,
        "queue": work_queue(user, clock.today()),
    }
    if user.role in (Role.ADMIN, Role.COORDINATOR):
        context["conventions"] = conventions_for(user)
        context["job_runs"] = last_runs()
        if user.role == Role.ADMIN:
            context["organisation_count"] = db.session.scalar(select(func.count(Organisation.id)))
            context["user_count"] = db.session.scalar(select(func.count(User.id)))
        template = f"main/home_{user.role}.html"
    elif user.role in (Role.GROUP_REFERENT, Role.VOLUNTEER):
        context["commitments"] = db.session.scalars(
            select(ConventionGroup)
            .join(Convention)
            .where(ConventionGroup.organisation_id == user.organisation_id)
            .order_by(Convention.starts_on.desc())
        ).all()
        if user.role == Role.GROUP_REFERENT:
            context["experts"] = db.session.scalars(
                select(User)
                .where(User.organisation_id == user.organisation_id, User.role == Role.VOLUNTEER)
                .order_by(User.name)
            ).all()
        template = f"main/home_{user.role}.html"
    else:
        territory = user.organisation.territory if user.organisation else None
        context["territory"] = territory
        context["conventions"] = (
            db.session.scalars(
                select(Convention).where(
                    Convention.territory_id == territory.id,
                    Convention.status == ConventionStatus.ACTIVE,
                )
            ).all()
            if territory
            else []
        )
        context["advances"] = next_instalments(user.organisation_id) if user.organisation_id else []
        template = "main/home_sme_manager.html"
    return render_template(template, **context)

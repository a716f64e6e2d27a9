"""Proposals pages: the list per role, and the coordinator's recompute action."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from marketplace import clock
from marketplace.accounts.permissions import role_required
from marketplace.accounts.roles import ALL_ROLES, Role
from marketplace.conventions.models import ConventionStatus
from marketplace.conventions.services import conventions_for
from marketplace.extensions import db
from marketplace.listings.visibility import visible_needs, visible_offers
from marketplace.matching.assignment import total_score
from marketplace.matching.explain import explain, relevance_label
from marketplace.matching.models import Proposal
from marketplace.matching.scoring import DEFAULT_MIN_SCORE, HIGH_SCORE
from marketplace.matching.services import (
    LOAD,
    plan_assignment,
    refresh_proposals,
    visible_proposals,
)
from marketplace.matching.vocabulary import default_vocabulary
from marketplace.paging import keyset_page

bp = Blueprint("matching", __name__, url_prefix="/proposals")
ANYONE = ALL_ROLES


@bp.app_template_filter("explain")
def explain_filter(reasons: dict) -> str:
    """A proposal's reasons in words, in the language of the page."""
    return explain(reasons, default_vocabulary(), str(get_locale()))


@bp.app_template_filter("relevance")
def relevance_filter(reasons: dict) -> str:
    """« très pertinent », « pertinent » or « non proposé », in the language of the page."""
    return relevance_label(reasons, str(get_locale()))


@bp.app_template_filter("score")
def score_filter(score: float) -> str:
    """A score as a whole number; under 1, « < 1 » rather than a 0 that reads as nothing."""
    return "< 1" if score < 1 else str(round(score))


@bp.app_context_processor
def score_legend() -> dict:
    return {
        "score_high": int(HIGH_SCORE),
        "score_line": int(current_app.config.get("MATCH_MIN_SCORE", DEFAULT_MIN_SCORE)),
    }


@bp.route("")
@role_required(*ANYONE)
def list_proposals():
    """The pairings the matcher proposes, for what the user may see."""
    page = keyset_page(
        visible_proposals(
            current_user, visible_needs(current_user), visible_offers(current_user)
        ).options(*LOAD),
        (Proposal.need_id, Proposal.rank, Proposal.id),
        (int, int, int),
    )
    return render_template(
        "matching/list.html",
        proposals=page.rows,
        page=page,
        can_refresh=current_user.role in (Role.COORDINATOR, Role.ADMIN),
    )


@bp.route("/refresh", methods=["POST"])
@role_required(Role.COORDINATOR, Role.ADMIN)
def refresh():
    """Run the matcher now on every open need and open offer."""
    results = refresh_proposals(clock.now())
    db.session.commit()
    count = sum(len(matches) for matches in results.values())
    flash(_("Matching done: %(count)d proposals.", count=count), "success")
    return redirect(url_for("matching.list_proposals"))


@bp.route("/assignment")
@role_required(Role.COORDINATOR, Role.ADMIN)
def assignment():
    """A global plan for each of the user's conventions: best fits first, within quota."""

    plans = []
    for convention in conventions_for(current_user):
        if convention.status != ConventionStatus.ACTIVE:
            continue
        pairings, needs, offers, quota = plan_assignment(convention)
        plans.append(
            {
                "convention": convention,
                "quota": quota,
                "needs": needs,
                "offers": offers,
                "pairings": pairings,
                "days": sum(p.days for p in pairings),
                "total": total_score(pairings),
            }
        )
    return render_template("matching/assignment.html", plans=plans)

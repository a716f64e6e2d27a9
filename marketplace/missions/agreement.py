"""How a mission starts: both sides accept a proposal, or a coordinator pairs by hand."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from marketplace.accounts.models import User
from marketplace.accounts.roles import Role
from marketplace.accounts.services import sme_managers
from marketplace.conventions.models import (
    Convention,
    ConventionGroup,
    ConventionStatus,
)
from marketplace.conventions.services import coordinator_territory_ids
from marketplace.errors import InvalidTransition, NotAllowed, NotFound
from marketplace.extensions import db
from marketplace.listings.models import ListingStatus
from marketplace.matching.models import OPEN_PROPOSAL_STATUSES, Proposal, ProposalStatus
from marketplace.missions.access import link, parties
from marketplace.missions.audit import record
from marketplace.missions.models import Mission, MissionStatus
from marketplace.missions.states import proposal_target
from marketplace.needs.models import Need
from marketplace.notifications.services import notify
from marketplace.offers.models import Offer
from marketplace.urls import internal_url


def convention_for(need: Need, offer: Offer) -> Convention | None:
    """The active convention of the SME's territory that the offer's group is partner of."""
    return db.session.scalar(
        select(Convention)
        .join(ConventionGroup, ConventionGroup.convention_id == Convention.id)
        .where(
            Convention.status == ConventionStatus.ACTIVE,
            Convention.territory_id == need.organisation.territory_id,
            ConventionGroup.organisation_id == offer.organisation_id,
        )
        .order_by(Convention.starts_on.desc())
        .limit(1)
    )


def create_mission(
    need: Need, offer: Offer, actor: User | None, now: datetime, proposal: Proposal | None = None
) -> Mission:
    """Both sides agree (or a coordinator pairs them by hand): the mission starts 'agreed'."""
    if need.status != ListingStatus.OPEN:
        raise InvalidTransition(_l("This need is no longer open."))
    if offer.status != ListingStatus.OPEN:
        raise InvalidTransition(_l("This offer is no longer open."))
    start, end = max(need.starts_on, offer.starts_on), min(need.ends_on, offer.ends_on)
    if start > end:
        raise InvalidTransition(_l("The need's and the offer's windows do not overlap."))
    # The need leaves the market for the days the mission covers.
    taken = db.session.execute(
        update(Need)
        .where(Need.id == need.id, Need.status == ListingStatus.OPEN)
        .values(status=ListingStatus.MATCHED, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise InvalidTransition(_l("This need was matched meanwhile."))
    convention = convention_for(need, offer)
    mission = Mission(
        ref=f"new-{need.id}-{offer.id}",
        need_id=need.id,
        offer_id=offer.id,
        proposal_id=proposal.id if proposal else None,
        convention_id=convention.id if convention else None,
        group_id=offer.organisation_id,
        days=need.days,
        starts_on=start,
        ends_on=end,
        status=MissionStatus.AGREED,
        created_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
        approved_minutes=0,
        override_minutes=0,
        override_group_minutes=0,
        minutes_logged=0,
    )
    db.session.add(mission)
    db.session.flush()
    mission.ref = f"M-{mission.id:06d}"
    db.session.execute(
        update(Proposal)
        .where(
            Proposal.need_id == need.id,
            Proposal.status.in_(OPEN_PROPOSAL_STATUSES),
            Proposal.id != (proposal.id if proposal else -1),
        )
        .values(status=ProposalStatus.EXPIRED, updated_at=now)
    )
    db.session.refresh(need)
    if proposal is not None:
        _record_acceptances(mission, proposal)
    record(mission, actor, "agree", None, MissionStatus.AGREED, now)
    notify(
        parties(mission),
        "mission_agreed",
        lambda: _("Mission %(ref)s agreed: %(title)s", ref=mission.ref, title=need.title),
        link(mission),
        now,
    )
    return mission


def _record_acceptances(mission: Mission, proposal: Proposal) -> None:
    """Both sides' acceptances open the timeline, in the order they came, each with its
    message (a proposal answered before this was recorded shows only the second)."""
    answers = [
        (proposal.sme_answered_at, proposal.sme_answered_by, "accept_sme", proposal.sme_message),
        (
            proposal.expert_answered_at,
            proposal.expert_answered_by,
            "accept_expert",
            proposal.expert_message,
        ),
    ]
    for at, who, action, message in sorted(
        (a for a in answers if a[0] is not None), key=lambda a: a[0]
    ):
        record(mission, who, action, None, None, at, message)


def answer_proposal(
    user: User, proposal: Proposal, accept: bool, message: str | None, now: datetime
) -> Mission | None:
    """The SME manager or the expert accepts or declines; both accepting makes a mission."""
    need, offer = proposal.need, proposal.offer
    if user.role == Role.SME_MANAGER and need.organisation_id == user.organisation_id:
        side = "sme"
    elif (user.role == Role.VOLUNTEER and offer.expert_id == user.id) or (
        user.role == Role.GROUP_REFERENT and offer.organisation_id == user.organisation_id
    ):
        side = "expert"
    else:
        raise NotFound(_l("This proposal does not exist, or you cannot see it."))
    target = proposal_target(proposal.status, side, accept)
    if target is None:
        raise InvalidTransition(_l("This proposal has already been answered."))
    done = db.session.execute(
        update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == proposal.status)
        .values(
            status=target,
            updated_at=now,
            **{
                f"{side}_message": (message or "").strip()[:2000] or None,
                f"{side}_answered_at": now,
                f"{side}_answered_by_id": user.id,
            },
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise InvalidTransition(_l("This proposal has already been answered."))
    db.session.refresh(proposal)
    if target == ProposalStatus.AGREED:
        return create_mission(need, offer, user, now, proposal)
    other = [offer.expert] if side == "sme" else sme_managers(need.organisation_id)
    names = {"who": user.name, "need": need.title, "offer": offer.title}
    message = (
        _l("%(who)s accepted the pairing “%(need)s” / “%(offer)s”", **names)
        if accept
        else _l("%(who)s declined the pairing “%(need)s” / “%(offer)s”", **names)
    )
    notify(other, "proposal_answered", message, internal_url("matching.list_proposals"), now)
    return None


def pair_by_hand(actor: User, need: Need, offer: Offer, now: datetime) -> Mission:
    """A coordinator pairs a need and an offer without going through a proposal."""
    if actor.role not in (Role.COORDINATOR, Role.ADMIN):
        raise NotAllowed(_l("Only a coordinator can pair by hand."))
    if actor.role == Role.COORDINATOR and (
        need.organisation.territory_id not in coordinator_territory_ids(actor)
    ):
        raise NotAllowed(_l("This need is outside your conventions."))
    return create_mission(need, offer, actor, now)
